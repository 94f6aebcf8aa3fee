// Slack app mode end to end: the handler in a child process (as the runtime runs it) against a mock
// of Slack's Web API on 127.0.0.1 and moto's DynamoDB as STATE_TABLE. Real fixtures: the IAM user
// wwalpha created a group on 2021-04-05 and changed egress rules the next day; the same person,
// switched into a role, revoked and then opened MySQL to the world five minutes apart.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { formatBodies, formatEvent, threadSummary } from 'sgnotify';
import { MOCK_BOT_TOKEN, MOCK_CHANNEL, startMockSlackApi } from '../mock-slack-api.mjs';
import { fixture, sqsEvent, toEventBridge } from '../fixtures.mjs';
import { invokeInChild, outcomeLines } from './helpers/child.mjs';
import { startMoto } from './helpers/moto.mjs';

const FAST = { DELIVERY_RETRY_BASE_MS: '20', DELIVERY_MAX_ATTEMPTS: '3', DELIVERY_SAFETY_MARGIN_MS: '300', SLACK_MAX_PER_SECOND: '50' };
const ev = (name) => toEventBridge(fixture(name));
const CREATE = ev('aws-spotlight__CreateSecurityGroup__2'); // 2021-04-05, user wwalpha, 1 message
const EGRESS_ADD = ev('aws-spotlight__AuthorizeSecurityGroupEgress__1'); // 2021-04-06, same user, 2 messages
const EGRESS_REVOKE = ev('aws-spotlight__RevokeSecurityGroupEgress__1'); // same second, 2 messages
const ROLE_REVOKE = ev('aws-spotlight__RevokeSecurityGroupIngress__1'); // the role session, 2 info
const ROLE_OPEN = ev('aws-spotlight__AuthorizeSecurityGroupIngress__1'); // 5 minutes later, 2 critical
const TOKEN_SECRET = MOCK_BOT_TOKEN.split('-').at(-1);
const assertNoToken = (r) => {
  for (const p of [MOCK_BOT_TOKEN, TOKEN_SECRET]) assert.ok(!r.output.includes(p), 'the bot token (or its secret part) appears in the output');
};
const messagesOf = (...events) => events.flatMap((e) => formatEvent(e).messages);

describe('Slack app mode (mock Web API, moto DynamoDB)', () => {
  let moto;
  let slack;
  let ddb;
  let tables = 0;

  before(async () => {
    [moto, slack] = await Promise.all([startMoto(), startMockSlackApi()]);
    ddb = new DynamoDBClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  });
  after(async () => {
    ddb?.destroy();
    await Promise.all([moto?.stop(), slack?.close()]);
  });

  // A fresh table (as the template creates it) and an empty Slack for each test.
  async function fresh() {
    slack.reset();
    tables += 1;
    const name = `sgnotify-state-${tables}`;
    await ddb.send(new CreateTableCommand({ TableName: name, AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
    return name;
  }
  const env = (table, extra = {}) => ({
    ...moto.env,
    AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint,
    ...FAST,
    SLACK_BOT_TOKEN: MOCK_BOT_TOKEN,
    SLACK_CHANNEL: MOCK_CHANNEL,
    SLACK_API_URL: slack.url,
    STATE_TABLE: table,
    ...extra,
  });
  const run = (table, events, extra) => invokeInChild({ env: env(table, extra), events, timeoutMs: 20_000 });

  test('a burst of three events by one principal: one parent, one reply per rule in its thread, the parent updated', async () => {
    const table = await fresh();
    // A day's window, so that the create of the day before belongs to the same burst.
    const r = await run(table, [CREATE, EGRESS_ADD, EGRESS_REVOKE], { THREAD_WINDOW_SECONDS: '86400' });
    assertNoToken(r);
    const expected = messagesOf(CREATE, EGRESS_ADD, EGRESS_REVOKE);
    assert.deepEqual(r.results.map((x) => x.result?.delivered), [1, 2, 2], JSON.stringify(r.results));
    const threads = slack.threads();
    assert.equal(threads.length, 1, 'one parent');
    const [{ parent, replies }] = threads;
    assert.deepEqual(replies.map((m) => m.text), expected.map((m) => m.payload.text), 'one reply per rule message, in order');
    assert.deepEqual(replies.map((m) => m.attachments), expected.map((m) => m.payload.attachments));
    assert.ok(replies.every((m) => m.thread_ts === parent.ts && !m.reply_broadcast), 'all in the thread, none critical');
    // Posted with the first change, edited as the burst grew; it ends on the whole burst.
    assert.equal(parent.edits.length, 2);
    const whole = threadSummary(
      {
        account: '999999999999', principal: 'wwalpha@gmail.com', principalType: 'IAMUser', changes: 5, severity: 'warning',
        groups: ['sg-0e4669b73c6c4c0fd', 'sg-0299796957cc35b44'], firstTime: '2021-04-05T07:12:40Z', lastTime: '2021-04-06T04:18:15Z',
      },
      {},
    );
    assert.deepEqual({ text: parent.text, blocks: parent.blocks }, whole);
    assert.deepEqual(parent.edits.map((e) => e.text.match(/Changes: (\d+)/)[1]), ['1', '3']);
    const lines = outcomeLines(r.logs);
    assert.ok(lines.every((l) => l.status === 'delivered' && l.thread === parent.ts));
    assert.deepEqual(lines.map((l) => l.parentPosted ?? false), [true, false, false, false, false]);
  });

  test('another principal starts another thread; a critical reply is broadcast to the channel', async () => {
    const table = await fresh();
    const r = await run(table, [EGRESS_ADD, ROLE_REVOKE, ROLE_OPEN]);
    assertNoToken(r);
    const threads = slack.threads();
    assert.equal(threads.length, 2, 'the IAM user and the role session');
    assert.deepEqual(threads.map((t) => t.replies.length), [2, 4]);
    const role = threads[1];
    assert.deepEqual(role.replies.map((m) => [formatEvent(ROLE_OPEN).messages.some((x) => x.payload.text === m.text), m.reply_broadcast]), [
      [false, false],
      [false, false],
      [true, true],
      [true, true],
    ]);
    assert.match(role.parent.text, /^🚨 \[CRITICAL\] Security group changes by wwalpha@gmail.com_SwitchRole\/wwalpha@gmail.com · 999999999999 · Changes: 4$/);
  });

  test('a reply is the core\'s body with chat.postMessage\'s arguments spliced in front, each key once (SLACK_USERNAME kept)', async () => {
    const table = await fresh();
    const r = await run(table, [ROLE_OPEN], { SLACK_USERNAME: 'sgnotify-bot' });
    assert.equal(r.results[0].result.delivered, 2, JSON.stringify(r.results));
    const [{ parent }] = slack.threads();
    const replies = slack.requests.filter((q) => q.method === 'chat.postMessage' && q.body.thread_ts);
    // Formatted as the handler does in app mode: the channel is an argument, not an option.
    const bodies = formatBodies(ROLE_OPEN, { username: 'sgnotify-bot' }).messages.map((m) => m.body);
    const head = `{"channel":${JSON.stringify(MOCK_CHANNEL)},"unfurl_links":false,"unfurl_media":false,"thread_ts":${JSON.stringify(parent.ts)},"reply_broadcast":true,`;
    assert.deepEqual(replies.map((q) => q.raw), bodies.map((b) => head + b.slice(1)));
    assert.ok(replies.every((q) => q.body.username === 'sgnotify-bot' && q.body.attachments.length === 1));
  });

  test('the default window (10 minutes): a change the day before is a thread of its own', async () => {
    const table = await fresh();
    await run(table, [CREATE, EGRESS_ADD]);
    assert.deepEqual(slack.threads().map((t) => t.replies.length), [1, 2]);
  });

  test('a retried event adds nothing: no second reply, no second parent, no edit', async () => {
    const table = await fresh();
    const event = sqsEvent([ROLE_REVOKE, ROLE_OPEN]);
    const first = await run(table, [event]);
    assert.deepEqual(first.results[0].result, { batchItemFailures: [] });
    const before = JSON.stringify(slack.messages);
    const again = await run(table, [event, ROLE_OPEN]);
    assertNoToken(again);
    assert.deepEqual(again.results[0].result, { batchItemFailures: [] });
    assert.equal(again.results[1].result.alreadyDelivered, 2);
    assert.equal(JSON.stringify(slack.messages), before, 'Slack saw nothing new');
    assert.deepEqual(again.logs.filter((l) => l.eventId).map((l) => l.status), Array(6).fill('already-delivered'));
    // The thread item holds the parent and the four replies it counted.
    const item = (await ddb.send(new GetItemCommand({ TableName: table, Key: { id: { S: `thread#999999999999|arn:aws:sts::999999999999:assumed-role/wwalpha@gmail.com_SwitchRole/wwalpha@gmail.com` } } }))).Item;
    assert.deepEqual([item.ts.S, item.changes.N, item.counted.SS.length, item.severity.S], [slack.threads()[0].parent.ts, '4', 4, 'critical']);
    assert.ok(Number(item.expiresAt.N) > Date.now() / 1000 + 14 * 86400, 'kept as long as the delivery marks');
  });

  test('rate limited (429 Retry-After, and ratelimited in a 200): waited out, nothing lost, nothing twice', async () => {
    const table = await fresh();
    let limited = 0;
    slack.setResponder((req) => {
      if (req.method !== 'chat.postMessage' || limited >= 2) return undefined;
      limited += 1;
      return limited === 1 ? { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '1' } } : { status: 200, body: { ok: false, error: 'ratelimited' } };
    });
    const r = await run(table, [ROLE_REVOKE]);
    assertNoToken(r);
    assert.equal(r.results[0].result.delivered, 2);
    const [thread] = slack.threads();
    assert.equal(thread.replies.length, 2);
    assert.deepEqual(thread.replies.map((m) => m.text), messagesOf(ROLE_REVOKE).map((m) => m.payload.text));
    assert.equal(slack.messages.length, 3, 'one parent, two replies');
  });

  test('a reply Slack rejects (invalid_blocks) becomes a plain-text reply in the same thread, once', async () => {
    const table = await fresh();
    slack.setResponder((req) => (req.body?.thread_ts && req.body.attachments ? { status: 200, body: { ok: false, error: 'invalid_blocks' } } : undefined));
    const r = await run(table, [ROLE_OPEN]);
    assert.equal(r.results[0].result.fallback, 2, JSON.stringify(r.results));
    const [thread] = slack.threads();
    assert.equal(thread.replies.length, 2);
    for (const reply of thread.replies) {
      assert.equal(reply.attachments, undefined);
      assert.equal(reply.channel, MOCK_CHANNEL);
      assert.match(reply.text, new RegExp(`Event ${ROLE_OPEN.detail.eventID} \\(AuthorizeSecurityGroupIngress, critical\\)`));
      assert.equal(reply.reply_broadcast, true);
    }
    assert.match(thread.parent.text, /Changes: 2$/);
    const again = await run(table, [ROLE_OPEN]);
    assert.equal(again.results[0].result.alreadyDelivered, 2);
    assert.equal(slack.messages.length, 3);
  });

  test('wrong token: invalid_auth fails the event, posts nothing, leaves no claim; the right token then posts it all', async () => {
    const table = await fresh();
    const wrongToken = 'xoxb-0000000001-0000000002-wrongTokenSecretABCDEF';
    const r = await run(table, [ROLE_OPEN], { SLACK_BOT_TOKEN: wrongToken });
    assert.equal(r.results[0].error?.name, 'DeliveryError');
    assert.match(r.results[0].error.message, /2 of 2 Slack message\(s\) not delivered \(the thread's parent: chat\.postMessage: HTTP 200 invalid_auth\)/);
    assert.ok(!r.output.includes('wrongTokenSecret'), 'the wrong token is not printed either');
    assert.equal(slack.messages.length, 0);
    const retry = await run(table, [ROLE_OPEN]);
    assert.equal(retry.results[0].result.delivered, 2);
    assert.deepEqual(slack.threads().map((t) => t.replies.length), [2]);
  });

  test('channel_not_found is a failure that makes the record come back, never a delivery', async () => {
    const table = await fresh();
    const r = await run(table, [sqsEvent([ROLE_REVOKE])], { SLACK_CHANNEL: 'C0NOSUCHCHAN' });
    const { messageId } = sqsEvent([ROLE_REVOKE]).Records[0];
    assert.deepEqual(r.results[0].result, { batchItemFailures: [{ itemIdentifier: messageId }] });
    assert.ok(outcomeLines(r.logs).every((l) => l.status === 'failed' && /channel_not_found/.test(l.reason)));
  });

  test('concurrent instances agree on one parent', async () => {
    const table = await fresh();
    // Two containers at once, each with its own change by the same role session. Slack takes two
    // seconds over the first post (the parent), so the other instance surely finds it being opened.
    slack.setResponder((_, i) => (i === 0 ? { delayMs: 2000 } : undefined));
    const [a, b] = await Promise.all([run(table, [ROLE_REVOKE]), run(table, [ROLE_OPEN])]);
    const waited = [...a.logs, ...b.logs].filter((l) => /is posting this thread's parent: waiting/.test(l.message));
    assert.equal(waited.length, 1, 'one instance waited for the other\'s parent');
    assert.equal(a.results[0].result.delivered + b.results[0].result.delivered, 4, JSON.stringify([a.results, b.results]));
    const threads = slack.threads();
    assert.equal(threads.length, 1, `one parent, got ${threads.length}`);
    assert.equal(threads[0].replies.length, 4);
    assert.match(threads[0].parent.text, /Changes: 4$/, 'the parent ends on the whole burst');
  });

  test('the token from Secrets Manager (JSON secret), redacted from everything printed', async () => {
    const table = await fresh();
    const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await sm.send(new CreateSecretCommand({ Name: 'sgnotify/bot', SecretString: JSON.stringify({ token: MOCK_BOT_TOKEN }) }));
    sm.destroy();
    // The mock echoes the token in its answer once: the log line must still not carry it.
    slack.setResponder((_, i) => (i === 0 ? { status: 200, body: { ok: false, error: 'internal_error', echoed: MOCK_BOT_TOKEN } } : undefined));
    const r = await invokeInChild({ env: { ...env(table), SLACK_BOT_TOKEN: '', SLACK_BOT_TOKEN_SECRET_ID: 'sgnotify/bot' }, events: [ROLE_REVOKE] });
    assertNoToken(r);
    assert.equal(r.results[0].result.delivered, 2);
    const missing = await invokeInChild({ env: { ...env(table), SLACK_BOT_TOKEN: '', SLACK_BOT_TOKEN_SECRET_ID: 'sgnotify/none' }, events: [ROLE_OPEN] });
    assert.match(missing.results[0].error.message, /SLACK_BOT_TOKEN_SECRET_ID: could not read secret "sgnotify\/none" \(ResourceNotFoundException/);
  });

  test('without STATE_TABLE, threads live in the container: one thread for the burst, still one parent', async () => {
    slack.reset();
    const r = await invokeInChild({ env: { ...env(undefined), STATE_TABLE: '' }, events: [ROLE_REVOKE, ROLE_OPEN] });
    assertNoToken(r);
    assert.deepEqual(slack.threads().map((t) => t.replies.length), [4]);
  });
});

describe('app mode settings', () => {
  const start = (extra) => invokeInChild({ env: { SLACK_BOT_TOKEN: MOCK_BOT_TOKEN, SLACK_CHANNEL: MOCK_CHANNEL, ...extra }, events: [] });

  test('a bad setting fails the import, naming the variable and never the token', async () => {
    const cases = [
      [{ SLACK_CHANNEL: '' }, /SLACK_CHANNEL: required in app mode/],
      [{ SLACK_CHANNEL: '#general' }, /SLACK_CHANNEL: in app mode, a channel id/],
      [{ SLACK_API_URL: 'http://slack.example/api' }, /SLACK_API_URL: must be an https:\/\/ URL/],
      [{ THREAD_WINDOW_SECONDS: '0' }, /THREAD_WINDOW_SECONDS: must be a whole number from 1 to 86400/],
      [{ SLACK_BOT_TOKEN: `xoxq-${TOKEN_SECRET}` }, /SLACK_BOT_TOKEN: is not a Slack bot token/],
      [{ SLACK_BOT_TOKEN_SECRET_ID: 'sgnotify/bot' }, /SLACK_BOT_TOKEN, SLACK_BOT_TOKEN_SECRET_ID: set only one of them/],
      [{ SLACK_BOT_TOKEN: '', SLACK_BOT_TOKEN_SECRET_ID: MOCK_BOT_TOKEN }, /SLACK_BOT_TOKEN_SECRET_ID: looks like a token or URL/],
      [{ SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/x' }, /SLACK_WEBHOOK_URL: set either a webhook or app mode/],
      [{ SLACK_BOT_TOKEN: '', THREAD_WINDOW_SECONDS: '60', DRY_RUN: '1' }, /THREAD_WINDOW_SECONDS: used only in app mode/],
    ];
    const results = await Promise.all(cases.map(([extra]) => start(extra)));
    results.forEach((r, i) => {
      assert.equal(r.results[0]?.importError?.name, 'ConfigError', JSON.stringify(cases[i][0]));
      assert.match(r.results[0].importError.message, cases[i][1]);
      assertNoToken(r);
    });
  });
});

// Delivery at organisation scale (issue 9), the handler in this process so that its parts can be
// observed: pacing against a local Slack that enforces a rate limit, the exactly-once claims in a
// DynamoDB table on moto's server, the plain-text fallback, the retry with a rotated webhook, and
// the deadline that stops new messages and reports exactly the records left.

import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBodies, formatEvent, Formatter } from 'sgnotify';
import { CreateTableCommand, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { startMockSlack, MOCK_WEBHOOK_PATH } from '../mock-slack.mjs';
import { fixture, lambdaContext, snsEvent, sqsEvent, toEventBridge } from '../fixtures.mjs';
import { readConfig } from '../config.mjs';
import { createHandler, fallbackPayload } from '../notify.mjs';
import { createPacer } from '../pacing.mjs';
import { createStateStore, messageKeys } from '../state.mjs';
import { startMoto } from './helpers/moto.mjs';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

// Single-message real events (see tests/fixtures/events), distinct event ids.
const ONE = ['panther__AuthorizeSecurityGroupEgress__1', 'aws-spotlight__CreateSecurityGroup__1', 'aws-spotlight__DeleteSecurityGroup__1', 'stratus-red-team__AuthorizeSecurityGroupIngress__1', 'nuvibit-blog__AuthorizeSecurityGroupIngress__1', 'panther__CreateSecurityGroup__1'].map(fixture);
const TWO = fixture('aws-spotlight__AuthorizeSecurityGroupIngress__1'); // two rules: two messages

function captureLog() {
  const lines = [];
  const at = (level) => (message, fields) => lines.push({ level, message, ...fields });
  return { lines, log: { info: at('INFO'), warn: at('WARN'), error: at('ERROR') } };
}

const FAST = { DELIVERY_RETRY_BASE_MS: '20', DELIVERY_MAX_ATTEMPTS: '3', DELIVERY_SAFETY_MARGIN_MS: '300' };

function makeHandler(env, { resolveWebhook, stateStore, format = formatBodies, prepared } = {}) {
  // The mock Slack is plain http on 127.0.0.1: allowed only when named, as a user would name it.
  const allowed = env.SLACK_WEBHOOK_URL ? { SLACK_WEBHOOK_ALLOWED_HOSTS: new URL(env.SLACK_WEBHOOK_URL).host } : {};
  const config = readConfig({ ...FAST, ...allowed, ...env }, { formatEvent });
  const { lines, log } = captureLog();
  const handler = createHandler(config, { formatBodies: format, Formatter: prepared, resolveWebhook: resolveWebhook ?? (async () => config.webhook?.url), log, stateStore });
  return { handler, lines, config };
}

describe('pacer (token bucket per destination)', () => {
  test('a burst, then one slot per interval; destinations are independent; release and pause', () => {
    let now = 0;
    const p = createPacer({ perSecond: 2, burst: 2, now: () => now });
    assert.deepEqual([p.reserve('a'), p.reserve('a'), p.reserve('a'), p.reserve('a')], [0, 0, 500, 1000]);
    assert.equal(p.reserve('b'), 0, 'another webhook has its own bucket');
    assert.equal(p.reserve('a', 1200), undefined, 'the slot at 1500 ms is past the latest start: nothing reserved');
    p.release('a');
    assert.equal(p.reserve('a'), 1000, 'a released slot is handed out again');
    now = 5000;
    assert.equal(p.reserve('a'), 0, 'an idle bucket refills up to its burst');
    p.pause('a', 3000);
    assert.equal(p.reserve('a'), 3000, 'after a 429, nothing before Retry-After');
  });
});

describe('delivery at scale', () => {
  let slack;
  let moto;
  let ddb;
  const TABLE = 'sgnotify-state';
  const savedEnv = { ...process.env };

  before(async () => {
    slack = await startMockSlack();
    moto = await startMoto();
    Object.assign(process.env, moto.env);
    ddb = new DynamoDBClient({});
    await ddb.send(new CreateTableCommand({ TableName: TABLE, AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
  });
  after(async () => {
    process.env = savedEnv;
    ddb?.destroy();
    await slack?.close();
    await moto?.stop();
  });
  beforeEach(async () => {
    slack.reset();
    slack.setRateLimit(undefined);
    const { Items = [] } = await ddb.send(new ScanCommand({ TableName: TABLE }));
    for (const item of Items) await ddb.send(new DeleteItemCommand({ TableName: TABLE, Key: { id: item.id } }));
  });
  const item = async (id) => (await ddb.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: id } }, ConsistentRead: true }))).Item;

  test('pacing: at the configured rate a rate-limited Slack never answers 429', async () => {
    slack.setRateLimit({ perSecond: 5, burst: 5 });
    const { handler } = makeHandler({ SLACK_WEBHOOK_URL: slack.url, SLACK_MAX_PER_SECOND: '5' });
    const event = sqsEvent([...ONE, TWO, ...ONE.slice(0, 3).map((e) => ({ ...e, eventID: `${e.eventID}-again` }))]);
    const expected = formatEvent(event).messages.length;
    // A first post opens the connections (a new socket's latency would bunch the burst up at
    // Slack's end); then both buckets refill.
    await handler(toEventBridge(ONE[0]), lambdaContext(5000));
    await new Promise((r) => setTimeout(r, 1100));
    slack.reset();
    slack.setRateLimit({ perSecond: 5, burst: 5 });
    const started = Date.now();
    const out = await handler(event, lambdaContext(30_000));
    assert.deepEqual(out, { batchItemFailures: [] });
    assert.equal(slack.requests.filter((r) => r.status === 429).length, 0);
    assert.equal(slack.delivered.length, expected);
    // 5 at once, then one every 200 ms.
    assert.ok(Date.now() - started >= ((expected - 5) * 200) - 50, `${expected} posts took ${Date.now() - started} ms`);
  });

  test('a prepared formatter: the options are read once per invocation, the batch is formatted in one call, and the formatter freed after', async () => {
    const made = [];
    class Counting extends Formatter {
      constructor(options) {
        super(options);
        made.push({ options, freed: false, calls: 0 });
      }
      formatBodies(input) {
        made.at(-1).calls += 1;
        return super.formatBodies(input);
      }
      free() {
        made.at(-1).freed = true;
        super.free();
      }
    }
    const env = { SLACK_WEBHOOK_URL: slack.url, SLACK_MAX_PER_SECOND: '50', ACCOUNT_NAMES: '{"111122223333": "prod"}', TIMEZONE: 'Asia/Seoul' };
    const { handler, config } = makeHandler(env, { format: () => assert.fail('the per-call path is not taken'), prepared: Counting });
    const event = sqsEvent([...ONE.slice(0, 3), TWO]);
    assert.deepEqual(await handler(event, lambdaContext(30_000)), { batchItemFailures: [] });
    assert.deepEqual(made.map(({ freed, calls }) => ({ freed, calls })), [{ freed: true, calls: 1 }], 'one call for the four records');
    assert.deepEqual(made[0].options, config.formatOptions);
    const expected = formatBodies(event, config.formatOptions).messages.map((m) => JSON.parse(m.body));
    assert.deepEqual(slack.payloads, expected);
  });

  test('options the core refuses make no prepared formatter: every record of the batch comes back', async () => {
    const { handler, config } = makeHandler({ SLACK_WEBHOOK_URL: slack.url }, { prepared: Formatter });
    config.formatOptions.timezone = 'Mars/Base';
    const event = sqsEvent(ONE.slice(0, 2));
    const out = await handler(event, lambdaContext(30_000));
    assert.deepEqual(out.batchItemFailures.map((f) => f.itemIdentifier), event.Records.map((r) => r.messageId));
    assert.equal(slack.payloads.length, 0);
  });

  test('a batch the core cannot read as a whole (synthetic: lists nested 300 deep where the core reads): every record comes back, nothing is sent', async () => {
    const { handler, lines } = makeHandler({ SLACK_WEBHOOK_URL: slack.url });
    const event = sqsEvent(ONE.slice(0, 2));
    let deep = [];
    for (let i = 0; i < 300; i += 1) deep = [deep];
    event.Records[1].Sns = deep;
    const out = await handler(event, lambdaContext(30_000));
    assert.deepEqual(out.batchItemFailures.map((f) => f.itemIdentifier), event.Records.map((r) => r.messageId));
    assert.equal(slack.payloads.length, 0);
    const line = lines.find((l) => l.message === 'unusable SQS batch: every record comes back');
    assert.match(line?.error ?? '', /^input: invalid JSON: recursion limit exceeded/);
  });

  test('two instances sharing one webhook: 429s are waited out (Retry-After + jitter), nothing lost or doubled', async () => {
    slack.setRateLimit({ perSecond: 2, burst: 1 });
    const a = makeHandler({ SLACK_WEBHOOK_URL: slack.url, SLACK_MAX_PER_SECOND: '2', DELIVERY_MAX_ATTEMPTS: '2' });
    const b = makeHandler({ SLACK_WEBHOOK_URL: slack.url, SLACK_MAX_PER_SECOND: '2', DELIVERY_MAX_ATTEMPTS: '2' });
    const [ea, eb] = [sqsEvent(ONE.slice(0, 3)), sqsEvent(ONE.slice(3))];
    const [ra, rb] = await Promise.all([a.handler(ea, lambdaContext(30_000, 'a')), b.handler(eb, lambdaContext(30_000, 'b'))]);
    assert.deepEqual([ra, rb], [{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    assert.ok(slack.requests.some((r) => r.status === 429), 'the two instances together exceeded the limit');
    const texts = slack.delivered.map((r) => r.body.text).sort();
    assert.deepEqual(texts, formatEvent(sqsEvent(ONE)).messages.map((m) => m.payload.text).sort());
  });

  test('deadline: no message starts without time for one more post; exactly the records left are reported', async () => {
    const { handler, lines } = makeHandler({ SLACK_WEBHOOK_URL: slack.url, SLACK_MAX_PER_SECOND: '1' });
    const event = sqsEvent(ONE.slice(0, 4));
    // 2600 ms, margin 260: posts at 0, 0 (burst of 2) and 1000 ms; the one at 2000 would leave < 1 s.
    const out = await handler(event, lambdaContext(2600));
    assert.deepEqual(out, { batchItemFailures: [{ itemIdentifier: event.Records[3].messageId }] });
    assert.equal(slack.delivered.length, 3);
    const last = lines.find((l) => l.messageId === event.Records[3].messageId && l.status === 'failed');
    assert.equal(last.reason, 'no time left to send');
    assert.equal(last.attempts, 0);
  });

  test('direct event out of time: throws, naming what was not delivered', async () => {
    const { handler } = makeHandler({ SLACK_WEBHOOK_URL: slack.url, SLACK_MAX_PER_SECOND: '0.5' });
    // Two earlier posts use up this instance's burst: its next slot is 2 s away, past 1.5 s.
    await handler(toEventBridge(ONE[0]), lambdaContext(5000));
    await handler(toEventBridge(ONE[1]), lambdaContext(5000));
    const event = toEventBridge(TWO);
    slack.reset();
    await assert.rejects(handler(event, lambdaContext(1500)), (err) => err.name === 'DeliveryError' && /not delivered \(no time left to send\)/.test(err.message));
    assert.equal(slack.requests.length, 0);
  });

  test('exactly once: a redelivered SQS batch and a retried event post nothing again', async () => {
    const { handler } = makeHandler({ SLACK_WEBHOOK_URL: slack.url, SLACK_MAX_PER_SECOND: '50', STATE_TABLE: TABLE });
    const event = sqsEvent([TWO, ONE[0]]);
    const n = formatEvent(event).messages.length;
    assert.deepEqual(await handler(event, lambdaContext(10_000, 'first')), { batchItemFailures: [] });
    assert.deepEqual(await handler(event, lambdaContext(10_000, 'redelivered')), { batchItemFailures: [] });
    const direct = await handler(toEventBridge(TWO), lambdaContext(10_000, 'direct'));
    assert.equal(slack.requests.length, n, 'each message posted once');
    assert.deepEqual([direct.delivered, direct.alreadyDelivered], [0, 2], 'the same CloudTrail event through another path is known too');
    const [key] = messageKeys(formatEvent(toEventBridge(TWO)).messages);
    const mark = await item(key);
    assert.equal(mark.state.S, 'delivered');
    assert.ok(Number(mark.expiresAt.N) > Date.now() / 1000 + 14 * 86400, 'kept longer than SQS keeps a message');
  });

  test('an event larger than one invocation can post finishes over retries, each message once', async () => {
    const event = snsEvent([TWO, ...ONE, fixture('aws-spotlight__RevokeSecurityGroupEgress__1')]);
    const n = formatEvent(event).messages.length;
    assert.ok(n >= 9, `${n} messages`);
    const results = [];
    // Lambda's async retries, each on a new instance: 2.5 s at 2/s posts about four messages.
    for (let attempt = 0; attempt < 5 && !results.at(-1)?.ok; attempt += 1) {
      const { handler } = makeHandler({ SLACK_WEBHOOK_URL: slack.url, SLACK_MAX_PER_SECOND: '2', STATE_TABLE: TABLE });
      try {
        results.push({ ok: true, counts: await handler(event, lambdaContext(2500, `attempt-${attempt}`)) });
      } catch (err) {
        results.push({ ok: false, message: err.message });
      }
    }
    assert.ok(results.length >= 3, `needed ${results.length} invocation(s)`);
    assert.equal(results.at(-1).ok, true, JSON.stringify(results));
    assert.match(results[0].message, /not delivered \(no time left to send\)/);
    assert.deepEqual(slack.delivered.map((r) => r.body), formatEvent(event).messages.map((m) => m.payload), 'each once, in order');
    assert.equal(slack.requests.length, n);
  });

  test('a retryable failure releases the claim at once, so the retry posts it', async () => {
    const { handler } = makeHandler({ SLACK_WEBHOOK_URL: slack.url, SLACK_MAX_PER_SECOND: '50', STATE_TABLE: TABLE });
    const messages = formatEvent(toEventBridge(TWO)).messages;
    slack.setResponder((req) => (req.body.text === messages[1].payload.text ? { status: 500, body: 'internal_error' } : { status: 200 }));
    await assert.rejects(handler(toEventBridge(TWO), lambdaContext(10_000, 'try-1')), /1 of 2 Slack message/);
    const keys = messageKeys(messages);
    assert.equal((await item(keys[0])).state.S, 'delivered');
    assert.equal(await item(keys[1]), undefined, 'claim released');
    slack.setResponder(() => ({ status: 200 }));
    const retry = await handler(toEventBridge(TWO), lambdaContext(10_000, 'try-2'));
    assert.deepEqual([retry.delivered, retry.alreadyDelivered, retry.failed], [1, 1, 0]);
    assert.deepEqual(slack.delivered.map((r) => r.body), messages.map((m) => m.payload));
  });

  test('crash between post and mark: a live claim holds the retry back; an expired one is taken over (a rare duplicate)', async () => {
    const { handler, lines } = makeHandler({ SLACK_WEBHOOK_URL: slack.url, SLACK_MAX_PER_SECOND: '50', STATE_TABLE: TABLE });
    const event = sqsEvent([ONE[0]]);
    const [key] = messageKeys(formatEvent(event).messages);
    const claim = (expiresAt) => ddb.send(new PutItemCommand({ TableName: TABLE, Item: { id: { S: key }, state: { S: 'claimed' }, owner: { S: 'crashed' }, expiresAt: { N: String(expiresAt) } } }));
    await claim(Math.floor(Date.now() / 1000) + 600);
    assert.deepEqual(await handler(event, lambdaContext(10_000)), { batchItemFailures: [{ itemIdentifier: event.Records[0].messageId }] });
    assert.equal(slack.requests.length, 0, 'not posted while another invocation may be posting it');
    assert.match(lines.find((l) => l.status === 'failed').reason, /claimed by another invocation/);
    assert.equal((await item(key)).owner.S, 'crashed', 'someone else\'s claim is not released');
    await claim(Math.floor(Date.now() / 1000) - 1);
    assert.deepEqual(await handler(event, lambdaContext(10_000)), { batchItemFailures: [] });
    assert.equal(slack.requests.length, 1);
    assert.equal((await item(key)).state.S, 'delivered');
  });

  test('table unavailable: the message is posted anyway and the log says so (a duplicate beats a lost alert)', async () => {
    const stateStore = createStateStore({ tableName: TABLE, client: new DynamoDBClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }) });
    const { handler, lines } = makeHandler({ SLACK_WEBHOOK_URL: slack.url, STATE_TABLE: TABLE }, { stateStore });
    const out = await handler(toEventBridge(ONE[0]), lambdaContext(10_000));
    assert.equal(out.delivered, 1);
    assert.equal(slack.requests.length, 1);
    assert.match(lines.find((l) => l.status === 'delivered').stateError, /^state table sgnotify-state: /);
    const missing = makeHandler({ SLACK_WEBHOOK_URL: slack.url, STATE_TABLE: 'no-such-table' });
    assert.equal((await missing.handler(toEventBridge(ONE[1]), lambdaContext(10_000))).delivered, 1);
    assert.match(missing.lines.find((l) => l.status === 'delivered').stateError, /ResourceNotFoundException/);
  });

  test('a payload Slack rejects for good: one plain-text fallback, counted as handled, never re-posted', async () => {
    const { handler, lines } = makeHandler({ SLACK_WEBHOOK_URL: slack.url, SLACK_MAX_PER_SECOND: '50', STATE_TABLE: TABLE });
    const event = sqsEvent([TWO]);
    const messages = formatBodies(event).messages;
    slack.setResponder((req) => (req.raw === messages[0].body ? { status: 400, body: 'invalid_blocks' } : { status: 200 }));
    assert.deepEqual(await handler(event, lambdaContext(10_000)), { batchItemFailures: [] });
    assert.deepEqual(slack.delivered.map((r) => r.body), [fallbackPayload(messages[0]), JSON.parse(messages[1].body)]);
    const text = slack.delivered[0].body.text;
    assert.ok(text.includes(messages[0].summary) && text.includes(messages[0].eventId));
    assert.match(text, /<https:\/\/ap-northeast-1\.console\.aws\.amazon\.com\/cloudtrailv2\/home\?region=ap-northeast-1#\/events\/aed42258-dc7f-45f2-b4b4-27bbe3349bec\|Open in CloudTrail>/);
    const line = lines.find((l) => l.status === 'fallback');
    assert.deepEqual([line.level, line.httpStatus, line.slackResponse], ['ERROR', 400, 'invalid_blocks']);
    await handler(event, lambdaContext(10_000, 'redelivered'));
    assert.equal(slack.requests.length, 3, 'the redelivered record posts nothing');
  });

  test('the fallback escapes Slack control characters in the change it names', () => {
    const f = fallbackPayload({ summary: 'group <!channel> & <http://evil|x>', eventId: 'e-1', eventName: 'X', severity: 'info', body: '{"text":"x","channel":"#c","username":"u"}' });
    assert.equal(f.text.split('\n')[0], 'group &lt;!channel&gt; &amp; &lt;http://evil|x&gt;');
    assert.deepEqual([f.channel, f.username, f.icon_emoji], ['#c', 'u', undefined], 'the overrides of the rejected payload are kept');
  });

  test('webhook mode posts each body of formatBodies byte for byte, the SLACK_CHANNEL / SLACK_USERNAME overrides in it', async () => {
    const { handler, config } = makeHandler({ SLACK_WEBHOOK_URL: slack.url, SLACK_MAX_PER_SECOND: '50', SLACK_CHANNEL: '#sec-alerts', SLACK_USERNAME: 'sgnotify' });
    const event = toEventBridge(TWO);
    assert.equal((await handler(event, lambdaContext(10_000))).delivered, 2);
    assert.deepEqual(slack.requests.map((r) => r.raw), formatBodies(event, config.formatOptions).messages.map((m) => m.body));
    assert.deepEqual(slack.requests.map((r) => r.body), formatEvent(event, config.formatOptions).messages.map((m) => m.payload), 'the same payloads as formatEvent gives');
    assert.deepEqual(slack.requests.map((r) => [r.body.channel, r.body.username]), [['#sec-alerts', 'sgnotify'], ['#sec-alerts', 'sgnotify']]);
  });

  test('webhook rotation: 404 no_service re-reads the webhook (force) and retries once with a new URL', async () => {
    const old = `${slack.origin}/services/T0OLDTEAM1/B0OLDHOOK1/oldWebhookToken0123456789`;
    const calls = [];
    const resolveWebhook = async (remainingMs, options) => {
      calls.push(options);
      return new URL(options?.force ? slack.url : old);
    };
    const { handler, lines } = makeHandler({ SLACK_WEBHOOK_URL: old }, { resolveWebhook });
    const out = await handler(toEventBridge(TWO), lambdaContext(10_000));
    assert.equal(out.delivered, 2);
    assert.deepEqual(calls, [undefined, { force: true, destination: 'default' }], 'forced once; the second message used the new URL');
    assert.deepEqual(slack.requests.map((r) => r.path), [MOCK_WEBHOOK_PATH, MOCK_WEBHOOK_PATH]);
    assert.equal(lines.find((l) => l.status === 'delivered').rotated, true);
  });

  test('webhook rotation: the same URL again is not retried; 410 is handled like 404', async () => {
    const calls = [];
    const { handler } = makeHandler({ SLACK_WEBHOOK_URL: slack.url }, { resolveWebhook: async (ms, o) => (calls.push(o), new URL(slack.url)) });
    slack.setResponder(() => ({ status: 410, body: 'gone' }));
    await assert.rejects(handler(toEventBridge(ONE[0]), lambdaContext(10_000)), /HTTP 410 gone/);
    assert.equal(slack.requests.length, 1);
    assert.deepEqual(calls, [undefined, { force: true, destination: 'default' }]);
  });

  test('destinations: each has its webhook (read through the resolver once) and its own pace', async () => {
    const other = await startMockSlack({ rateLimit: { perSecond: 1, burst: 2 } });
    slack.setRateLimit({ perSecond: 1, burst: 2 });
    try {
      const calls = [];
      const resolveWebhook = async (ms, o) => (calls.push(o), new URL(o?.destination === 'ops' ? other.url : slack.url));
      // The core gives every message `destination` once routing exists; here every other one goes
      // to "ops" (by event id: the handler formats each SQS record alone).
      const ops = new Set(ONE.filter((_, i) => i % 2).map((e) => e.eventID ?? e.detail?.eventID));
      const format = (e, opts) => {
        const r = formatBodies(e, opts);
        for (const m of r.messages) m.destination = ops.has(m.eventId) ? 'ops' : 'default';
        return r;
      };
      const { handler } = makeHandler({ SLACK_WEBHOOK_URL: slack.url, SLACK_MAX_PER_SECOND: '1' }, { resolveWebhook, format });
      const event = sqsEvent(ONE.slice(0, 4));
      const started = Date.now();
      assert.deepEqual(await handler(event, lambdaContext(10_000)), { batchItemFailures: [] });
      assert.ok(Date.now() - started < 900, `${Date.now() - started} ms: two posts to each webhook fit in each one's burst, no waiting on the other`);
      assert.deepEqual(calls, [undefined, { destination: 'ops' }]);
      const texts = format(event).messages.map((m) => [m.destination, JSON.parse(m.body).text]);
      assert.deepEqual(slack.delivered.map((r) => r.body.text), texts.filter(([d]) => d === 'default').map(([, t]) => t));
      assert.deepEqual(other.delivered.map((r) => r.body.text), texts.filter(([d]) => d === 'ops').map(([, t]) => t));
    } finally {
      await other.close();
    }
  });

  test('an unusable SQS record is parked in the dead-letter queue at once, not received again; the rest goes out', async () => {
    const sqs = new SQSClient({});
    for (const fifo of [false, true]) {
      slack.reset();
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `sgnotify-dlq-${fifo ? 'serial.fifo' : 'standard'}`, Attributes: fifo ? { FifoQueue: 'true' } : {} }));
      const good = fixture('aws-spotlight__AuthorizeSecurityGroupIngress__1');
      const event = sqsEvent([good, '{"detail-type": "AWS API Call via CloudTrail", "detail": 7}']);
      const { handler, lines } = makeHandler({ SLACK_WEBHOOK_URL: slack.url, SLACK_MAX_PER_SECOND: '50', DEAD_LETTER_QUEUE_URL: QueueUrl });
      const out = await handler(event, lambdaContext(20_000));
      assert.deepEqual(out, { batchItemFailures: [] }, 'nothing comes back through the queue');
      assert.equal(slack.payloads.length, formatEvent(toEventBridge(good)).messages.length);
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }));
      assert.deepEqual(Messages.map((m) => m.Body), [event.Records[1].body]);
      assert.match(Messages[0].MessageAttributes['sgnotify-error'].StringValue, /^Records\[1\]\.body\.detail: /, 'the record\'s place in the batch, not Records[0]');
      assert.ok(lines.some((l) => l.status === 'parked' && l.messageId === event.Records[1].messageId));
      const bad = lines.find((l) => l.message === 'unusable record');
      assert.deepEqual([bad.index, bad.path], [1, 'Records[1].body.detail']);
      assert.ok(bad.error.startsWith('Records[1].body.detail: '), bad.error);
    }
    // A DLQ that cannot be reached: the record comes back through the queue, as before.
    const { handler } = makeHandler({ SLACK_WEBHOOK_URL: slack.url, DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:9/111122223333/gone' });
    const bad = sqsEvent(['not json']);
    assert.deepEqual(await handler(bad, lambdaContext(20_000)), { batchItemFailures: [{ itemIdentifier: bad.Records[0].messageId }] });
    sqs.destroy();
  });

  test('settings: bad SLACK_MAX_PER_SECOND, STATE_TABLE and a MAX_MESSAGES_PER_EVENT the rate cannot post in time fail the import', () => {
    const bad = (env, variable) => assert.throws(() => readConfig({ DRY_RUN: '1', ...env }, { formatEvent }), (err) => err.name === 'ConfigError' && err.variables.includes(variable));
    bad({ SLACK_MAX_PER_SECOND: '0' }, 'SLACK_MAX_PER_SECOND');
    bad({ SLACK_MAX_PER_SECOND: 'fast' }, 'SLACK_MAX_PER_SECOND');
    bad({ STATE_TABLE: 'a b' }, 'STATE_TABLE');
    bad({ SLACK_MAX_PER_SECOND: '1', MAX_MESSAGES_PER_EVENT: '1000' }, 'MAX_MESSAGES_PER_EVENT');
    const ok = readConfig({ DRY_RUN: '1', SLACK_MAX_PER_SECOND: '2.5', STATE_TABLE: 'arn:aws:dynamodb:us-east-1:111122223333:table/sgnotify-state', MAX_MESSAGES_PER_EVENT: '1000' }, { formatEvent });
    assert.deepEqual(ok.scale, { perSecond: 2.5, burst: 3, stateTable: 'arn:aws:dynamodb:us-east-1:111122223333:table/sgnotify-state', deadLetterQueueUrl: undefined });
    assert.deepEqual(readConfig({ DRY_RUN: '1' }, { formatEvent }).scale, { perSecond: 1, burst: 2, stateTable: undefined, deadLetterQueueUrl: undefined });
    assert.throws(() => readConfig({ DRY_RUN: '1', DEAD_LETTER_QUEUE_URL: 'https://example.com/q' }, { formatEvent }), /DEAD_LETTER_QUEUE_URL: not an SQS queue URL/);
  });
});

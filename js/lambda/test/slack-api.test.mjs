// The Web API client (js/lambda/slack-api.mjs) against a mock of Slack's Web API on 127.0.0.1:
// what counts as posted, what is retried and how long it waits, what is final, and that the token
// never shows in an outcome.

import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MOCK_BOT_TOKEN, MOCK_CHANNEL, startMockSlackApi } from '../mock-slack-api.mjs';
import { checkToken, createSlackApi, createTokenRedactor, parseApiUrl } from '../slack-api.mjs';

const FAST = { baseDelayMs: 10, maxDelayMs: 3000, timeoutMs: 1000, maxAttempts: 3, jitterMs: 0 };
const TOKEN_SECRET = MOCK_BOT_TOKEN.split('-').at(-1);
const assertNoToken = (value) => {
  const text = JSON.stringify(value);
  assert.ok(!text.includes(MOCK_BOT_TOKEN) && !text.includes(TOKEN_SECRET), `token in ${text.slice(0, 200)}`);
};

describe('Slack Web API client', () => {
  let slack;
  let api;
  before(async () => {
    slack = await startMockSlackApi();
    api = createSlackApi({ token: MOCK_BOT_TOKEN, url: slack.url, ...FAST });
  });
  after(() => slack.close());
  beforeEach(() => slack.reset());

  test('chat.postMessage: JSON body, Bearer token, the ts Slack gave; a reply lands in its thread, broadcast when asked', async () => {
    const parent = await api.postMessage({ channel: MOCK_CHANNEL, text: 'parent', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'parent' } }] });
    assert.deepEqual([parent.status, parent.attempts, parent.httpStatus, parent.channel], ['delivered', 1, 200, MOCK_CHANNEL]);
    assert.match(parent.ts, /^\d+\.\d{6}$/);
    const reply = await api.postMessage({ channel: MOCK_CHANNEL, text: 'reply', thread_ts: parent.ts, reply_broadcast: true });
    assert.equal(reply.status, 'delivered');
    const [req] = slack.requests;
    assert.equal(req.path, '/api/chat.postMessage');
    assert.equal(req.headers.authorization, `Bearer ${MOCK_BOT_TOKEN}`);
    assert.match(req.headers['content-type'], /^application\/json; charset=utf-8$/);
    assert.deepEqual(req.body.blocks, [{ type: 'section', text: { type: 'mrkdwn', text: 'parent' } }]);
    const [thread] = slack.threads();
    assert.equal(thread.parent.text, 'parent');
    assert.deepEqual(thread.replies.map((m) => [m.text, m.thread_ts, m.reply_broadcast]), [['reply', parent.ts, true]]);
    assertNoToken([parent, reply]);
  });

  test('chat.update edits the message in place', async () => {
    const posted = await api.postMessage({ channel: MOCK_CHANNEL, text: 'one change' });
    const updated = await api.update({ channel: MOCK_CHANNEL, ts: posted.ts, text: 'two changes' });
    assert.deepEqual([updated.status, updated.method, updated.ts], ['delivered', 'chat.update', posted.ts]);
    assert.equal(slack.messages.length, 1);
    assert.equal(slack.messages[0].text, 'two changes');
    assert.deepEqual(slack.messages[0].edits.map((e) => e.text), ['one change']);
  });

  test('wrong token: invalid_auth is a failure after one request, and the token is nowhere in it', async () => {
    const wrong = createSlackApi({ token: 'xoxb-1111111111-2222222222-wrongTokenSecretABCDEFGH', url: slack.url, ...FAST });
    const o = await wrong.postMessage({ channel: MOCK_CHANNEL, text: 'x' });
    assert.deepEqual([o.status, o.error, o.permanent, o.attempts, o.httpStatus], ['failed', 'invalid_auth', true, 1, 200]);
    assert.match(o.reason, /chat\.postMessage: HTTP 200 invalid_auth/);
    assert.equal(slack.messages.length, 0);
    assert.ok(!JSON.stringify(o).includes('wrongTokenSecret'));
  });

  test('channel_not_found, thread_not_found, message_not_found: final, never "delivered"', async () => {
    const a = await api.postMessage({ channel: 'C0NOSUCHONE', text: 'x' });
    const b = await api.postMessage({ channel: MOCK_CHANNEL, text: 'x', thread_ts: '1.000001' });
    const c = await api.update({ channel: MOCK_CHANNEL, ts: '1.000001', text: 'x' });
    assert.deepEqual([a, b, c].map((o) => [o.status, o.error, o.attempts]), [
      ['failed', 'channel_not_found', 1],
      ['failed', 'thread_not_found', 1],
      ['failed', 'message_not_found', 1],
    ]);
  });

  test('429 with Retry-After: waits as told, does not use up attempts, then posts once', async () => {
    slack.setResponder((_, i) => (i < 3 ? { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '1' } } : undefined));
    const api1 = createSlackApi({ token: MOCK_BOT_TOKEN, url: slack.url, ...FAST, maxAttempts: 1 });
    const o = await api1.postMessage({ channel: MOCK_CHANNEL, text: 'x' });
    assert.deepEqual([o.status, o.attempts], ['delivered', 4], JSON.stringify(o));
    assert.deepEqual(o.retries.map((r) => [r.waitMs, r.rateLimited]), [[1000, true], [1000, true], [1000, true]]);
    for (let i = 1; i < 4; i += 1) {
      const gap = slack.requests[i].at - slack.requests[i - 1].at;
      assert.ok(gap >= 950, `request ${i} came ${gap} ms after the one before`);
    }
    assert.equal(slack.messages.length, 1);
  });

  test('ratelimited in an HTTP 200 answer is retried like a 429; jitter is added to Retry-After', async () => {
    slack.setResponder((_, i) => (i === 0 ? { status: 200, body: { ok: false, error: 'ratelimited' } } : undefined));
    const jittery = createSlackApi({ token: MOCK_BOT_TOKEN, url: slack.url, ...FAST, jitterMs: 200, random: () => 0.5 });
    const o = await jittery.postMessage({ channel: MOCK_CHANNEL, text: 'x' });
    assert.equal(o.status, 'delivered');
    assert.equal(o.retries[0].waitMs, 1100, 'no Retry-After: one second, plus half of the 200 ms jitter');
    assert.equal(slack.messages.length, 1);
  });

  test('a Retry-After past the deadline fails at once instead of waiting', async () => {
    slack.setResponder(() => ({ status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '30' } }));
    const started = Date.now();
    const o = await createSlackApi({ token: MOCK_BOT_TOKEN, url: slack.url, ...FAST, maxDelayMs: 60_000 }).postMessage(
      { channel: MOCK_CHANNEL, text: 'x' },
      { deadline: Date.now() + 2000 },
    );
    assert.equal(o.status, 'failed');
    assert.match(o.reason, /HTTP 429 ratelimited \(no time left to wait 30000 ms/);
    assert.ok(Date.now() - started < 1000);
  });

  test('5xx and Slack\'s transient errors back off and retry; persistent ones give up after maxAttempts', async () => {
    slack.setResponder((_, i) => [{ status: 503, body: 'upstream' }, { status: 200, body: { ok: false, error: 'internal_error' } }][i]);
    const o = await api.postMessage({ channel: MOCK_CHANNEL, text: 'x' });
    assert.deepEqual([o.status, o.attempts, o.retries.map((r) => r.problem)], ['delivered', 3, ['HTTP 503', 'HTTP 200 internal_error']]);
    slack.reset();
    slack.setResponder(() => ({ status: 500, body: { ok: false, error: 'fatal_error' } }));
    const f = await api.postMessage({ channel: MOCK_CHANNEL, text: 'x' });
    assert.deepEqual([f.status, f.attempts, f.error], ['failed', 3, 'fatal_error']);
    assert.match(f.reason, /gave up after 3 failed attempts/);
  });

  test('a dropped connection is retried; an answer that is not the Web API\'s is final', async () => {
    slack.setResponder((_, i) => (i === 0 ? 'drop' : undefined));
    const o = await api.postMessage({ channel: MOCK_CHANNEL, text: 'x' });
    assert.deepEqual([o.status, o.attempts], ['delivered', 2]);
    assert.match(o.retries[0].problem, /^network error/);
    slack.setResponder(() => ({ status: 200, body: '<html>proxy</html>' }));
    const p = await api.postMessage({ channel: MOCK_CHANNEL, text: 'x' });
    assert.deepEqual([p.status, p.permanent], ['failed', true]);
    assert.match(p.reason, /not a Web API answer/);
  });

  test('a redirect is not followed (the token would go with it)', async () => {
    slack.setResponder(() => ({ status: 302, body: '', headers: { location: 'http://127.0.0.1:1/steal' } }));
    const o = await api.postMessage({ channel: MOCK_CHANNEL, text: 'x' });
    assert.deepEqual([o.status, o.httpStatus, o.attempts], ['failed', 302, 1]);
  });

  test('an answer that echoes the token is redacted', async () => {
    slack.setResponder(() => ({ status: 200, body: { ok: false, error: `bad ${MOCK_BOT_TOKEN}` } }));
    const o = await api.postMessage({ channel: MOCK_CHANNEL, text: 'x' });
    assert.equal(o.status, 'failed');
    assertNoToken(o);
  });

  test('beforeAttempt (pacing) runs before every request and can stop it; onRateLimited hears every wait', async () => {
    const calls = [];
    const waits = [];
    const paced = createSlackApi({
      token: MOCK_BOT_TOKEN,
      url: slack.url,
      ...FAST,
      beforeAttempt: async (latest, m) => calls.push([m, latest > Date.now()]) < 4,
      onRateLimited: (ms) => waits.push(ms),
    });
    slack.setResponder((_, i) => (i === 0 ? { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '0' } } : undefined));
    await paced.postMessage({ channel: MOCK_CHANNEL, text: 'x' });
    await paced.update({ channel: MOCK_CHANNEL, ts: slack.messages[0].ts, text: 'y' });
    assert.deepEqual(calls, [['chat.postMessage', true], ['chat.postMessage', true], ['chat.update', true]]);
    assert.deepEqual(waits, [0]);
    const stopped = await paced.postMessage({ channel: MOCK_CHANNEL, text: 'z' });
    assert.deepEqual([stopped.status, stopped.attempts, stopped.reason], ['failed', 0, 'no time left to send']);
    assert.equal(slack.requests.length, 3, 'the stopped message was never sent');
  });
});

describe('app mode settings', () => {
  test('SLACK_API_URL: https anywhere, http only on loopback, no credentials or query', () => {
    assert.equal(parseApiUrl('https://slack.com/api').href, 'https://slack.com/api');
    assert.equal(parseApiUrl('http://127.0.0.1:9/api').host, '127.0.0.1:9');
    assert.throws(() => parseApiUrl('http://slack.com/api'), /^SlackSettingError: SLACK_API_URL: must be an https:\/\/ URL/);
    assert.throws(() => parseApiUrl('slack.com'), /SLACK_API_URL: is not a valid URL/);
    assert.throws(() => parseApiUrl('https://u:p@slack.com/api'), /without credentials/);
  });

  test('SLACK_BOT_TOKEN: a token shape, never echoed', () => {
    assert.equal(checkToken(` ${MOCK_BOT_TOKEN} `), MOCK_BOT_TOKEN);
    assert.equal(checkToken('xoxe.xoxb-1-abcdefghij'), 'xoxe.xoxb-1-abcdefghij');
    for (const bad of ['https://hooks.slack.com/services/T000/B000/secretsecret', 'xoxa-2-secretsecretsecret', 'Bearer xoxb-123-secretsecret', '']) {
      assert.throws(() => checkToken(bad), (err) => err.variable === 'SLACK_BOT_TOKEN' && (bad === '' || !err.message.includes(bad.slice(-12))));
    }
    assert.throws(() => createSlackApi({ token: 'nope', url: 'https://slack.com/api' }), /SLACK_BOT_TOKEN: is not a Slack bot token/);
  });

  test('the redactor removes the token and its secret part', () => {
    const redact = createTokenRedactor(MOCK_BOT_TOKEN);
    assert.equal(redact(`a ${MOCK_BOT_TOKEN} b ${TOKEN_SECRET}`), 'a [redacted] b [redacted]');
  });
});

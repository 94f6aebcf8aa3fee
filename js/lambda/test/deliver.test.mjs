// sgnotify/deliver against a real HTTP server on 127.0.0.1: what is retried, how long it waits,
// when it gives up, and that no outcome ever carries the webhook URL.

import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedactor, deliver, deliverAll, parseRetryAfter } from 'sgnotify/deliver';
import { startMockSlack } from '../mock-slack.mjs';
import { assertNoWebhookSecret } from './helpers/child.mjs';

const FAST = { baseDelayMs: 10, maxDelayMs: 2000, timeoutMs: 1000, maxAttempts: 4 };

describe('deliver', () => {
  let slack;
  before(async () => (slack = await startMockSlack()));
  after(() => slack.close());
  beforeEach(() => slack.reset());

  test('2xx: delivered once each, in order, JSON as sent, over kept-alive connections', async () => {
    const before = slack.connections;
    const payloads = ['one', 'two', 'three', 'four', 'five', 'six'].map((text) => ({ text }));
    const outcomes = await deliverAll(payloads, { ...FAST, url: slack.url });
    assert.deepEqual(outcomes.map((o) => [o.status, o.attempts, o.httpStatus]), payloads.map(() => ['delivered', 1, 200]));
    assert.deepEqual(slack.payloads, payloads);
    assert.equal(slack.requests[0].headers['content-type'], 'application/json');
    // NOTE: undici hands a socket back to its pool a tick after the body is read, so consecutive
    // posts alternate between two kept-alive sockets rather than reuse exactly one.
    assert.ok(slack.connections - before <= 2, `keep-alive: ${slack.connections - before} connections for six posts`);
  });

  test('a string payload (formatBodies\' body) is posted byte for byte; an object as JSON.stringify gives it', async () => {
    // Text JSON.stringify would not give back: spaces, key order and an escaped slash.
    const body = '{ "text": "a\\/b",\n  "attachments": [] }';
    const outcomes = await deliverAll([body, { text: 'a/b' }], { ...FAST, url: slack.url });
    assert.deepEqual(outcomes.map((o) => o.status), ['delivered', 'delivered']);
    assert.deepEqual(slack.requests.map((r) => r.raw), [body, '{"text":"a/b"}']);
    assert.equal(slack.requests[0].headers['content-type'], 'application/json');
  });

  test('429: waits Retry-After, then succeeds', async () => {
    slack.setResponder((_, i) => (i === 0 ? { status: 429, body: 'rate_limited', headers: { 'retry-after': '1' } } : { status: 200 }));
    const o = await deliver({ text: 'x' }, { ...FAST, url: slack.url });
    assert.equal(o.status, 'delivered');
    assert.equal(o.attempts, 2);
    assert.ok(o.retries[0].waitMs >= 1000 && o.retries[0].waitMs <= 2000, `Retry-After plus at most 1 s of jitter, got ${o.retries[0].waitMs}`);
    const gap = slack.requests[1].at - slack.requests[0].at;
    assert.ok(gap >= 950, `second attempt ${gap} ms after the first`);
  });

  test('429: the jitter added to Retry-After comes from the random source, and the pacer is told', async () => {
    slack.setResponder((_, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 200 }));
    const told = [];
    const o = await deliver({ text: 'x' }, { ...FAST, url: slack.url, random: () => 0.25, rateLimitJitterMs: 400, onRateLimited: (ms) => told.push(ms) });
    assert.equal(o.status, 'delivered');
    assert.equal(o.retries[0].waitMs, 100);
    assert.deepEqual(told, [100]);
  });

  test('429s do not use up attempts while time remains; 5xx do', async () => {
    const answers = [429, 429, 429, 500, 429, 200];
    slack.setResponder((_, i) => ({ status: answers[i], headers: { 'retry-after': '0' } }));
    const o = await deliver({ text: 'x' }, { ...FAST, maxAttempts: 2, rateLimitJitterMs: 5, url: slack.url });
    assert.equal(o.status, 'delivered');
    assert.equal(o.attempts, 6);
    slack.reset();
    slack.setResponder((_, i) => ({ status: [429, 500, 500][i] ?? 200, headers: { 'retry-after': '0' } }));
    const failed = await deliver({ text: 'x' }, { ...FAST, maxAttempts: 2, rateLimitJitterMs: 5, url: slack.url });
    assert.deepEqual([failed.status, failed.attempts], ['failed', 3]);
    assert.match(failed.reason, /HTTP 500.*gave up after 3 attempts/);
  });

  test('beforeAttempt paces every POST and can refuse one for lack of time', async () => {
    slack.setResponder((_, i) => (i === 0 ? { status: 500 } : { status: 200 }));
    const asked = [];
    const o = await deliver({ text: 'x' }, { ...FAST, url: slack.url, beforeAttempt: async (latest) => (asked.push(latest), true) });
    assert.equal(o.status, 'delivered');
    assert.equal(asked.length, 2, 'once before the first POST and once before the retry');
    const refused = await deliver({ text: 'y' }, { ...FAST, url: slack.url, beforeAttempt: async () => false });
    assert.deepEqual([refused.status, refused.attempts, refused.reason], ['failed', 0, 'no time left to send']);
    assert.equal(slack.requests.length, 2, 'the refused payload was never posted');
  });

  test('429: Retry-After is capped by maxDelayMs', async () => {
    slack.setResponder((_, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '3600' } } : { status: 200 }));
    const o = await deliver({ text: 'x' }, { ...FAST, maxDelayMs: 50, url: slack.url });
    assert.equal(o.status, 'delivered');
    assert.equal(o.retries[0].waitMs, 50);
  });

  test('429: a Retry-After past the deadline gives up at once instead of waiting', async () => {
    slack.setResponder(() => ({ status: 429, headers: { 'retry-after': '20' } }));
    const started = Date.now();
    const o = await deliver({ text: 'x' }, { ...FAST, maxDelayMs: 30_000, deadline: Date.now() + 1500, url: slack.url });
    assert.equal(o.status, 'failed');
    assert.equal(o.attempts, 1);
    assert.match(o.reason, /HTTP 429.*no time left/);
    assert.ok(Date.now() - started < 500);
  });

  test('5xx: bounded exponential backoff, then failed', async () => {
    slack.setResponder(() => ({ status: 500, body: 'internal_error' }));
    const o = await deliver({ text: 'x' }, { ...FAST, url: slack.url });
    assert.equal(o.status, 'failed');
    assert.equal(o.attempts, 4);
    assert.equal(slack.requests.length, 4);
    assert.match(o.reason, /HTTP 500 internal_error \(gave up after 4 attempts\)/);
    // base 10 ms doubling with jitter in [step/2, step]: 5-10, 10-20, 20-40
    const waits = o.retries.map((r) => r.waitMs);
    waits.forEach((w, i) => assert.ok(w >= 5 * 2 ** i && w <= 10 * 2 ** i, `wait ${i} = ${w}`));
  });

  test('404 no_service: permanent, one attempt, Slack answer kept', async () => {
    slack.setResponder(() => ({ status: 404, body: 'no_service' }));
    const o = await deliver({ text: 'x' }, { ...FAST, url: slack.url });
    assert.deepEqual([o.status, o.attempts, o.httpStatus, o.response, o.permanent], ['failed', 1, 404, 'no_service', true]);
  });

  test('400 invalid_payload: permanent, one attempt', async () => {
    slack.setResponder(() => ({ status: 400, body: 'invalid_payload' }));
    const o = await deliver({ text: 'x' }, { ...FAST, url: slack.url });
    assert.deepEqual([o.status, o.attempts, o.response], ['failed', 1, 'invalid_payload']);
  });

  test('a server that never answers: per-request timeout, retries, done before the deadline', async () => {
    slack.setResponder(() => 'hang');
    const started = Date.now();
    const o = await deliver({ text: 'x' }, { ...FAST, timeoutMs: 300, maxAttempts: 10, deadline: started + 1200, url: slack.url });
    const took = Date.now() - started;
    assert.equal(o.status, 'failed');
    assert.ok(o.attempts >= 2, `attempts ${o.attempts}`);
    assert.match(o.retries[0].problem, /no answer within 300 ms/);
    assert.ok(took <= 1250, `took ${took} ms`);
  });

  test('a dropped connection is retried', async () => {
    slack.setResponder((_, i) => (i === 0 ? 'drop' : { status: 200 }));
    const o = await deliver({ text: 'x' }, { ...FAST, url: slack.url });
    assert.equal(o.status, 'delivered');
    assert.equal(o.attempts, 2);
    assert.match(o.retries[0].problem, /network error/);
  });

  test('connection refused: retried, then failed; nothing in the outcome shows the URL', async () => {
    const dead = await startMockSlack();
    const url = dead.url;
    await dead.close();
    const o = await deliver({ text: 'x' }, { ...FAST, maxAttempts: 2, url });
    assert.equal(o.status, 'failed');
    assert.match(o.reason, /ECONNREFUSED/);
    assertNoWebhookSecret(JSON.stringify(o), url);
  });

  test('redirects are not followed: the payload never goes to another address', async () => {
    const other = await startMockSlack();
    slack.setResponder(() => ({ status: 302, headers: { location: other.url } }));
    const o = await deliver({ text: 'x' }, { ...FAST, url: slack.url });
    await other.close();
    assert.deepEqual([o.status, o.attempts, o.permanent], ['failed', 1, true]);
    assert.equal(other.requests.length, 0);
  });

  test('a fractional deadline is fine (AbortSignal.timeout wants whole milliseconds)', async () => {
    const o = await deliver({ text: 'x' }, { ...FAST, timeoutMs: 999.5, deadline: Date.now() + 4032.1, url: slack.url });
    assert.deepEqual([o.status, o.attempts], ['delivered', 1]);
  });

  test('no attempt starts once the deadline is near', async () => {
    const o = await deliver({ text: 'x' }, { ...FAST, deadline: Date.now() + 50, url: slack.url });
    assert.deepEqual([o.status, o.attempts], ['failed', 0]);
    assert.equal(slack.requests.length, 0);
  });
});

describe('redaction and Retry-After (the URL checks: webhook-url.test.mjs)', () => {
  test('redactor removes the URL, its path and its long segments', () => {
    const url = 'https://hooks.slack.com/services/T0ABCDEFGH/B0ABCDEFGH/aBcDeFgH1jKlMnOpQrStUvWx';
    const r = createRedactor(url);
    const text = r(`POST ${url} failed; path /services/T0ABCDEFGH/B0ABCDEFGH/aBcDeFgH1jKlMnOpQrStUvWx; token aBcDeFgH1jKlMnOpQrStUvWx; ${encodeURIComponent(url)}`);
    assertNoWebhookSecret(text, url);
    assert.ok(!text.includes('aBcDeFgH1jKlMnOpQrStUvWx'));
  });

  test('Retry-After: seconds or HTTP date', () => {
    assert.equal(parseRetryAfter('2'), 2000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
  });
});

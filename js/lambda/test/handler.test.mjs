// The handler end to end, in a child process as the runtime runs it, against a mock Slack on
// 127.0.0.1: ordering, retries, give-ups, the outcome each event source expects, the log lines,
// and that no part of the webhook URL ever shows in anything the process prints.

import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatEvent } from 'sgnotify';
import { startMockSlack } from '../mock-slack.mjs';
import { fixture, snsEvent, sqsEvent, synthetic, toEventBridge } from '../fixtures.mjs';
import { assertNoWebhookSecret, invokeInChild, outcomeLines } from './helpers/child.mjs';

// Small waits so that the suite stays fast; the defaults are production values.
const FAST = { DELIVERY_RETRY_BASE_MS: '20', DELIVERY_MAX_ATTEMPTS: '3', DELIVERY_SAFETY_MARGIN_MS: '300' };

const MULTI = synthetic('synthetic__AuthorizeSecurityGroupIngress__multi-rule');
const MYSQL_WORLD = fixture('aws-spotlight__AuthorizeSecurityGroupIngress__1'); // two rules (0.0.0.0/0, ::/0)
const EGRESS = fixture('panther__AuthorizeSecurityGroupEgress__1');
const ROOT_EB = fixture('sg-change-alerting__AuthorizeSecurityGroupIngress__1'); // an EventBridge event

describe('handler', () => {
  let slack;
  const run = (events, { env = {}, timeoutMs } = {}) =>
    invokeInChild({ env: { SLACK_WEBHOOK_URL: slack.url, SLACK_WEBHOOK_ALLOWED_HOSTS: new URL(slack.url).host, ...FAST, ...env }, events, timeoutMs });
  const checkNoSecret = (r) => assertNoWebhookSecret(r.output, slack.url);

  before(async () => (slack = await startMockSlack()));
  after(() => slack.close());
  beforeEach(() => slack.reset());

  test('SNS event with several records and rules: every message delivered, in order, one log line each', async () => {
    const event = snsEvent([MULTI, MYSQL_WORLD, EGRESS]);
    const expected = formatEvent(event).messages;
    assert.ok(expected.length >= 6, `expected at least 6 messages, core gave ${expected.length}`);
    const r = await run([event]);
    checkNoSecret(r);
    assert.deepEqual(r.results[0].result, { messages: expected.length, delivered: expected.length, fallback: 0, alreadyDelivered: 0, dryRun: 0, failed: 0, skipped: 0, badRecords: 0 });
    assert.deepEqual(slack.payloads, expected.map((m) => m.payload));
    const lines = outcomeLines(r.logs);
    assert.equal(lines.length, expected.length);
    lines.forEach((l, i) => {
      assert.equal(l.status, 'delivered');
      assert.equal(l.attempts, 1);
      assert.equal(typeof l.ms, 'number');
      assert.equal(l.requestId, 'req-0');
      assert.deepEqual([l.eventId, l.eventName, l.severity, l.rule, l.index], [expected[i].eventId, expected[i].eventName, expected[i].severity, expected[i].summary, expected[i].index]);
    });
    assert.equal(r.stderr, '');
  });

  test('EventBridge event (direct target): delivered, resolves with counts', async () => {
    const r = await run([ROOT_EB]);
    checkNoSecret(r);
    const n = formatEvent(ROOT_EB).messages.length;
    assert.deepEqual(r.results[0].result, { messages: n, delivered: n, fallback: 0, alreadyDelivered: 0, dryRun: 0, failed: 0, skipped: 0, badRecords: 0 });
    assert.equal(slack.requests.length, n);
  });

  test('an odd peripheral field (userAgent an object) costs no message: delivered, the log line says what was unreadable', async () => {
    const odd = { ...structuredClone(MYSQL_WORLD), userAgent: { name: 'aws-cli' } };
    const r = await run([toEventBridge(odd)]);
    checkNoSecret(r);
    assert.equal(r.results[0].result?.delivered, 2, JSON.stringify(r.results));
    assert.ok(slack.payloads.every((p) => JSON.stringify(p).includes('(unreadable userAgent)')));
    const lines = outcomeLines(r.logs);
    assert.equal(lines.length, 2);
    for (const l of lines) assert.deepEqual(l.warnings, ['detail.userAgent: expected a string, found an object']);
  });

  test('429 with Retry-After: waits as told, retries, everything delivered', async () => {
    slack.setResponder((_, i) => (i === 0 ? { status: 429, body: 'rate_limited', headers: { 'retry-after': '1' } } : { status: 200 }));
    const event = snsEvent([MYSQL_WORLD]);
    const r = await run([event]);
    checkNoSecret(r);
    assert.equal(r.results[0].result.delivered, 2);
    assert.ok(slack.requests[1].at - slack.requests[0].at >= 950, 'second attempt at least Retry-After later');
    const [first, second] = outcomeLines(r.logs);
    assert.deepEqual([first.status, first.attempts], ['delivered', 2]);
    assert.ok(first.retries[0].waitMs >= 1000 && first.retries[0].waitMs <= 2000, 'Retry-After plus jitter');
    assert.deepEqual([second.status, second.attempts], ['delivered', 1]);
    assert.deepEqual(slack.payloads.slice(1), formatEvent(event).messages.map((m) => m.payload));
  });

  test('persistent 500: bounded retries per message, then the invocation fails saying why', async () => {
    slack.setResponder(() => ({ status: 500, body: 'internal_error' }));
    const event = snsEvent([MYSQL_WORLD]);
    const r = await run([event]);
    checkNoSecret(r);
    assert.equal(r.results[0].error.name, 'DeliveryError');
    assert.match(r.results[0].error.message, /2 of 2 Slack message\(s\) not delivered \(HTTP 500 internal_error \(gave up after 3 attempts\)\)/);
    assert.equal(slack.requests.length, 6, 'three attempts for each of the two messages');
    for (const l of outcomeLines(r.logs)) assert.deepEqual([l.status, l.attempts, l.httpStatus], ['failed', 3, 500]);
    assert.match(r.stderr, /DeliveryError/);
  });

  test('a Slack that never answers: the invocation fails before its time runs out', async () => {
    slack.setResponder(() => 'hang');
    const r = await run([snsEvent([MYSQL_WORLD])], { timeoutMs: 2500, env: { DELIVERY_MAX_ATTEMPTS: '10' } });
    checkNoSecret(r);
    assert.equal(r.results[0].error.name, 'DeliveryError');
    assert.ok(r.results[0].ms < 2500, `took ${r.results[0].ms} ms of 2500`);
    assert.match(r.results[0].error.message, /not delivered/);
    const lines = outcomeLines(r.logs);
    assert.equal(lines.length, 2, 'the second message is reported too, as not sent');
    assert.match(lines[0].reason, /no answer within/);
    assert.match(lines[1].reason, /no time left/);
  });

  test('a short timeout still leaves most of the time for Slack (the margin is at most a tenth)', async () => {
    // 1500 ms left, a 1000 ms margin would leave 500 ms for a Slack that takes 700: capped at 150, it fits.
    slack.setResponder(() => ({ status: 200, body: 'ok', delayMs: 700 }));
    const r = await run([toEventBridge(EGRESS)], { timeoutMs: 1500, env: { DELIVERY_SAFETY_MARGIN_MS: '1000' } });
    checkNoSecret(r);
    assert.equal(r.results[0].result?.delivered, 1, JSON.stringify(r.results));
  });

  test('nothing listening (connection refused): retried, fails, and the error text carries no URL', async () => {
    const dead = await startMockSlack();
    const url = dead.url;
    await dead.close();
    const r = await invokeInChild({ env: { SLACK_WEBHOOK_URL: url, SLACK_WEBHOOK_ALLOWED_HOSTS: new URL(url).host, ...FAST }, events: [toEventBridge(EGRESS)] });
    assertNoWebhookSecret(r.output, url);
    assert.match(r.results[0].error.message, /ECONNREFUSED.*gave up after 3 attempts/);
  });

  test('404 no_service: not retried, Slack\'s answer logged', async () => {
    slack.setResponder(() => ({ status: 404, body: 'no_service' }));
    const r = await run([toEventBridge(EGRESS)]);
    checkNoSecret(r);
    assert.equal(slack.requests.length, 1);
    const [line] = outcomeLines(r.logs);
    assert.deepEqual([line.status, line.attempts, line.httpStatus, line.slackResponse, line.permanent], ['failed', 1, 404, 'no_service', true]);
    assert.equal(line.level, 'ERROR');
    assert.match(r.results[0].error.message, /1 of 1 Slack message\(s\) not delivered \(HTTP 404 no_service\)/);
  });

  test('SQS batch with one failing record: exactly its messageId in batchItemFailures', async () => {
    const event = sqsEvent([MYSQL_WORLD, EGRESS, ROOT_EB]);
    const failing = formatEvent(toEventBridge(EGRESS)).messages.map((m) => m.payload.text);
    slack.setResponder((req) => (failing.includes(req.body.text) ? { status: 500, body: 'internal_error' } : { status: 200 }));
    const r = await run([event]);
    checkNoSecret(r);
    assert.deepEqual(r.results[0].result, { batchItemFailures: [{ itemIdentifier: event.Records[1].messageId }] });
    const delivered = slack.requests.filter((q) => !failing.includes(q.body.text)).map((q) => q.body);
    const expected = [...formatEvent(sqsEvent([MYSQL_WORLD])).messages, ...formatEvent(sqsEvent([ROOT_EB])).messages].map((m) => m.payload);
    assert.deepEqual(delivered, expected, 'the other records were delivered, in order');
    for (const l of outcomeLines(r.logs)) assert.ok(l.messageId, 'SQS outcome lines carry the messageId');
  });

  test('SQS batch with an unusable body: only that record fails, the others are delivered', async () => {
    const event = sqsEvent([MYSQL_WORLD, '{"this is": not json', EGRESS]);
    const r = await run([event]);
    checkNoSecret(r);
    assert.deepEqual(r.results[0].result, { batchItemFailures: [{ itemIdentifier: event.Records[1].messageId }] });
    assert.equal(slack.requests.length, formatEvent(sqsEvent([MYSQL_WORLD])).messages.length + formatEvent(sqsEvent([EGRESS])).messages.length);
    const bad = r.logs.find((l) => l.message === 'unusable record');
    assert.equal(bad.messageId, event.Records[1].messageId);
    assert.deepEqual([bad.index, bad.path], [1, 'Records[1].body'], 'the place in the batch, as its own field');
    assert.match(bad.error, /^Records\[1\]\.body: /);
  });

  test('an EventBridge event the core cannot read: nothing posted, the error and its path logged', async () => {
    // The real event with requestParameters of the wrong type (a number).
    const real = toEventBridge(EGRESS);
    const r = await run([{ ...real, detail: { ...real.detail, requestParameters: 5 } }]);
    checkNoSecret(r);
    assert.equal(slack.requests.length, 0);
    assert.equal(r.results[0].error.name, 'DeliveryError');
    const line = r.logs.find((l) => l.message === 'unusable event');
    assert.deepEqual([line.level, line.path], ['ERROR', 'detail.requestParameters']);
    assert.match(line.error, /^detail\.requestParameters: expected an object/);
  });

  test('malformed SNS message: a clear error, nothing posted', async () => {
    const r = await run([snsEvent(['{"version": "0", "detail-type": ']) ]);
    checkNoSecret(r);
    assert.equal(slack.requests.length, 0);
    const { error } = r.results[0];
    assert.equal(error.name, 'DeliveryError');
    assert.match(error.message, /Records\[0\]|unusable event/);
    assert.ok(r.logs.some((l) => l.level === 'ERROR'));
  });

  test('SNS batch with one unusable record: the good one is delivered, the invocation still fails', async () => {
    const r = await run([snsEvent([EGRESS, 'not json at all'])]);
    checkNoSecret(r);
    const n = formatEvent(toEventBridge(EGRESS)).messages.length;
    assert.equal(slack.requests.length, n);
    assert.match(r.results[0].error.message, /1 unusable record\(s\) \(Records\[1\]\.Sns\.Message: /);
    const bad = r.logs.find((l) => l.message === 'unusable record');
    assert.deepEqual([bad.index, bad.path], [1, 'Records[1].Sns.Message']);
  });

  test('an event that is not a security group change: skipped, nothing posted, not an error', async () => {
    const r = await run([synthetic('synthetic__RunInstances__not-a-security-group-change')]);
    checkNoSecret(r);
    assert.equal(slack.requests.length, 0);
    assert.deepEqual(r.results[0].result, { messages: 0, delivered: 0, fallback: 0, alreadyDelivered: 0, dryRun: 0, failed: 0, skipped: 1, badRecords: 0 });
    assert.equal(r.logs.find((l) => l.status === 'skipped').eventName, 'RunInstances');
  });

  test('DRY_RUN=1 without a webhook: payloads logged, nothing posted', async () => {
    const event = snsEvent([MYSQL_WORLD]);
    const r = await invokeInChild({ env: { DRY_RUN: '1' }, events: [event] });
    assert.equal(slack.requests.length, 0);
    assert.deepEqual(r.results[0].result, { messages: 2, delivered: 0, fallback: 0, alreadyDelivered: 0, dryRun: 2, failed: 0, skipped: 0, badRecords: 0 });
    assert.deepEqual(outcomeLines(r.logs).map((l) => l.payload), formatEvent(event).messages.map((m) => m.payload));
  });

  test('DRY_RUN=1 with a webhook set: still nothing posted', async () => {
    const r = await run([toEventBridge(EGRESS)], { env: { DRY_RUN: '1' } });
    checkNoSecret(r);
    assert.equal(slack.requests.length, 0);
    assert.equal(r.results[0].result.dryRun, 1);
  });

  test('settings reach the core: ACCOUNT_NAMES, TIMEZONE, LOCALE, SLACK_CHANNEL, MAX_MESSAGES_PER_EVENT', async () => {
    const options = { accounts: { 111122223333: 'demo-prod' }, timezone: 'Asia/Seoul', locale: 'ko', channel: '#sg-alerts', maxMessagesPerEvent: 1 };
    const env = { ACCOUNT_NAMES: JSON.stringify(options.accounts), TIMEZONE: 'Asia/Seoul', LOCALE: 'ko', SLACK_CHANNEL: '#sg-alerts', MAX_MESSAGES_PER_EVENT: '1' };
    const r = await run([MULTI], { env });
    checkNoSecret(r);
    assert.deepEqual(slack.payloads, formatEvent(MULTI, options).messages.map((m) => m.payload));
    assert.equal(slack.payloads[0].channel, '#sg-alerts');
    assert.match(JSON.stringify(slack.payloads), /demo-prod/);
  });

  test('two invocations in one container: both delivered', async () => {
    const r = await run([toEventBridge(EGRESS), toEventBridge(EGRESS)]);
    checkNoSecret(r);
    assert.equal(r.results.length, 2);
    assert.ok(r.results.every((x) => x.result?.failed === 0));
  });
});

// `make loadtest`: the real handler (index.mjs, as Lambda loads it) against a local Slack that
// enforces a rate limit with 429 + Retry-After, and moto's SQS and DynamoDB on 127.0.0.1. A
// benchmark, not a test: it prints a table (expected, delivered, duplicated, lost, DLQ, drain time
// against the floor) and exits 1 only if something was lost or posted twice.
//
// Scenarios: (1) a burst through the queue path, with one payload Slack rejects for good; (2) the
// same events sent to the queue again; (3) concurrent direct invocations with Lambda's two async
// retries. The event source mapping and the async retries are simulated here (see README).
// Events: the real fixtures of tests/fixtures/events, each copy given its own event id.
//
//   LOADTEST_EVENTS (300), LOADTEST_RATE (10 per second), LOADTEST_DIRECT_EVENTS (20),
//   LOADTEST_DIRECT_RATE (1 per second)

import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatBodies } from 'sgnotify';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startMockSlack } from '../mock-slack.mjs';
import { fixture, lambdaContext, toEventBridge } from '../fixtures.mjs';
import { setLogSink } from '../log.mjs';
import { fallbackPayload } from '../notify.mjs';
import { startMoto } from '../test/helpers/moto.mjs';

const num = (name, fallback) => Number(process.env[name] ?? fallback);
const EVENTS = num('LOADTEST_EVENTS', 300);
const RATE = num('LOADTEST_RATE', 10);
const DIRECT_EVENTS = num('LOADTEST_DIRECT_EVENTS', 20);
const DIRECT_RATE = num('LOADTEST_DIRECT_RATE', 1);
const QUEUE_TIMEOUT_MS = 5000; // the function timeout on the queue path
const DIRECT_TIMEOUT_MS = 20_000;
const RETRY_DELAYS_MS = [2000, 4000]; // Lambda waits about 1 and 2 minutes; scaled down
const MAX_RECEIVE_COUNT = 5;
const RUN_LIMIT_MS = 240_000; // every loop below stops by then

const FIXTURES = readdirSync(new URL('../../../tests/fixtures/events/', import.meta.url)).map((f) => f.replace(/\.json$/, ''));

function makeEvents(n, tag) {
  return Array.from({ length: n }, (_, i) => {
    const e = structuredClone(toEventBridge(fixture(FIXTURES[i % FIXTURES.length])));
    const id = `${tag}-${String(i).padStart(6, '0')}`;
    e.id = `eb-${id}`;
    e.detail.eventID = `loadtest-${id}`;
    return e;
  });
}

// The handler as a new Lambda instance: a fresh module, so its own config, pacer and clients.
let instances = 0;
async function newInstance(env) {
  Object.assign(process.env, env);
  instances += 1;
  return (await import(`../index.mjs?instance=${instances}`)).handler;
}

const logCounts = { lines: 0, fallback: 0, alreadyDelivered: 0, stateErrors: 0 };
setLogSink((line) => {
  logCounts.lines += 1;
  const l = JSON.parse(line);
  if (l.status === 'fallback') logCounts.fallback += 1;
  if (l.status === 'already-delivered') logCounts.alreadyDelivered += 1;
  if (l.stateError) logCounts.stateErrors += 1;
});

function tally(expectedBodies, slack, rate) {
  const want = new Map();
  for (const b of expectedBodies) want.set(b, (want.get(b) ?? 0) + 1);
  const got = new Map();
  const ok = slack.delivered;
  for (const r of ok) got.set(r.raw, (got.get(r.raw) ?? 0) + 1);
  let delivered = 0;
  let duplicated = 0;
  let lost = 0;
  let unexpected = 0;
  for (const [b, n] of want) {
    const g = got.get(b) ?? 0;
    delivered += Math.min(n, g);
    duplicated += Math.max(0, g - n);
    lost += Math.max(0, n - g);
  }
  for (const [b, g] of got) if (!want.has(b)) unexpected += g;
  const drainMs = ok.length ? ok.at(-1).at - ok[0].at : 0;
  const floorMs = (ok.length / rate) * 1000;
  return { expected: expectedBodies.length, delivered, duplicated: duplicated + unexpected, lost, rateLimited: slack.requests.filter((r) => r.status === 429).length, drainMs, floorMs };
}

async function main() {
  const started = Date.now();
  const slack = await startMockSlack({ rateLimit: { perSecond: RATE, burst: Math.max(2, Math.ceil(RATE)) } });
  const moto = await startMoto();
  const rows = [];
  try {
    Object.assign(process.env, moto.env);
    const ddb = new DynamoDBClient({});
    await ddb.send(new CreateTableCommand({ TableName: 'sgnotify-loadtest', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
    const sqs = new SQSClient({});
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'sgnotify-dlq' }))).QueueUrl;
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes.QueueArn;
    const queueUrl = (await sqs.send(new CreateQueueCommand({
      QueueName: 'sgnotify-events',
      Attributes: { VisibilityTimeout: String((6 * QUEUE_TIMEOUT_MS) / 1000), RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: MAX_RECEIVE_COUNT }) },
    }))).QueueUrl;
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes.QueueArn;
    const env = { SLACK_WEBHOOK_URL: slack.url, SLACK_WEBHOOK_ALLOWED_HOSTS: new URL(slack.url).host, STATE_TABLE: 'sgnotify-loadtest', DELIVERY_SAFETY_MARGIN_MS: '500' };
    const dlqCount = async () => Number((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes.ApproximateNumberOfMessages);

    const send = async (events) => {
      for (let i = 0; i < events.length; i += 10) {
        const Entries = events.slice(i, i + 10).map((e, j) => ({ Id: String(j), MessageBody: JSON.stringify(e) }));
        await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries }));
      }
    };
    // The event source mapping at MaximumConcurrency 1: one instance, batches of 10, the records
    // in batchItemFailures (or all of a batch whose invocation threw) stay for the visibility timeout.
    const drain = async (handler) => {
      let invocations = 0;
      let failedRecords = 0;
      while (Date.now() - started < RUN_LIMIT_MS) {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, AttributeNames: ['All'], WaitTimeSeconds: 0 }));
        if (!Messages.length) {
          const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes;
          if (Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible) === 0) break;
          await sleep(500);
          continue;
        }
        const event = {
          Records: Messages.map((m) => ({ messageId: m.MessageId, receiptHandle: m.ReceiptHandle, body: m.Body, attributes: m.Attributes, messageAttributes: {}, md5OfBody: m.MD5OfBody, eventSource: 'aws:sqs', eventSourceARN: queueArn, awsRegion: 'us-east-1' })),
        };
        invocations += 1;
        let failed;
        try {
          failed = new Set((await handler(event, lambdaContext(QUEUE_TIMEOUT_MS, `queue-${invocations}`))).batchItemFailures.map((f) => f.itemIdentifier));
        } catch {
          failed = new Set(Messages.map((m) => m.MessageId));
        }
        failedRecords += failed.size;
        const done = Messages.filter((m) => !failed.has(m.MessageId)).map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle }));
        if (done.length) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done }));
      }
      return { invocations, failedRecords };
    };

    // 1. The burst through the queue, one payload rejected for good.
    const burst = makeEvents(EVENTS, 'burst');
    const burstMessages = burst.flatMap((e) => formatBodies(e).messages);
    const rejected = burstMessages[7];
    const rejectedRaw = rejected.body;
    slack.setResponder((req) => (req.raw === rejectedRaw ? { status: 400, body: 'invalid_blocks' } : { status: 200 }));
    const expected = burstMessages.map((m) => (m === rejected ? JSON.stringify(fallbackPayload(m)) : m.body));
    const queueHandler = await newInstance({ ...env, SLACK_MAX_PER_SECOND: String(RATE) });
    await send(burst);
    let t = Date.now();
    const q1 = await drain(queueHandler);
    rows.push({ scenario: `queue burst, ${EVENTS} events, Slack ${RATE}/s, 1 payload rejected`, events: EVENTS, ...tally(expected, slack, RATE), dlq: await dlqCount(), ...q1, wallMs: Date.now() - t, fallback: logCounts.fallback });

    // 2. The same events again (SQS redelivery, a replay): nothing may be posted.
    const before = slack.requests.length;
    await send(burst);
    t = Date.now();
    const q2 = await drain(queueHandler);
    rows.push({ scenario: 'the same events redelivered', events: EVENTS, expected: 0, delivered: 0, duplicated: slack.requests.length - before, lost: 0, rateLimited: 0, drainMs: 0, floorMs: 0, dlq: await dlqCount(), ...q2, wallMs: Date.now() - t, skipped: logCounts.alreadyDelivered });

    // 3. Direct invocations, all at once, each on its own instance; a thrown invocation is retried
    //    twice by "Lambda" on a fresh instance, then counted as in the dead-letter queue.
    slack.reset();
    slack.setRateLimit({ perSecond: DIRECT_RATE, burst: Math.max(2, Math.ceil(DIRECT_RATE)) });
    const direct = makeEvents(DIRECT_EVENTS, 'direct');
    let directDlq = 0;
    let directInvocations = 0;
    let directFailures = 0;
    t = Date.now();
    await Promise.all(direct.map(async (e, i) => {
      for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt += 1) {
        if (attempt) await sleep(RETRY_DELAYS_MS[attempt - 1]);
        const handler = await newInstance({ ...env, SLACK_MAX_PER_SECOND: String(DIRECT_RATE) });
        directInvocations += 1;
        try {
          await handler(e, lambdaContext(DIRECT_TIMEOUT_MS, `direct-${i}-${attempt}`));
          return;
        } catch {
          directFailures += 1;
        }
      }
      directDlq += 1;
    }));
    const directExpected = direct.flatMap((e) => formatBodies(e).messages.map((m) => m.body));
    rows.push({ scenario: `${DIRECT_EVENTS} direct invocations at once, Slack ${DIRECT_RATE}/s, ${DIRECT_TIMEOUT_MS / 1000} s timeout, 2 async retries`, events: DIRECT_EVENTS, ...tally(directExpected, slack, DIRECT_RATE), dlq: directDlq, invocations: directInvocations, failedRecords: directFailures, wallMs: Date.now() - t });
  } finally {
    await slack.close();
    await moto.stop();
  }

  const s = (ms) => (ms / 1000).toFixed(1);
  // The goal: the last post within 1 s + 1.5 x floor of the first (floor = posts / Slack's rate).
  console.log('| scenario | expected | delivered | duplicated | lost | DLQ | invocations (failed) | 429s | drain s | floor s | drain/floor | ≤ 1 s + 1.5× floor |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const ratio = r.floorMs ? (r.drainMs / r.floorMs).toFixed(2) : '-';
    const met = r.floorMs ? (r.drainMs <= 1000 + 1.5 * r.floorMs ? 'yes' : 'no') : '-';
    console.log(`| ${r.scenario} | ${r.expected} | ${r.delivered} | ${r.duplicated} | ${r.lost} | ${r.dlq} | ${r.invocations} (${r.failedRecords}) | ${r.rateLimited} | ${s(r.drainMs)} | ${s(r.floorMs)} | ${ratio} | ${met} |`);
  }
  console.log(`\nfallback posts: ${logCounts.fallback}; messages skipped as already delivered: ${logCounts.alreadyDelivered}; state table errors: ${logCounts.stateErrors}; total ${s(Date.now() - started)} s`);
  const bad = rows.some((r) => r.lost || r.duplicated || (r.dlq && r.scenario.startsWith('queue')));
  process.exit(bad ? 1 : 0);
}

await main();

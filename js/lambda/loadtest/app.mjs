// `make loadtest`, Slack app mode: the real handler (index.mjs, as Lambda loads it) on several
// instances at once, against a mock of Slack's Web API that enforces a per-channel rate limit with
// 429 + Retry-After, and moto's DynamoDB as STATE_TABLE. A benchmark, not a test: it prints a table
// (threads expected and posted, replies expected, delivered, duplicated, lost, in a wrong thread)
// and exits 1 if anything was lost, duplicated or misplaced.
//
// The events: copies of real fixtures by four principals, each copy with its own event id, so a
// burst of several hundred changes by a few principals. They go as SQS batches of 10 to
// LOADTEST_APP_INSTANCES (4) instances pulling from one queue (records a handler reports as failed
// go back on it), then every record is delivered again.
//
//   LOADTEST_APP_EVENTS (300), LOADTEST_APP_RATE (Slack's limit per channel, 20 per second)

import { setTimeout as sleep } from 'node:timers/promises';
import { formatEvent, threadFacts } from 'sgnotify';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MOCK_BOT_TOKEN, startMockSlackApi } from '../mock-slack-api.mjs';
import { fixture, lambdaContext, sqsEvent, toEventBridge } from '../fixtures.mjs';
import { setLogSink } from '../log.mjs';
import { startMoto } from '../test/helpers/moto.mjs';

const num = (name, fallback) => Number(process.env[name] ?? fallback);
const EVENTS = num('LOADTEST_APP_EVENTS', 300);
const RATE = num('LOADTEST_APP_RATE', 20);
const INSTANCES = num('LOADTEST_APP_INSTANCES', 4);
const TIMEOUT_MS = 30_000;
const RUN_LIMIT_MS = 300_000;

// Four principals, each with changes within ten minutes of each other: four bursts.
const FIXTURES = [
  'aws-spotlight__RevokeSecurityGroupIngress__1', // role session wwalpha, 01:38:16
  'aws-spotlight__AuthorizeSecurityGroupIngress__1', // the same session, 01:42:59 (critical)
  'aws-spotlight__AuthorizeSecurityGroupEgress__1', // IAM user wwalpha
  'aws-spotlight__RevokeSecurityGroupEgress__1',
  'panther__AuthorizeSecurityGroupIngress__1', // TestAdmin/alan
  'panther__AuthorizeSecurityGroupIngress__3',
  'panther__AuthorizeSecurityGroupIngress__4', // tester
  'panther__AuthorizeSecurityGroupIngress__5',
];

function makeEvents(n) {
  return Array.from({ length: n }, (_, i) => {
    const e = structuredClone(toEventBridge(fixture(FIXTURES[i % FIXTURES.length])));
    e.id = `eb-app-${i}`;
    e.detail.eventID = `loadtest-app-${String(i).padStart(6, '0')}`;
    return e;
  });
}

let instances = 0;
async function newInstance(env) {
  Object.assign(process.env, env);
  instances += 1;
  return (await import(`../index.mjs?app-instance=${instances}`)).handler;
}

const logCounts = { alreadyDelivered: 0, waitedForParent: 0, stateErrors: 0, failed: 0 };
setLogSink((line) => {
  const l = JSON.parse(line);
  if (l.status === 'already-delivered') logCounts.alreadyDelivered += 1;
  if (l.status === 'failed') logCounts.failed += 1;
  if (l.stateError) logCounts.stateErrors += 1;
  if (/is posting this thread's parent: waiting/.test(l.message)) logCounts.waitedForParent += 1;
});

// The event id a reply is about: the core puts it in the message's context line.
const eventIdOf = (reply) => JSON.stringify(reply.attachments ?? reply.text).match(/loadtest-app-\d{6}/)?.[0];

function tally(events, api) {
  const expected = new Map(); // burst key -> [reply identity]
  for (const e of events) {
    const key = threadFacts(e)[0].key;
    const list = expected.get(key) ?? [];
    for (const m of formatEvent(e).messages) list.push(`${e.detail.eventID} ${m.payload.text}`);
    expected.set(key, list);
  }
  const threads = api.threads();
  const seen = new Map();
  let misplaced = 0;
  for (const { parent, replies } of threads) {
    const principal = parent.text.match(/changes by (.+?) · /)?.[1];
    for (const r of replies) {
      const id = `${eventIdOf(r)} ${r.text}`;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      const e = events.find((x) => x.detail.eventID === eventIdOf(r));
      if (!e || threadFacts(e)[0].principal !== principal) misplaced += 1;
    }
  }
  const want = [...expected.values()].flat();
  const delivered = want.filter((id) => seen.has(id)).length;
  const duplicated = [...seen.values()].reduce((k, n) => k + n - 1, 0) + [...seen.keys()].filter((id) => !want.includes(id)).length;
  const summaries = threads.map((t) => Number(t.parent.text.match(/Changes: (\d+)$/)?.[1]));
  const rightCounts = threads.every((t, i) => summaries[i] === t.replies.length);
  return { threadsExpected: expected.size, threads: threads.length, expected: want.length, delivered, duplicated, lost: want.length - delivered, misplaced, rightCounts, edits: api.messages.reduce((k, m) => k + m.edits.length, 0), broadcast: api.messages.filter((m) => m.reply_broadcast).length };
}

async function main() {
  const started = Date.now();
  const api = await startMockSlackApi({ perSecond: RATE });
  const moto = await startMoto();
  const rows = [];
  try {
    Object.assign(process.env, moto.env, { AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint });
    await new DynamoDBClient({}).send(new CreateTableCommand({ TableName: 'sgnotify-app-loadtest', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
    const env = {
      SLACK_BOT_TOKEN: MOCK_BOT_TOKEN, SLACK_CHANNEL: api.channel, SLACK_API_URL: api.url, STATE_TABLE: 'sgnotify-app-loadtest',
      // The instances share Slack's limit for the channel.
      SLACK_MAX_PER_SECOND: String(RATE / INSTANCES), DELIVERY_SAFETY_MARGIN_MS: '500',
    };
    const handlers = [];
    for (let i = 0; i < INSTANCES; i += 1) handlers.push(await newInstance(env));
    const events = makeEvents(EVENTS);

    // One queue, INSTANCES pollers; a failed record goes back on the queue.
    const run = async (records) => {
      const queue = [...records];
      let invocations = 0;
      let failedRecords = 0;
      let inFlight = 0;
      await Promise.all(handlers.map(async (handler, n) => {
        while (Date.now() - started < RUN_LIMIT_MS) {
          const batch = queue.splice(0, 10);
          if (!batch.length) {
            if (!inFlight) return;
            await sleep(100);
            continue;
          }
          inFlight += 1;
          invocations += 1;
          const event = sqsEvent(batch.map((e) => e.event));
          event.Records.forEach((r, i) => (r.messageId = batch[i].id));
          let failed;
          try {
            failed = new Set((await handler(event, lambdaContext(TIMEOUT_MS, `app-${n}-${invocations}`))).batchItemFailures.map((f) => f.itemIdentifier));
          } catch {
            failed = new Set(batch.map((b) => b.id));
          }
          failedRecords += failed.size;
          queue.push(...batch.filter((b) => failed.has(b.id)));
          inFlight -= 1;
        }
      }));
      return { invocations, failedRecords };
    };
    const records = events.map((event, i) => ({ id: `record-${i}`, event }));

    let t = Date.now();
    const first = await run(records);
    const firstPosts = api.messages.length;
    rows.push({ scenario: `${EVENTS} events by 4 principals, ${INSTANCES} instances, Slack ${RATE}/s per channel`, ...tally(events, api), ...first, rateLimited: api.requests.filter((r) => r.status === 429).length, wallMs: Date.now() - t });

    t = Date.now();
    const again = await run(records.map((r) => ({ ...r, id: `${r.id}-again` })));
    rows.push({ scenario: 'every record delivered again', ...tally(events, api), newPosts: api.messages.length - firstPosts, ...again, rateLimited: 0, wallMs: Date.now() - t });
  } finally {
    await api.close();
    await moto.stop();
  }

  const s = (ms) => (ms / 1000).toFixed(1);
  console.log('\nSlack app mode');
  console.log('| scenario | threads (expected) | replies expected | delivered | duplicated | lost | in a wrong thread | parent counts right | parent edits | broadcast | invocations (failed records) | 429s | wall s |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.scenario} | ${r.threads} (${r.threadsExpected}) | ${r.expected} | ${r.delivered} | ${r.duplicated} | ${r.lost} | ${r.misplaced} | ${r.rightCounts ? 'yes' : 'no'} | ${r.edits} | ${r.broadcast} | ${r.invocations} (${r.failedRecords}) | ${r.rateLimited} | ${s(r.wallMs)} |`);
  }
  console.log(`\nnew posts on redelivery: ${rows[1]?.newPosts}; skipped as already delivered: ${logCounts.alreadyDelivered}; waits for another instance's parent: ${logCounts.waitedForParent}; failed message outcomes (retried): ${logCounts.failed}; state table errors: ${logCounts.stateErrors}; total ${s(Date.now() - started)} s`);
  const bad = rows.some((r) => r.lost || r.duplicated || r.misplaced || !r.rightCounts || r.threads !== r.threadsExpected) || rows[1]?.newPosts;
  process.exit(bad ? 1 : 0);
}

await main();

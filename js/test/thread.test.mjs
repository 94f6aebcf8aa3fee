// threadFacts and threadSummary (Slack app mode) through the package by its name, as the Lambda
// uses them: the facts line up with formatEvent's messages, the summary crosses the boundary exactly
// as the reviewed Rust snapshot, errors are JS Errors naming the key, and the types check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatEvent, Formatter, threadFacts, threadSummary } from 'sgnotify';
import { fixture, snsEvent, sqsEvent } from '../lambda/fixtures.mjs';

const js = join(dirname(fileURLToPath(import.meta.url)), '..');
const REVOKE = fixture('aws-spotlight__RevokeSecurityGroupIngress__1');
const AUTHORIZE = fixture('aws-spotlight__AuthorizeSecurityGroupIngress__1');
const OTHER = fixture('panther__AuthorizeSecurityGroupEgress__1');

test('facts line up with the messages of an SNS batch, by record index', () => {
  const event = snsEvent([REVOKE, OTHER, AUTHORIZE]);
  const facts = threadFacts(event);
  assert.deepEqual(facts.map((f) => f.index), [0, 1, 2]);
  assert.equal(facts[0].key, facts[2].key, 'same role session, same account');
  assert.notEqual(facts[0].key, facts[1].key);
  assert.deepEqual(
    facts.map((f) => [f.eventId, f.group, f.time, f.epochSeconds]),
    [REVOKE, OTHER, AUTHORIZE].map((r) => [r.eventID, r.requestParameters.groupId, r.eventTime, Date.parse(r.eventTime) / 1000]),
  );
  const byIndex = new Map(facts.map((f) => [f.index, f]));
  for (const m of formatEvent(event).messages) assert.equal(byIndex.get(m.index).eventId, m.eventId);
  // SQS: the Lambda formats the whole batch, so each fact has its record's place in it.
  assert.deepEqual(threadFacts(sqsEvent([OTHER, REVOKE])).map((f) => [f.index, f.eventId]), [[0, OTHER.eventID], [1, REVOKE.eventID]]);
  assert.deepEqual(threadFacts(JSON.stringify(REVOKE)), threadFacts(REVOKE), 'JSON text and objects agree');
});

test('Formatter.formatBodiesWithFacts is formatBodies plus threadFacts, from one reading', () => {
  const options = { accounts: { 999999999999: 'sandbox' }, policy: { minSeverity: 'warning' } };
  const formatter = new Formatter(options);
  try {
    const bad = { ...REVOKE, requestParameters: 'not an object' };
    const other = { 'detail-type': 'EC2 Instance State-change Notification', source: 'aws.ec2', detail: {} };
    for (const event of [snsEvent([REVOKE, OTHER, AUTHORIZE]), sqsEvent([OTHER, bad, REVOKE]), REVOKE, JSON.stringify(AUTHORIZE), other]) {
      const { facts, ...rest } = formatter.formatBodiesWithFacts(event);
      assert.deepEqual(rest, formatter.formatBodies(event));
      assert.deepEqual(facts, threadFacts(event));
      assert.ok(!('facts' in formatter.formatBodies(event)), 'only when asked');
    }
    assert.deepEqual(formatter.formatBodiesWithFacts(sqsEvent([OTHER, bad, REVOKE])).facts.map((f) => f.index), [0, 2], 'the unreadable record has none');
    assert.deepEqual(formatter.formatBodiesWithFacts(other).facts, [], 'always a list when asked');
    assert.throws(() => formatter.formatBodiesWithFacts('{'), /^Error: input: invalid JSON/);
  } finally {
    formatter.free();
  }
});

test('the summary crosses the boundary exactly as the reviewed snapshot (tests/snapshots)', () => {
  const snap = readFileSync(join(js, '..', 'tests', 'snapshots', 'thread__thread_summary_en.snap'), 'utf8');
  const expected = JSON.parse(snap.slice(snap.indexOf('\n---\n') + 5));
  const facts = threadFacts(REVOKE)[0];
  const messages = [...formatEvent(REVOKE).messages, ...formatEvent(AUTHORIZE).messages];
  const burst = {
    account: facts.account,
    principal: facts.principal,
    principalType: facts.principalType,
    changes: messages.length,
    severity: messages.some((m) => m.severity === 'critical') ? 'critical' : 'warning',
    groups: [REVOKE, AUTHORIZE].map((r) => r.requestParameters.groupId),
    firstTime: REVOKE.eventTime,
    lastTime: AUTHORIZE.eventTime,
  };
  assert.deepEqual(threadSummary(burst, { accounts: { 999999999999: 'sandbox' } }), expected);
});

test('a bad burst or option throws an Error naming the key; the module keeps working', () => {
  assert.throws(() => threadSummary({ principal: 'a', changes: '3' }), (e) => e instanceof Error && e.message === 'burst.changes: expected a whole number ≥ 0, found a string');
  assert.throws(() => threadSummary({ principal: 'a', changes: 1 }, { locale: 'fr' }), /^Error: options\.locale: unknown locale/);
  assert.throws(() => threadFacts('{'), /^Error: input: invalid JSON/);
  assert.equal(threadSummary({ principal: 'a', changes: 1 }).blocks.length, 3);
});

test('a prepared Formatter gives the same summary and the same errors, with its options read once', () => {
  const options = { accounts: { 999999999999: 'sandbox' }, locale: 'ko', timezone: 'Asia/Seoul' };
  const burst = { account: '999999999999', principal: 'alice', changes: 3, severity: 'critical', groups: ['sg-1'], firstTime: REVOKE.eventTime, lastTime: AUTHORIZE.eventTime };
  const f = new Formatter(options);
  try {
    assert.deepEqual(f.threadSummary(burst), threadSummary(burst, options));
    assert.match(JSON.stringify(f.threadSummary(burst)), /sandbox/);
    assert.throws(() => f.threadSummary({ principal: 'a', changes: '3' }), (e) => e.message === 'burst.changes: expected a whole number ≥ 0, found a string' && e.path === 'burst.changes');
  } finally {
    f.free();
  }
});

test('require("sgnotify") has them too', () => {
  const cjs = createRequire(import.meta.url)('sgnotify');
  assert.equal(typeof cjs.threadFacts, 'function');
  assert.deepEqual(cjs.threadFacts(OTHER), threadFacts(OTHER));
});

test('the published types check under strict TypeScript, and misuse does not', () => {
  const project = mkdtempSync(join(js, '.tmp-thread-types-'));
  try {
    const tsc = join(js, 'node_modules', '.bin', 'tsc');
    const run = () => execFileSync(tsc, ['-p', '.'], { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022' } }));
    writeFileSync(
      join(project, 'good.mts'),
      `import { threadFacts, threadSummary, type Burst, type ThreadFacts, type ThreadSummary } from 'sgnotify';
       const f: ThreadFacts[] = threadFacts('{}');
       const first = f[0];
       const burst: Burst = { principal: first?.principal ?? 'x', account: first?.account, changes: 1, severity: 'critical', groups: [], groupCount: 0 };
       const s: ThreadSummary = threadSummary(burst, { timezone: 'Asia/Seoul' });
       const n: number | undefined = first?.epochSeconds;
       console.log(s.text, s.blocks.length, n, first?.key.length);`,
    );
    run();
    writeFileSync(join(project, 'bad.mts'), `import { threadSummary } from 'sgnotify';\nthreadSummary({ principal: 'x', changes: 1, severity: 'high' });\n`);
    assert.throws(run, (e) => /bad\.mts.*"high"/s.test(e.stdout));
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
});

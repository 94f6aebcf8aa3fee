// Hostile inputs through the package, as a user calls it: each gets a clear Error or a bounded
// result in bounded time, and the module keeps working afterwards. Inputs are synthetic, built
// here (js/bench/synthetic.mjs); the real fixture is only used to check the module still works.
// Needs `make build` first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatEvent } from 'sgnotify';
import { syntheticEvent } from '../bench/synthetic.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = readFileSync(
  join(here, '..', '..', 'tests', 'fixtures', 'events', 'aws-spotlight__AuthorizeSecurityGroupIngress__1.json'),
  'utf8',
);

/** Runs fn within `ms`, then checks a real fixture still formats. */
function bounded(ms, fn) {
  const start = performance.now();
  let out;
  let error;
  try {
    out = fn();
  } catch (e) {
    error = e;
  }
  const took = performance.now() - start;
  assert.ok(took < ms, `took ${took.toFixed(0)} ms, more than ${ms} ms`);
  assert.ok(formatEvent(fixture).messages.length > 0, 'the module still works');
  assert.ok(formatEvent(JSON.parse(fixture)).messages.length > 0, 'the module still works (object)');
  if (error) throw error;
  return out;
}

/** Asserts fn throws an Error (a real one, not a string) whose message matches `re`. */
function throwsClearly(ms, fn, re) {
  bounded(ms, () =>
    assert.throws(fn, (e) => {
      assert.ok(e instanceof Error, `an Error, got ${typeof e}: ${e}`);
      assert.match(e.message, re);
      assert.ok(!e.message.startsWith('Error:'), `no doubled prefix: ${e.message}`);
      assert.ok(e.message.length < 2048, `a short message (${e.message.length} chars)`);
      return true;
    }),
  );
}

const blockText = (payload) =>
  payload.attachments
    .flatMap((a) => a.blocks)
    .flatMap((b) => [b.text?.text ?? '', ...(b.fields ?? []).map((f) => f.text), ...(b.elements ?? []).map((e) => e.text)])
    .join('');

test('100,000 nested arrays as JSON text: a clear error', () => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  throwsClearly(2000, () => formatEvent(deep), /^input: invalid JSON: recursion limit exceeded/);
});

test('100,000 nested arrays as a JS object: a clear error', () => {
  let deep = [];
  for (let i = 0; i < 100_000; i++) deep = [deep];
  throwsClearly(2000, () => formatEvent(deep), /^input: /);
  let obj = {};
  for (let i = 0; i < 100_000; i++) obj = { detail: obj };
  throwsClearly(2000, () => formatEvent(obj), /^input: /);
});

test('deep nesting inside an SNS message string: that record fails, the batch does not', () => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  const out = bounded(2000, () =>
    formatEvent({ Records: [{ Sns: { Type: 'Notification', Message: deep } }, { Sns: { Type: 'Notification', Message: fixture } }] }),
  );
  assert.equal(out.errors.length, 1);
  assert.match(out.errors[0].message, /^Records\[0\]\.Sns\.Message: invalid JSON: recursion limit exceeded/);
  assert.ok(out.messages.length > 0);
});

test('a 10 MB event, as an object and as text: a bounded result', () => {
  const huge = '<!channel> & '.repeat(Math.ceil((10 * 1024 * 1024) / 13));
  const e = syntheticEvent(1);
  e.detail.requestParameters.ipPermissions.items[0].ipRanges.items[0].description = huge;
  e.detail.userAgent = huge;
  e.detail.errorCode = huge;
  e.detail.errorMessage = huge;
  e.detail.userIdentity.userName = huge;
  for (const input of [e, JSON.stringify(e)]) {
    const out = bounded(10_000, () => formatEvent(input));
    assert.equal(out.messages.length, 1);
    assert.ok(JSON.stringify(out).length < 64 * 1024, 'output bounded');
    assert.ok(!blockText(out.messages[0].payload).includes('<!channel>'));
  }
});

test('10,000 rules: every one listed, each message within Slack limits', () => {
  const out = bounded(10_000, () => formatEvent(syntheticEvent(10_000)));
  let listed = 0;
  for (const m of out.messages) {
    const blocks = m.payload.attachments.flatMap((a) => a.blocks);
    assert.ok(blocks.length <= 50);
    assert.ok([...blockText(m.payload)].length <= 12_000);
    for (const b of blocks) if (b.type === 'section' && b.text) listed += b.text.text.split('\n').filter((l) => l.startsWith('• ')).length;
  }
  assert.equal(listed, 10_000);
});

test('numbers, lists and objects where strings go', () => {
  const e = syntheticEvent(1);
  e.detail.eventID = 12345;
  e.detail.awsRegion = true;
  e.detail.requestParameters.ipPermissions.items[0].ipProtocol = 6;
  e.detail.requestParameters.ipPermissions.items[0].fromPort = '22';
  const out = bounded(1000, () => formatEvent(e));
  assert.equal(out.messages[0].eventId, '12345');

  const bad = syntheticEvent(1);
  bad.detail.requestParameters.ipPermissions.items[0].ipRanges.items = 'x';
  throwsClearly(1000, () => formatEvent(bad), /^detail\.requestParameters\.ipPermissions\.items\[0\]\.ipRanges\.items: expected a list, found a string$/);
  const worse = syntheticEvent(1);
  worse.detail.eventName = { a: 1 };
  throwsClearly(1000, () => formatEvent(worse), /^detail\.eventName: expected a string, found an object$/);
  for (const input of [42, true, null, undefined, [], '', 'null', '"x"']) {
    const run = () => formatEvent(input);
    if (Array.isArray(input)) bounded(1000, run);
    else throwsClearly(1000, run, /^input: /);
  }
});

test('invalid UTF-16 from JS: lone surrogates become U+FFFD, in objects and in text', () => {
  const e = syntheticEvent(1);
  e.detail.requestParameters.ipPermissions.items[0].ipRanges.items[0].description = 'a\ud800b\udfffc';
  e.detail.userIdentity.userName = '\udc00';
  for (const input of [e, JSON.stringify(e), JSON.stringify(e).replace('a\\ud800', 'a\ud800')]) {
    const out = bounded(1000, () => formatEvent(input));
    const text = blockText(out.messages[0].payload);
    assert.ok(text.includes('a\ufffdb\ufffdc'), text);
    assert.ok(!/[\ud800-\udfff]/.test(text.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')), 'no lone surrogate out');
  }
});

test('what JSON cannot hold: BigInt, cycles, functions, throwing getters', () => {
  const big = syntheticEvent(1);
  big.detail.eventID = 10n;
  throwsClearly(1000, () => formatEvent(big), /^input: cannot be read as JSON: .*BigInt/);
  const cyclic = syntheticEvent(1);
  cyclic.detail.self = cyclic;
  throwsClearly(1000, () => formatEvent(cyclic), /^input: cannot be read as JSON: .*circular/i);
  throwsClearly(1000, () => formatEvent(() => 1), /^input: /);
  const trap = { get detail() { throw new Error('boom'); } };
  throwsClearly(1000, () => formatEvent(trap), /^input: cannot be read as JSON: boom$/);
});

test('hostile options: clear errors', () => {
  throwsClearly(1000, () => formatEvent(fixture, { maxMessagesPerEvent: 1e308 }), /^options\.maxMessagesPerEvent: /);
  throwsClearly(1000, () => formatEvent(fixture, { timezone: 'x'.repeat(1 << 20) }), /^options\.timezone: unknown time zone/);
  throwsClearly(1000, () => formatEvent(fixture, { timezone: 5 }), /^options\.timezone: expected a string, found a number$/);
  throwsClearly(1000, () => formatEvent(fixture, { accounts: { 1: 10n } }), /^options: cannot be read as JSON: .*BigInt/);
  throwsClearly(1000, () => formatEvent(fixture, 'UTC'), /^options/);
});

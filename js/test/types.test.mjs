// The TypeScript types generated from src/wasm.rs (pkg/dist/*/sgnotify.d.ts) checked against what
// the core really returns: for every real fixture and every synthetic event, the output of
// formatEvent, formatBodies, threadFacts and threadSummary, the errors it throws and the errors[] of
// a batch are written as fresh, typed object literals and compiled with `tsc --strict`. Excess-
// property checks reject a key the types do not declare; strict mode a missing or mistyped one.
// Needs `make build` first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatBodies, formatEvent, Formatter, threadFacts, threadSummary } from 'sgnotify';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsc = join(root, 'js', 'node_modules', '.bin', 'tsc');
const DIRS = ['tests/fixtures/events', 'tests/fixtures/synthetic', 'js/lambda/test/events'];
const inputs = DIRS.flatMap((dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: `${dir}/${f}`, text: readFileSync(join(root, dir, f), 'utf8') })),
);
const real = (name) => inputs.find((i) => i.name === `tests/fixtures/events/${name}.json`).text;

// Every optional part of a message in use: account names with OU and tags, payload overrides, a
// route with a mention, a mute (skipped with a policy reason).
const RICH = {
  accounts: { 999999999999: { name: 'sandbox', ou: 'Root/Sandbox', tags: { env: 'dev' } }, 123456789012: 'prod-web' },
  timezone: 'Asia/Seoul',
  locale: 'ko',
  channel: '#sec-alerts',
  username: 'sgnotify',
  iconEmoji: ':shield:',
  policy: {
    mute: [{ principal: 'arn:aws:sts::*:assumed-role/ContinousDeployment/*' }],
    routes: [{ destination: 'sec', mention: '<!here>', match: { severity: ['critical'] } }],
  },
};

// A real record with a field of the wrong type (a warning), in a batch with two records that cannot
// be read (errors[]): the parts of Formatted that the fixtures alone do not produce.
function batchWithProblems() {
  const record = JSON.parse(real('aws-spotlight__AuthorizeSecurityGroupIngress__1'));
  return JSON.stringify({ Records: [{ ...record, userAgent: { not: 'a string' } }, 7, { eventName: 'AuthorizeSecurityGroupIngress', requestParameters: 5 }] });
}

const RANK = { info: 0, warning: 1, critical: 2 };

/** A TypeScript literal for a value, keeping `undefined`; anything but plain data is refused. */
function literal(v) {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (typeof v === 'number') {
    assert.ok(Number.isFinite(v), `a non-finite number in the output: ${v}`);
    return String(v);
  }
  if (Array.isArray(v)) return `[${v.map(literal).join(', ')}]`;
  assert.equal(Object.getPrototypeOf(v), Object.prototype, `not a plain object in the output: ${Object.prototype.toString.call(v)}`);
  return `{ ${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${literal(x)}`).join(', ')} }`;
}

/** What a thrown error carries: its name and its own properties (the stack aside). */
function thrown(fn) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof Error, 'the core throws Error instances');
    const own = Object.fromEntries(Object.getOwnPropertyNames(err).filter((k) => k !== 'stack').map((k) => [k, err[k]]));
    return { name: err.name, ...own };
  }
  assert.fail('expected a throw');
}

/** The source of one .ts file: every real output as a typed literal, against the types in `dts`. */
function typedOutputs(dts) {
  const lines = [
    `import type { Burst, Formatted, FormattedBodies, FormattedBodiesWithFacts, SgnotifyError, SlackPayload, ThreadFacts, ThreadSummary } from ${JSON.stringify(dts)};`,
  ];
  let n = 0;
  const add = (type, value) => lines.push(`export const v${(n += 1)}: ${type} = ${literal(value)};`);
  const cases = [...inputs, { name: 'batch with problems', text: batchWithProblems() }];
  for (const { text } of cases) {
    for (const options of [{}, RICH]) {
      const formatted = formatEvent(text, options);
      const bodies = formatBodies(text, options);
      add('Formatted', formatted);
      add('FormattedBodies', bodies);
      const formatter = new Formatter(options);
      add('FormattedBodiesWithFacts', formatter.formatBodiesWithFacts(text));
      formatter.free();
      for (const m of bodies.messages) add('SlackPayload', JSON.parse(m.body));
      // threadSummary of the burst these changes make, as app mode builds it.
      const facts = threadFacts(text);
      add('ThreadFacts[]', facts);
      if (facts.length && formatted.messages.length) {
        const times = facts.map((f) => f.time).filter(Boolean).sort();
        const groups = [...new Set(facts.map((f) => f.group).filter(Boolean))];
        const burst = {
          account: facts[0].account,
          principal: facts[0].principal,
          principalType: facts[0].principalType,
          changes: formatted.messages.length,
          severity: formatted.messages.map((m) => m.severity).reduce((a, b) => (RANK[b] > RANK[a] ? b : a)),
          groups,
          groupCount: groups.length,
          ...(times.length ? { firstTime: times[0], lastTime: times.at(-1) } : {}),
        };
        add('Burst', burst);
        add('ThreadSummary', threadSummary(burst, options));
      }
    }
  }
  for (const fn of [
    () => formatEvent('7'),
    () => formatBodies('{"Records": [', {}),
    () => formatEvent('{}', { timezone: 'Mars/Base' }),
    () => formatBodies(real('panther__AuthorizeSecurityGroupEgress__1'), { policy: { minSeverity: 'high' } }),
    () => threadSummary({ principal: 'a', changes: '3' }),
  ]) add('SgnotifyError', thrown(fn));
  return { source: `${lines.join('\n')}\n`, count: n };
}

test('every real output satisfies the declared types of both builds (node and web), under tsc --strict', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgnotify-types-'));
  try {
    const files = [];
    for (const build of ['node', 'web']) {
      const { source, count } = typedOutputs(join(root, 'pkg', 'dist', build, 'sgnotify.js'));
      assert.ok(count > 150, `${count} outputs checked`);
      writeFileSync(join(dir, `${build}.ts`), source);
      files.push(`${build}.ts`);
    }
    // The parts of the output the types must describe are all there (else the check proves little).
    const all = readFileSync(join(dir, 'web.ts'), 'utf8');
    for (const key of ['"warnings"', '"mention"', '"ruleIds"', '"channel"', '"icon_emoji"', '"path"', '"reason"', '"epochSeconds"', '"body"']) {
      assert.ok(all.includes(`${key}: `), `some output has ${key}`);
    }
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'esnext', moduleResolution: 'bundler', target: 'es2022', skipLibCheck: false }, files }),
    );
    try {
      execFileSync(tsc, ['-p', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      // The first problems are enough to see which type and which output disagree.
      assert.fail(`the declared types and the real output disagree:\n${String(err.stdout).split('\n').slice(0, 20).join('\n').slice(0, 4000)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('errors[] items and thrown errors carry a path; bodies are the payloads as JSON text', () => {
  const batch = formatEvent(batchWithProblems());
  assert.deepEqual(batch.errors.map((e) => [e.index, e.path]), [[1, 'Records[1]'], [2, 'Records[2].requestParameters']]);
  for (const e of batch.errors) assert.ok(e.message.startsWith(`${e.path}: `), e.message);
  assert.deepEqual(batch.messages[0].warnings?.map((w) => w.split(':')[0]), ['Records[0].userAgent']);
  assert.deepEqual(
    ['7', '{}'].map((t, i) => thrown(() => formatEvent(t, i ? { timezone: 'Mars/Base' } : {})).path),
    ['', 'options.timezone'],
  );
  for (const { text } of inputs) {
    const objects = formatEvent(text, RICH);
    const bodies = formatBodies(text, RICH);
    // The body is the payload as JSON text, written as ASCII (every other character escaped).
    assert.deepEqual(bodies.messages.map((m) => JSON.parse(m.body)), objects.messages.map((m) => m.payload));
    for (const m of bodies.messages) assert.match(m.body, /^[\x20-\x7e]*$/);
    assert.deepEqual(bodies.messages.map(({ body, ...rest }) => rest), objects.messages.map(({ payload, ...rest }) => rest));
  }
});

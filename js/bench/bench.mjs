// `make bench`: what formatEvent costs in Node, against the floor of one JSON round trip of the
// same event, and what the package costs to start and to ship. Prints one Markdown table.
//
//   node js/bench/bench.mjs [--rounds 20] [--quick]
//
// The package is imported by name, as a user does. The boundary variants (serde-wasm-bindgen in
// and out) come from a benchmark-only build (`--features bench`, target/bench-pkg/), which
// `make bench` builds; without it those rows are left out.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, brotliCompressSync, constants as zc } from 'node:zlib';
import { formatBodies, formatEvent } from 'sgnotify';
import { syntheticEvent } from './synthetic.mjs';
import { GOALS, measureCold, median } from './cold.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const ROUNDS = Number(args[args.indexOf('--rounds') + 1]) || (quick ? 5 : 20);
const ROUND_MS = quick ? 30 : 100;

const fixtureDir = join(root, 'tests', 'fixtures', 'events');
const fixtures = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ name: f, text: readFileSync(join(fixtureDir, f), 'utf8') }))
  .map((f) => ({ ...f, event: JSON.parse(f.text), compact: JSON.stringify(JSON.parse(f.text)) }));

const benchBuild = join(root, 'target', 'bench-pkg', 'sgnotify.js');
const variants = existsSync(benchBuild) ? createRequire(import.meta.url)(benchBuild) : null;

/** Median over ROUNDS of the mean µs per call of fn(input) over all inputs. */
function perCall(inputs, fn) {
  // Warm up for a round's time: V8 tiers wasm up from its baseline compiler by how much code ran,
  // so a few calls leave the first measured function on baseline code.
  const warm = process.hrtime.bigint() + BigInt(ROUND_MS * 1e6);
  while (process.hrtime.bigint() < warm) for (const x of inputs) fn(x);
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    let calls = 0;
    const start = process.hrtime.bigint();
    let now = start;
    const until = start + BigInt(ROUND_MS * 1e6);
    while (now < until) {
      for (const x of inputs) fn(x);
      calls += inputs.length;
      now = process.hrtime.bigint();
    }
    rounds.push(Number(now - start) / 1e3 / calls);
  }
  return median(rounds);
}

/** Like perCall for several functions, their rounds interleaved so that drift and GC fall on all alike. */
function interleaved(inputs, named) {
  for (const [, fn] of named) {
    const warm = process.hrtime.bigint() + BigInt(ROUND_MS * 1e6);
    while (process.hrtime.bigint() < warm) for (const x of inputs) fn(x);
  }
  const rounds = named.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    named.forEach(([, fn], k) => {
      let calls = 0;
      const start = process.hrtime.bigint();
      let now = start;
      const until = start + BigInt((ROUND_MS / 2) * 1e6);
      while (now < until) {
        for (const x of inputs) fn(x);
        calls += inputs.length;
        now = process.hrtime.bigint();
      }
      rounds[k].push(Number(now - start) / 1e3 / calls);
    });
  }
  return named.map(([name], k) => [name, median(rounds[k])]);
}

let sink = 0;
const keep = (v) => {
  sink ^= typeof v === 'object' && v !== null ? 1 : 0;
};

const rows = [];
const row = (what, value, vs = '', note = '') => rows.push([what, value, vs, note]);
const us = (x) => `${x.toFixed(1)} µs`;
const ratio = (x, floor) => `${(x / floor).toFixed(2)}×`;

// ---- warm: per event over all fixtures --------------------------------------------------------
const events = fixtures.map((f) => f.event);
const texts = fixtures.map((f) => f.compact);
// NOTE: the floor and the public calls are measured interleaved, round by round: this machine
// changes speed by a third from one minute to the next, and ratios must compare like with like.
const [[, floor], [, pubObject], [, pubText], [, pubBodies]] = interleaved(fixtures, [
  ['floor', (f) => keep(JSON.parse(JSON.stringify(f.event)))],
  ['object', (f) => keep(formatEvent(f.event))],
  ['text', (f) => keep(formatEvent(f.compact))],
  ['bodies', (f) => keep(formatBodies(f.compact))],
]);
const outSize = events.reduce((n, e) => n + JSON.stringify(formatEvent(e)).length, 0) / events.length;
const inSize = texts.reduce((n, t) => n + t.length, 0) / texts.length;

row(`**Warm, per event** (${fixtures.length} real fixtures, median of ${ROUNDS} interleaved rounds)`, '', '', '');
row('floor: `JSON.parse(JSON.stringify(event))`', us(floor), '1.00×', `event ${Math.round(inSize)} B of JSON on average`);
row('`formatEvent(object)` (public)', us(pubObject), ratio(pubObject, floor), `result ${Math.round(outSize)} B of JSON`);
row('`formatEvent(jsonText)` (public)', us(pubText), ratio(pubText, floor), 'goal ≤ 2× (aim 1×); e.g. an SNS Message or SQS body, unparsed');
row('`formatBodies(jsonText)` (public)', us(pubBodies), ratio(pubBodies, floor), 'each payload as the JSON text to POST (the Lambda)');

if (variants) {
  const paths = [
    ['in: JSON text (`JSON.stringify`, serde_json) · out: JSON text, `JSON.parse`', (e) => variants.benchFormatText(JSON.stringify(e), false)],
    ['in: JSON text · out: objects (serde-wasm-bindgen `json_compatible`)', (e) => variants.benchFormatText(JSON.stringify(e), true)],
    ['in: object (serde-wasm-bindgen) · out: JSON text, `JSON.parse`', (e) => variants.benchFormatObject(e, false)],
    ['in: object (serde-wasm-bindgen) · out: objects (serde-wasm-bindgen)', (e) => variants.benchFormatObject(e, true)],
  ];
  row('**Boundary paths** (same core, benchmark build; per event, all fixtures; rounds interleaved)', '', '', '');
  const times = interleaved(events, paths);
  const best = Math.min(...times.map(([, t]) => t));
  for (const [name, t] of times) row(name, us(t), ratio(t, floor), t === best ? 'fastest' : `${ratio(t, best)} the fastest`);
  const inRead = perCall(texts, (t) => keep(variants.benchReadOnly(t)));
  const inText = perCall(texts, (t) => keep(variants.benchParseOnly(t, false)));
  const inObj = perCall(events, (e) => keep(variants.benchParseOnly(e, true)));
  row('input alone: JSON text → typed, borrowed documents (the core\'s reading)', us(inRead), ratio(inRead, floor), '');
  row('input alone: JSON text → `serde_json::Value` (v1\'s reading)', us(inText), ratio(inText, floor), '');
  row('input alone: object → `serde_json::Value` via serde-wasm-bindgen', us(inObj), ratio(inObj, floor), '');
}

// ---- scaling ----------------------------------------------------------------------------------
row('**Scaling**: one event with N sources (synthetic), per source', '', '', '');
for (const n of [1, 10, 100, 1000]) {
  const e = syntheticEvent(n);
  for (const max of [10, 1000]) {
    const opts = { maxMessagesPerEvent: max };
    const [[, t], [, f]] = interleaved([e], [
      ['format', (x) => keep(formatEvent(x, opts))],
      ['floor', (x) => keep(JSON.parse(JSON.stringify(x)))],
    ]);
    const mode = n <= max ? 'one message per rule' : `grouped into ${formatEvent(e, opts).messages.length} messages`;
    row(`N = ${n}, maxMessagesPerEvent ${max}: ${mode}`, `${us(t / n)} / source`, ratio(t, f), `${us(t)} per event`);
  }
}
// Within one mode: per-source cost at N = 1,000 over that at N = 100 (1.00 is exactly linear),
// the two measured interleaved (the rows above each ran on their own, minutes apart).
const linearity = (max) => {
  const opts = { maxMessagesPerEvent: max };
  const [e100, e1000] = [syntheticEvent(100), syntheticEvent(1000)];
  const [[, t100], [, t1000]] = interleaved([0], [
    ['100', () => keep(formatEvent(e100, opts))],
    ['1000', () => keep(formatEvent(e1000, opts))],
  ]);
  return t1000 / 1000 / (t100 / 100);
};
row(
  'linearity: cost per source at N = 1,000 ÷ at N = 100',
  `${linearity(10).toFixed(2)} · ${linearity(1000).toFixed(2)}`,
  '',
  'grouped (max 10) · one message per rule (max 1000); 1.00 = linear',
);

// ---- cold start -------------------------------------------------------------------------------
const runs = quick ? 5 : 20;
const cold = measureCold(runs);
row(`**Cold start** (fresh \`node\`, median of ${runs} alternating runs)`, '', '', '');
row('bare node: read and `JSON.parse` the event', `${cold.bare.toFixed(1)} ms`, '', '');
row('node: import sgnotify, format the event', `${cold.full.toFixed(1)} ms`, '', '');
row('difference (median of pairwise differences)', `${cold.diff.toFixed(1)} ms`, '', `goal ≤ ${GOALS.diff} ms (aim 10); \`make bench-cold\` repeats it`);
row('in one process: `import(\'sgnotify\')`', `${cold.importMs.toFixed(1)} ms`, '', 'read, compile (lazily) and instantiate the wasm');
row('in one process: first `formatEvent`', `${cold.first.toFixed(1)} ms`, '', `goal ≤ ${GOALS.first} ms; V8 compiles each function on first use`);
row('in one process: second `formatEvent`', `${cold.second.toFixed(2)} ms`, '', '');

// ---- size -------------------------------------------------------------------------------------
const wasmPath = join(root, 'pkg', 'dist', 'node', 'sgnotify_bg.wasm');
const wasm = readFileSync(wasmPath);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const gz = (b) => gzipSync(b, { level: 9 }).length;
const br = (b) => brotliCompressSync(b, { params: { [zc.BROTLI_PARAM_QUALITY]: 11 } }).length;
row('**Size** of `pkg/dist/node/sgnotify_bg.wasm`', '', '', '');
row('raw', kb(wasm.length), '', '');
row('gzip -9', kb(gz(wasm)), '', `goal ≤ 246 KB (v1), every IANA zone; brotli ${kb(br(wasm))}`);
for (const s of wasmSections(wasm)) {
  if (s.size < 4096) continue;
  row(`· ${s.name} section`, kb(s.size), '', `${kb(gz(s.bytes))} gzipped alone`);
}

/** The sections of a wasm module (name, size, bytes). */
function wasmSections(b) {
  const names = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'elem', 'code', 'data', 'datacount'];
  const out = [];
  let p = 8;
  const leb = () => {
    let r = 0;
    let shift = 0;
    let x;
    do {
      x = b[p++];
      r += (x & 0x7f) * 2 ** shift;
      shift += 7;
    } while (x & 0x80);
    return r;
  };
  while (p < b.length) {
    const id = b[p++];
    const size = leb();
    out.push({ name: names[id] ?? `id ${id}`, size, bytes: b.subarray(p, p + size) });
    p += size;
  }
  return out;
}

// ---- print ------------------------------------------------------------------------------------
const cpu = (os.cpus()[0]?.model ?? 'unknown CPU').trim();
console.log(`\nsgnotify benchmark: ${cpu}, ${os.cpus().length} cores (nproc ${os.availableParallelism?.() ?? os.cpus().length}), Node ${process.version}, ${os.platform()} ${os.arch()}\n`);
console.log('| measure | value | × floor | note |');
console.log('|---|---:|---:|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
if (!variants) console.log('\n(boundary path rows need the benchmark build: `make bench` makes target/bench-pkg/)');
if (sink < 0) console.log(sink);

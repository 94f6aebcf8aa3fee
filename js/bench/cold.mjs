// Cold start of the package, by process: what `make bench` reports, and (run alone) the same
// measurement repeated, to show how often the cold goals hold on a machine whose speed varies.
//
//   node js/bench/cold.mjs [--repeat 10] [--runs 20]      (make bench-cold)
//
// One measurement: `runs` pairs of fresh `node` processes, alternating a bare script (read and
// JSON.parse an event) with the same script importing sgnotify and formatting the event; then
// `runs` processes that time, in one process, the import, the first and the second call.

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const fixtureDir = join(here, '..', '..', 'tests', 'fixtures', 'events');

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Medians in ms: bare node, node with sgnotify, their pairwise difference, and the in-process phases. */
export function measureCold(runs = 20) {
  const sample = join(fixtureDir, readdirSync(fixtureDir).filter((f) => f.endsWith('.json')).sort()[0]);
  const bare = `import { readFileSync } from 'node:fs'; JSON.parse(readFileSync(${JSON.stringify(sample)}, 'utf8'));`;
  const full = `import { readFileSync } from 'node:fs'; import { formatBodies, formatEvent } from 'sgnotify';
const r = formatEvent(JSON.parse(readFileSync(${JSON.stringify(sample)}, 'utf8'))); if (!r.messages.length) process.exit(1);`;
  const spawnMs = (code) => {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: here, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`cold start run failed (${r.status})`);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const bareMs = [];
  const fullMs = [];
  spawnMs(bare);
  spawnMs(full); // page cache
  for (let i = 0; i < runs; i++) {
    bareMs.push(spawnMs(bare));
    fullMs.push(spawnMs(full));
  }
  // In one process: the import alone, then the first and the second call (the first one pays for
  // V8 compiling, lazily, every wasm function it reaches).
  // node:fs is imported first: the first dynamic import also starts Node's ESM loader (about 4 ms
  // here), which any program pays whatever it imports.
  const phases = `const { readFileSync } = await import('node:fs');
const t0 = performance.now(); const { formatEvent } = await import('sgnotify'); const t1 = performance.now();
const e = JSON.parse(readFileSync(${JSON.stringify(sample)}, 'utf8'));
const t2 = performance.now(); formatEvent(e); const t3 = performance.now(); formatEvent(e); const t4 = performance.now();
console.log(JSON.stringify([t1 - t0, t3 - t2, t4 - t3]));`;
  const inProcess = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', phases], { cwd: here, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cold start run failed (${r.status}): ${r.stderr}`);
    inProcess.push(JSON.parse(r.stdout));
  }
  const phase = (k) => median(inProcess.map((p) => p[k]));
  return {
    bare: median(bareMs),
    full: median(fullMs),
    diff: median(fullMs.map((t, i) => t - bareMs[i])),
    importMs: phase(0),
    first: phase(1),
    second: phase(2),
  };
}

export const GOALS = { diff: 15, first: 5 };

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
  const repeat = opt('--repeat', 10);
  const runs = opt('--runs', 20);
  const ms = (x, digits = 1) => `${x.toFixed(digits)} ms`;
  console.log(`| # | bare node | import + first call over bare (≤ ${GOALS.diff} ms) | import | first call (≤ ${GOALS.first} ms) |`);
  console.log('|---:|---:|---:|---:|---:|');
  const all = [];
  for (let i = 1; i <= repeat; i++) {
    const c = measureCold(runs);
    all.push(c);
    const mark = (x, goal) => `${ms(x, 2)}${x <= goal ? '' : ' ✗'}`;
    console.log(`| ${i} | ${ms(c.bare)} | ${mark(c.diff, GOALS.diff)} | ${ms(c.importMs)} | ${mark(c.first, GOALS.first)} |`);
  }
  const met = (k) => all.filter((c) => c[k] <= GOALS[k]).length;
  console.log(`\n${repeat} measurements of ${runs} runs each: import + first call ≤ ${GOALS.diff} ms in ${met('diff')}, first call ≤ ${GOALS.first} ms in ${met('first')}, both in ${all.filter((c) => c.diff <= GOALS.diff && c.first <= GOALS.first).length}.`);
}

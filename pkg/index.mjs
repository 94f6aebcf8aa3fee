// Node.js (import): wasm-bindgen's ES-module build (dist/web), compiled synchronously here from the
// file beside it, so the module is ready on import as with require(). NOTE: not the CommonJS build
// through createRequire: starting Node's CommonJS loader from an ES module costs about 1.5 ms of
// every cold start (js/bench/README.md). A program that both imports and requires sgnotify gets two
// instances of the core; nothing the core returns refers to its instance.
import { readFileSync } from 'node:fs';
import { initSync } from './dist/web/sgnotify.js';

initSync({ module: readFileSync(new URL('./dist/web/sgnotify_bg.wasm', import.meta.url)) });

export { formatEvent, formatBodies, Formatter, threadFacts, threadSummary } from './dist/web/sgnotify.js';
/** A no-op in Node.js: the module is ready on import. Browsers must await it. */
export default async function init() {}

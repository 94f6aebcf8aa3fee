// Node.js (import): the same synchronous build as index.cjs, as an ES module.
import { createRequire } from 'node:module';

const core = createRequire(import.meta.url)('./dist/node/sgnotify.js');

export const formatEvent = core.formatEvent;
export const formatBodies = core.formatBodies;
export const Formatter = core.Formatter;
export const threadFacts = core.threadFacts;
export const threadSummary = core.threadSummary;
/** A no-op in Node.js: the module is ready on import. Browsers must await it. */
export default async function init() {}

// Browsers (ES module): `import init, { formatEvent } from 'sgnotify'; await init();`
export { default, initSync, formatEvent, formatBodies, Formatter, threadFacts, threadSummary } from './dist/web/sgnotify.js';

// Types for require('sgnotify'): the Node.js build's own declarations (CommonJS).
export * from './dist/node/sgnotify.js';
/** A no-op in Node.js: the module is ready on require. */
declare function init(): Promise<void>;
export default init;

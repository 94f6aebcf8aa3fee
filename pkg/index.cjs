'use strict';
// Node.js (require): wasm-bindgen's nodejs build compiles the module synchronously on load,
// so no init() call is needed. init() exists anyway so that isomorphic code can always await it.
const core = require('./dist/node/sgnotify.js');

module.exports = {
  formatEvent: core.formatEvent,
  formatBodies: core.formatBodies,
  Formatter: core.Formatter,
  threadFacts: core.threadFacts,
  threadSummary: core.threadSummary,
  default: async function init() {},
};

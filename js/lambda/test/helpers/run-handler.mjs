// Child-process side of helpers/child.mjs: imports <dir>/index.mjs, invokes its handler with each
// event read from stdin, and writes one JSON line per invocation to fd 3 (stdout and stderr stay
// the handler's own). Errors are also printed to stderr the way the Lambda runtime logs them.

import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const report = (obj) => writeSync(3, `${JSON.stringify(obj)}\n`);
const printError = (err) =>
  console.error(JSON.stringify({ errorType: err?.name, errorMessage: err?.message, stackTrace: String(err?.stack ?? '').split('\n') }));

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { events, timeoutMs } = JSON.parse(input);

let mod;
try {
  mod = await import(pathToFileURL(join(process.argv[2], 'index.mjs')).href);
} catch (err) {
  printError(err);
  report({ importError: { name: err?.name, message: err?.message } });
  process.exit(0);
}

for (const [i, event] of events.entries()) {
  const deadline = Date.now() + timeoutMs;
  const context = { awsRequestId: `req-${i}`, functionName: 'sgnotify', getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
  const started = Date.now();
  try {
    const result = await mod.handler(event, context);
    report({ result, ms: Date.now() - started });
  } catch (err) {
    printError(err);
    report({ error: { name: err?.name, message: err?.message }, ms: Date.now() - started });
  }
}
// Keep-alive sockets would hold the process open; the runtime freezes it instead.
process.exit(0);

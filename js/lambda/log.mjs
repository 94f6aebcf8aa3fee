// Structured logs: one JSON object per line on stdout, which CloudWatch Logs Insights reads as is.
// Written to stdout directly (not console.log) so that the runtime adds no prefix to the line.
// Every line passes through the redactors, the last guard that keeps the webhook URL out of logs.

const redactors = [];
let context = {};
let sink = (line) => process.stdout.write(`${line}\n`);

/** Registers a text -> text function applied to every line (e.g. createRedactor(url)). */
export function addRedactor(fn) {
  redactors.push(fn);
}

/** Replaces where lines go (the demo and tests capture them); returns the previous sink. */
export function setLogSink(fn) {
  const previous = sink;
  sink = fn;
  return previous;
}

/** Fields added to every line until the next call, e.g. { requestId }. */
export function setLogContext(fields) {
  context = { ...fields };
}

/** Applies every registered redactor to a text. */
export function redact(text) {
  return redactors.reduce((s, fn) => fn(s), String(text));
}

function write(level, message, fields) {
  const entry = { timestamp: new Date().toISOString(), level, message, ...context, ...fields };
  sink(redact(JSON.stringify(entry, (_, v) => (v instanceof Error ? errorFields(v) : v))));
}

/** An Error as loggable fields: name, message, code; never its cause chain, which may hold request details. */
export function errorFields(err) {
  return { name: err.name, message: redact(err.message), ...(err.code ? { code: err.code } : {}) };
}

export const log = {
  info: (message, fields) => write('INFO', message, fields),
  warn: (message, fields) => write('WARN', message, fields),
  error: (message, fields) => write('ERROR', message, fields),
};

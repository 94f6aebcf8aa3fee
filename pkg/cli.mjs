#!/usr/bin/env node
// sgnotify's command line: preview the Slack messages for an event, or send them to a webhook with
// the same delivery code as the Lambda (sgnotify/deliver).

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatBodies, formatEvent } from './dist/web/node.mjs';
import { createRedactor, deliverAll, parseWebhookUrl } from './deliver.mjs';

const HELP = `Usage:
  sgnotify preview <event.json | -> [options]   print the Slack payloads as JSON
  sgnotify send    <event.json | -> [options]   post them to $SLACK_WEBHOOK_URL, in order

The event is any input the Lambda gets: an EventBridge event, an SNS or SQS Lambda event, a raw
CloudTrail record or a CloudTrail log file ({"Records": [...]}). "-" reads standard input.

Options:
  --timezone ZONE       IANA time zone for event times (default UTC), e.g. Asia/Seoul
  --locale en|ko        labels language (default en)
  --accounts FILE       JSON object of account id -> name or {name, ou, tags},
                        e.g. {"111122223333": "prod", "444455556666": {"name": "web", "ou": "Root/Prod"}}
  --policy FILE         JSON policy: minSeverity, mute, routes (destination, mention), trustedCidrs,
                        sensitivePorts (see the package README); preview shows each message's
                        destination and the changes the policy held back (send posts every
                        message to $SLACK_WEBHOOK_URL, naming its destination)
  --max-messages N      most messages per event; more rules are grouped (default 10)
  --color-scheme S      colour bar: severity (default) or action (removals red, others dark blue)
  --channel C, --username U, --icon-emoji E    payload overrides
  --full                preview: print everything formatEvent returns (severity, summary, skipped, errors)
  --timeout-ms N        send: one request's timeout (default 10000)
  -h, --help            this help

send accepts https URLs on hooks.slack.com and hooks.slack-gov.com; SLACK_WEBHOOK_ALLOWED_HOSTS
(comma list of host or host:port) adds hosts, and plain http to a loopback host:port named there.

Exit status: 0 done; 1 unusable event, bad record or message not delivered; 2 usage error.`;

class UsageError extends Error {}

// NOTE: never process.exit() after writing: to a pipe, stdout is written asynchronously, and exit
// would cut off whatever the reader has not taken yet. Set the status and let the output drain.
function fail(code, message) {
  process.stderr.write(`sgnotify: ${message}\n`);
  if (code === 2) process.stderr.write('Try "sgnotify --help".\n');
  process.exitCode = code;
}

function readInput(file) {
  try {
    return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file === '-' ? 'standard input' : file}: ${err.code ?? err.message}`);
  }
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} is not valid JSON: ${err.message}`);
  }
}

function options(values) {
  const o = {};
  if (values.timezone) o.timezone = values.timezone;
  if (values.locale) o.locale = values.locale;
  if (values['color-scheme']) o.colorScheme = values['color-scheme'];
  if (values.channel) o.channel = values.channel;
  if (values.username) o.username = values.username;
  if (values['icon-emoji']) o.iconEmoji = values['icon-emoji'];
  if (values.accounts) {
    const accounts = parseJson(readInput(values.accounts), `--accounts ${values.accounts}`);
    if (!accounts || typeof accounts !== 'object' || Array.isArray(accounts)) throw new UsageError('--accounts: expected a JSON object of account id -> name');
    o.accounts = accounts;
  }
  if (values.policy) {
    const policy = parseJson(readInput(values.policy), `--policy ${values.policy}`);
    if (!policy || typeof policy !== 'object' || Array.isArray(policy)) throw new UsageError('--policy: expected a JSON object');
    o.policy = policy;
  }
  if (values['max-messages'] !== undefined) {
    const n = Number(values['max-messages']);
    if (!Number.isInteger(n) || n < 1) throw new UsageError('--max-messages: expected a whole number of at least 1');
    o.maxMessagesPerEvent = n;
  }
  return o;
}

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        timezone: { type: 'string' },
        locale: { type: 'string' },
        accounts: { type: 'string' },
        policy: { type: 'string' },
        'max-messages': { type: 'string' },
        'color-scheme': { type: 'string' },
        channel: { type: 'string' },
        username: { type: 'string' },
        'icon-emoji': { type: 'string' },
        full: { type: 'boolean' },
        'timeout-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(err.message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [command, file, ...extra] = positionals;
  if (!command) throw new UsageError('missing command: preview or send');
  if (command !== 'preview' && command !== 'send') throw new UsageError(`unknown command "${command}": expected preview or send`);
  if (!file) throw new UsageError(`${command}: missing the event file (or - for standard input)`);
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);

  // Checked before reading anything, so that a bad setup fails fast.
  let url;
  if (command === 'send') {
    if (!process.env.SLACK_WEBHOOK_URL) throw new UsageError('send: set SLACK_WEBHOOK_URL to the incoming webhook URL');
    try {
      url = parseWebhookUrl(process.env.SLACK_WEBHOOK_URL, 'SLACK_WEBHOOK_URL', { allowedHosts: process.env.SLACK_WEBHOOK_ALLOWED_HOSTS });
    } catch (err) {
      throw new UsageError(err.message);
    }
  }
  let timeoutMs;
  if (values['timeout-ms'] !== undefined) {
    timeoutMs = Number(values['timeout-ms']);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError('--timeout-ms: expected a whole number of milliseconds');
  }

  const opts = options(values);
  const source = file === '-' ? 'standard input' : file;
  const text = readInput(file);
  let event;
  try {
    event = JSON.parse(text);
  } catch (err) {
    process.stderr.write(`sgnotify: ${source} is not valid JSON: ${err.message}\n`);
    return 1;
  }
  // send posts the core's JSON text as is; preview prints objects for people to read.
  let formatted;
  try {
    formatted = (command === 'send' ? formatBodies : formatEvent)(event, opts);
  } catch (err) {
    process.stderr.write(`sgnotify: cannot format ${source}: ${err.message}\n`);
    return 1;
  }
  for (const s of formatted.skipped) process.stderr.write(`skipped: record ${s.index ?? 0}${s.eventName ? ` ${s.eventName}` : ''}: ${s.reason}\n`);
  for (const e of formatted.errors) process.stderr.write(`error: record ${e.index}: ${e.message}\n`);

  if (command === 'preview') {
    const total = formatted.messages.length;
    formatted.messages.forEach((m, i) => {
      const mention = m.mention ? ` ${m.mention}` : '';
      process.stderr.write(`message ${i + 1}/${total} -> ${m.destination}${mention} [${m.severity}] ${m.summary}\n`);
    });
    const out = values.full ? formatted : formatted.messages.map((m) => m.payload);
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return formatted.errors.length ? 1 : 0;
  }

  const redact = createRedactor(url);
  const total = formatted.messages.length;
  const outcomes = await deliverAll(formatted.messages.map((m) => m.body), { url, timeoutMs }, (o, i) => {
    const m = formatted.messages[i];
    const how = `${o.attempts} attempt${o.attempts === 1 ? '' : 's'}, ${o.ms} ms`;
    const line = o.status === 'delivered'
      ? `sent ${i + 1}/${total} [${m.severity}] ${m.summary} (${how}${m.destination === 'default' ? '' : `; policy destination ${m.destination}`})`
      : `NOT SENT ${i + 1}/${total} [${m.severity}] ${m.summary}: ${o.reason} (${how})`;
    process.stderr.write(`${redact(line)}\n`);
  });
  const failed = outcomes.filter((o) => o.status !== 'delivered').length;
  process.stderr.write(`${total - failed} of ${total} message(s) delivered\n`);
  return failed || formatted.errors.length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => fail(err instanceof UsageError ? 2 : 1, err.message),
);

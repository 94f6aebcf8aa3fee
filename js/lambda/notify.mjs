// The handler's work: format the event with the core, deliver each message in order, log one line
// per message outcome, and turn the outcome into what the event source understands (resolve, throw,
// or an SQS partial batch response). Messages come as the core's ready-to-post JSON text (`body`,
// from formatBodies): a webhook gets it byte for byte, without a parse and a stringify per message.

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { deliver } from 'sgnotify/deliver';
import { createPacer } from './pacing.mjs';
import { createStateStore, messageKeys } from './state.mjs';

/** A message is not started with less time than this before the deadline: it comes back instead. */
export const MIN_POST_MS = 1000;

/** Thrown when something was not delivered or a record was unusable, so the event is retried / kept in a DLQ. */
export class DeliveryError extends Error {
  constructor(message, counts) {
    super(message);
    this.name = 'DeliveryError';
    this.counts = counts;
  }
}

/**
 * @param {ReturnType<import('./config.mjs').readConfig>} config
 * @param {{ formatBodies: Function, Formatter?: Function,
 *   resolveWebhook: (remainingMs?: number, options?: { force?: boolean, destination?: string }) => Promise<URL|undefined>,
 *   log: typeof import('./log.mjs').log, setLogContext?: Function, stateStore?: ReturnType<typeof createStateStore>,
 *   app?: ReturnType<typeof import('./app.mjs').createApp> }} deps app: Slack app mode (threads) instead of a webhook;
 *   Formatter: the core's prepared formatter, so that the options (every account of the
 *   organisation, the policy) are read once per invocation, not once per record; app mode needs it
 *   (the thread facts and summaries come from it)
 */
export function createHandler(config, { formatBodies, Formatter, resolveWebhook, log, setLogContext, stateStore, app }) {
  const { safetyMarginMs, ...deliveryOptions } = config.delivery;
  const scale = config.scale ?? { perSecond: 1, burst: 2 };
  // One pacer per container: it remembers the posts of earlier invocations of this instance.
  const pacer = createPacer(scale);
  const instance = randomUUID();
  let owner = instance;
  const state = stateStore ?? (scale.stateTable ? createStateStore({ tableName: scale.stateTable, owner: () => owner }) : undefined);

  return async function handler(event, context) {
    setLogContext?.(context?.awsRequestId ? { requestId: context.awsRequestId } : {});
    owner = `${instance}:${context?.awsRequestId ?? randomUUID()}`;
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : Infinity;
    // Read once: the budget is fixed at the start. The margin shrinks for short timeouts so that
    // a 3 s function still gets most of its time for Slack.
    const margin = Math.min(safetyMarginMs, Math.floor(remaining / 10));
    const deadline = Date.now() + remaining - margin;
    const url = config.dryRun ? undefined : await resolveWebhook(remaining - margin);
    // App mode adds the channel itself (the Web API's argument): it must not be in the body too.
    const formatOptions = app ? withoutChannel(config.formatOptions) : config.formatOptions;
    const prepared = prepare(Formatter, formatOptions);
    let format = (input) => formatBodies(input, formatOptions);
    // App mode also needs each change's thread facts: the core gives them from the same reading.
    if (prepared) format = app ? (input) => prepared.formatBodiesWithFacts(input) : (input) => prepared.formatBodies(input);
    const run = {
      config,
      format,
      formatter: prepared,
      log,
      resolveWebhook,
      pacer,
      state,
      deadline,
      // The invocation cannot outlive its timeout: after that (and a little clock skew) its claims are free.
      claimUntil: Date.now() + (Number.isFinite(remaining) ? remaining : 900_000) + 5000,
      urls: new Map([['default', url]]),
      deliveryOptions: { ...deliveryOptions, deadline },
      stopped: false,
      app,
    };
    try {
      return await (isSqsEvent(event) ? handleSqs(event, run) : handleEvent(event, run));
    } finally {
      prepared?.free();
    }
  };
}

// Options the core refuses make no prepared formatter: formatting then fails with the core's own
// message, as without one (an event throws; an SQS batch comes back whole).
function prepare(Formatter, options) {
  if (!Formatter) return undefined;
  try {
    return new Formatter(options);
  } catch {
    return undefined;
  }
}

function withoutChannel({ channel, ...options }) {
  return options;
}

function isSqsEvent(event) {
  return Array.isArray(event?.Records) && event.Records.length > 0 && event.Records.every((r) => r?.eventSource === 'aws:sqs');
}

// EventBridge (direct target), SNS, or anything else the core reads: one outcome for the invocation.
async function handleEvent(event, run) {
  const { log } = run;
  let formatted;
  try {
    formatted = run.format(event);
  } catch (err) {
    log.error('unusable event', { status: 'error', path: err.path, error: err.message });
    throw new DeliveryError(`sgnotify: unusable event, nothing sent: ${err.message}`, { messages: 0, delivered: 0, failed: 0, badRecords: 1 });
  }
  logSkipped(formatted, log);
  const outcomes = await sendAll(formatted.messages, run, { facts: factsByIndex(formatted) });
  await run.app?.finish(run);
  for (const e of formatted.errors) log.error('unusable record', { status: 'error', index: e.index, path: e.path, error: e.message });

  const failed = outcomes.filter((o) => o.status === 'failed');
  const counts = {
    messages: formatted.messages.length,
    delivered: outcomes.filter((o) => o.status === 'delivered').length,
    fallback: outcomes.filter((o) => o.status === 'fallback').length,
    alreadyDelivered: outcomes.filter((o) => o.status === 'already-delivered').length,
    dryRun: outcomes.filter((o) => o.status === 'dry-run').length,
    failed: failed.length,
    skipped: formatted.skipped.length,
    badRecords: formatted.errors.length,
  };
  log.info('invocation done', { counts });
  if (failed.length || formatted.errors.length) {
    const parts = [];
    if (failed.length) parts.push(`${failed.length} of ${counts.messages} Slack message(s) not delivered (${distinct(failed.map((o) => o.reason))})`);
    if (formatted.errors.length) parts.push(`${formatted.errors.length} unusable record(s) (${distinct(formatted.errors.map((e) => e.message))})`);
    throw new DeliveryError(`sgnotify: ${parts.join('; ')}`, counts);
  }
  return counts;
}

// SQS: the batch is formatted in one call (messages, skips and errors carry their record's index
// and path in the batch), then delivered record by record, so that exactly the failed records
// are reported and retried.
async function handleSqs(event, run) {
  const { log } = run;
  const batchItemFailures = [];
  const counts = { records: event.Records.length, messages: 0, delivered: 0, fallback: 0, alreadyDelivered: 0, dryRun: 0, failed: 0, skipped: 0, badRecords: 0 };
  let all;
  try {
    all = run.format(event);
  } catch (err) {
    // Options the core refuses (no prepared formatter then), or an event no SQS delivery
    // produces (lists nested deeper than the core reads, outside the bodies): every record comes
    // back, for SQS to redeliver and in the end move to the DLQ; none is parked as unusable.
    log.error('unusable SQS batch: every record comes back', { status: 'error', records: counts.records, path: err.path, error: err.message });
    counts.badRecords = counts.records;
    log.info('invocation done', { counts, batchItemFailures: event.Records.map((r) => r.messageId) });
    return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
  }
  const facts = factsByIndex(all);
  const [messages, skipped, errors] = [byIndex(all.messages), byIndex(all.skipped), byIndex(all.errors)];
  for (const [index, record] of event.Records.entries()) {
    const messageId = record.messageId;
    const formatted = { messages: messages.get(index) ?? [], skipped: skipped.get(index) ?? [], errors: errors.get(index) ?? [] };
    logSkipped(formatted, log, { index, messageId });
    const outcomes = await sendAll(formatted.messages, run, { index, messageId, facts });
    for (const e of formatted.errors) log.error('unusable record', { status: 'error', index, messageId, path: e.path, error: e.message });

    counts.messages += formatted.messages.length;
    counts.delivered += outcomes.filter((o) => o.status === 'delivered').length;
    counts.fallback += outcomes.filter((o) => o.status === 'fallback').length;
    counts.alreadyDelivered += outcomes.filter((o) => o.status === 'already-delivered').length;
    counts.dryRun += outcomes.filter((o) => o.status === 'dry-run').length;
    const failed = outcomes.filter((o) => o.status === 'failed').length;
    counts.failed += failed;
    counts.skipped += formatted.skipped.length;
    counts.badRecords += formatted.errors.length;
    // A record no retry can make readable goes straight to the DLQ (kept there for replay), when
    // nothing else in it failed; if parking fails, it comes back like any failure.
    const parked = !failed && formatted.errors.length > 0 && (await parkUnusable(record, formatted.errors, run, { index, messageId }));
    if (parked) counts.parked = (counts.parked ?? 0) + 1;
    if (failed || (formatted.errors.length && !parked)) batchItemFailures.push({ itemIdentifier: messageId });
  }
  await run.app?.finish(run);
  log.info('invocation done', { counts, batchItemFailures: batchItemFailures.map((f) => f.itemIdentifier) });
  return { batchItemFailures };
}

/** Items of the core's result (messages, skips, errors) by the index of their record. */
function byIndex(items) {
  const out = new Map();
  for (const item of items) {
    const list = out.get(item.index);
    if (list) list.push(item);
    else out.set(item.index, [item]);
  }
  return out;
}

/** App mode: the thread facts the core gave with the messages, by record index. */
function factsByIndex(formatted) {
  return formatted.facts ? new Map(formatted.facts.map((f) => [f.index, f])) : undefined;
}

let sqsClient;

async function parkUnusable(record, errors, run, where) {
  const queueUrl = run.config.scale?.deadLetterQueueUrl;
  if (!queueUrl) return false;
  const error = errors.map((e) => e.message).join('; ').slice(0, 250);
  try {
    // NOTE: the Lambda runtime ships the AWS SDK v3; imported only when a record needs parking.
    const { SQSClient, SendMessageCommand } = await import('@aws-sdk/client-sqs');
    sqsClient ??= new SQSClient({});
    const fifo = queueUrl.endsWith('.fifo');
    await sqsClient.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: record.body,
        MessageAttributes: { 'sgnotify-error': { DataType: 'String', StringValue: error } },
        ...(fifo ? { MessageGroupId: 'unusable', MessageDeduplicationId: record.messageId } : {}),
      }),
      { abortSignal: AbortSignal.timeout(Math.max(1, Math.min(5000, Math.floor(run.deadline - Date.now())))) },
    );
    run.log.error('unusable record parked in the dead-letter queue', { status: 'parked', ...where, error });
    return true;
  } catch (err) {
    run.log.error('unusable record could not be parked: it comes back through the queue', { status: 'error', ...where, error: `${err?.name}: ${err?.message}`.slice(0, 300) });
    return false;
  }
}

async function sendAll(messages, run, where) {
  const outcomes = [];
  const keys = run.state ? messageKeys(messages) : [];
  for (const [i, m] of messages.entries()) {
    const about = {
      eventId: m.eventId,
      eventName: m.eventName,
      severity: m.severity,
      rule: m.summary,
      ...(m.ruleIds?.length ? { ruleIds: m.ruleIds } : {}),
      ...(m.warnings?.length ? { warnings: m.warnings } : {}),
      ...(m.destination && m.destination !== 'default' ? { destination: m.destination } : {}),
      ...(where.messageId !== undefined ? { messageId: where.messageId, index: where.index } : { index: m.index }),
    };
    if (run.config.dryRun) {
      run.log.info('dry run: message not sent', { ...about, status: 'dry-run', attempts: 0, ms: 0, payload: JSON.parse(m.body) });
      outcomes.push({ status: 'dry-run' });
      continue;
    }
    const o = await sendOne(m, m.eventId ? keys[i] : undefined, run, where.facts);
    const fields = {
      ...about,
      ...(m.destination !== undefined ? { destination: m.destination } : {}),
      status: o.status,
      attempts: o.attempts,
      ms: o.ms,
      ...(o.httpStatus !== undefined ? { httpStatus: o.httpStatus } : {}),
      ...(o.status !== 'delivered' && o.response ? { slackResponse: o.response } : {}),
      ...(o.reason ? { reason: o.reason } : {}),
      ...(o.permanent ? { permanent: true } : {}),
      ...(o.rotated ? { rotated: true } : {}),
      ...(o.retries?.length ? { retries: o.retries } : {}),
      ...(o.stateError ? { stateError: o.stateError } : {}),
      ...(o.thread ? { thread: o.thread, ...(o.parentPosted ? { parentPosted: true } : {}), ...(o.broadcast ? { broadcast: true } : {}) } : {}),
    };
    if (o.status === 'delivered') run.log.info('slack message delivered', fields);
    else if (o.status === 'already-delivered') run.log.info('already delivered by an earlier attempt: not posted again', fields);
    else if (o.status === 'fallback') run.log.error('slack rejected the message; a plain-text fallback was posted instead', fields);
    else run.log.error('slack message not delivered', fields);
    outcomes.push(o);
  }
  return outcomes;
}

// One message: claim its key, post it (paced), and settle the claim by what happened.
async function sendOne(m, key, run, facts) {
  const destination = m.destination ?? 'default';
  if (run.stopped) return { status: 'failed', attempts: 0, ms: 0, reason: 'no time left to send' };
  // App mode posts to its channel: no webhook to resolve.
  if (!run.app && !run.urls.has(destination)) {
    // Another destination's webhook (routing): read once per invocation, through the same resolver.
    try {
      run.urls.set(destination, await run.resolveWebhook(run.deadline - Date.now(), { destination }));
    } catch (err) {
      return { status: 'failed', attempts: 0, ms: 0, reason: `no webhook for destination "${destination}": ${err?.message ?? err}` };
    }
  }
  if (!run.app && !run.urls.get(destination)) return { status: 'failed', attempts: 0, ms: 0, reason: `no webhook for destination "${destination}"` };
  let claimed = false;
  let stateError;
  if (run.state && key) {
    const c = await run.state.claim(key, run.claimUntil);
    if (c === 'delivered') return { status: 'already-delivered', attempts: 0, ms: 0 };
    if (c === 'busy') return { status: 'failed', attempts: 0, ms: 0, reason: 'claimed by another invocation that is posting it (or died: its claim expires with that invocation\'s timeout)' };
    // The table cannot say whether it went out: post anyway, a rare duplicate beats a lost alert.
    if (c === 'unavailable') stateError = run.state.lastError;
    claimed = c === 'claimed';
  }
  // App mode posts into the burst's thread and does its own fallback (Slack answers 200 ok:false).
  let o = run.app ? await run.app.send(m, key, run, facts) : await post(m.body, destination, run, true);
  if (!run.app && o.status === 'failed' && o.permanent && isRevokedWebhook(o)) o = await retryWithRotatedWebhook(o, m.body, destination, run);
  if (!run.app && o.status === 'failed' && o.permanent && o.httpStatus === 400) o = await postFallback(o, m, destination, run);
  if (claimed) {
    if (o.status === 'delivered' || o.status === 'fallback') {
      if (!(await run.state.markDelivered(key))) stateError = run.state.lastError;
    } else {
      await run.state.release(key);
    }
  }
  return stateError ? { ...o, stateError } : o;
}

/**
 * The hooks that put one post through the instance's pacer (webhooks here, the Web API in app.mjs).
 * `first`: a new message needs MIN_POST_MS left at its paced start; once one cannot get that, no
 * further message starts in this invocation (what is left comes back through the retry).
 */
export function pacedHooks(run, destination, first) {
  let starting = first;
  return {
    beforeAttempt: async (latest) => {
      const wait = run.pacer.reserve(destination, starting ? run.deadline - MIN_POST_MS : latest);
      if (wait === undefined) {
        if (starting) run.stopped = true;
        return false;
      }
      starting = false;
      if (wait > 0) await sleep(wait);
      return true;
    },
    onRateLimited: (ms) => run.pacer.pause(destination, ms),
  };
}

// `payload`: the core's JSON text, or an object (the plain-text fallback).
function post(payload, destination, run, first) {
  return deliver(payload, { ...run.deliveryOptions, url: run.urls.get(destination), ...pacedHooks(run, destination, first) });
}

// A webhook Slack says is gone (revoked, uninstalled, rotated): read the source again, and if it
// now holds another URL, retry this message once with it (issue 10).
const isRevokedWebhook = (o) => o.httpStatus === 410 || (o.httpStatus === 404 && /no_service/.test(o.response ?? '')) || (o.httpStatus === 403 && /invalid_token/.test(o.response ?? ''));

async function retryWithRotatedWebhook(o, body, destination, run) {
  let fresh;
  try {
    fresh = await run.resolveWebhook(run.deadline - Date.now(), { force: true, destination });
  } catch (err) {
    run.log.warn('could not read the webhook again after Slack refused it', { destination, error: err?.message });
    return o;
  }
  const current = run.urls.get(destination);
  if (!fresh || String(fresh) === String(current)) return o;
  run.urls.set(destination, fresh);
  run.log.info('webhook replaced at its source: retrying once with the new one', { destination, httpStatus: o.httpStatus });
  const again = await post(body, destination, run, false);
  return { ...again, attempts: o.attempts + again.attempts, ms: o.ms + again.ms, retries: [...o.retries, ...again.retries], rotated: true };
}

// Slack refused the rich payload itself (invalid_blocks, invalid_payload, invalid_attachments...):
// post once a plain text that still says what changed, and count the message as handled.
async function postFallback(o, m, destination, run) {
  const f = await post(fallbackPayload(m), destination, run, false);
  const rejected = { httpStatus: o.httpStatus, response: o.response, reason: o.reason, permanent: true };
  if (f.status === 'delivered') return { ...rejected, status: 'fallback', attempts: o.attempts + f.attempts, ms: o.ms + f.ms, retries: o.retries };
  return { ...f, attempts: o.attempts + f.attempts, ms: o.ms + f.ms, reason: `${o.reason}; the plain-text fallback failed too: ${f.reason}` };
}

const escapeSlack = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The plain-text stand-in for a payload Slack rejected: the change, the event id, the CloudTrail link.
 * `m` is a message of formatBodies; its body is parsed only here, on this rare path.
 */
export function fallbackPayload(m) {
  const link = m.body.match(/https:\/\/[^\s"|<>]*\/cloudtrailv2\/[^\s"|<>]*/)?.[0];
  const lines = [
    `${escapeSlack(m.summary)}`,
    `Event ${escapeSlack(m.eventId ?? 'unknown')} (${escapeSlack(m.eventName ?? 'unknown')}, ${escapeSlack(m.severity ?? 'unknown')})${link ? ` · <${link}|Open in CloudTrail>` : ''}`,
    '_Slack rejected the formatted message for this change; this is its plain-text form._',
  ];
  const p = JSON.parse(m.body);
  return {
    text: lines.join('\n'),
    ...(p.channel ? { channel: p.channel } : {}),
    ...(p.username ? { username: p.username } : {}),
    ...(p.icon_emoji ? { icon_emoji: p.icon_emoji } : {}),
  };
}

function logSkipped(formatted, log, where = {}) {
  for (const s of formatted.skipped) {
    log.info(s.reason?.startsWith('policy:') ? 'left out by the policy: skipped' : 'not a security group change: skipped', { status: 'skipped', eventId: s.eventId, eventName: s.eventName, reason: s.reason, index: where.index ?? s.index, ...(where.messageId ? { messageId: where.messageId } : {}) });
  }
}

function distinct(reasons) {
  const unique = [...new Set(reasons)];
  return unique.length > 3 ? `${unique.slice(0, 3).join('; ')}; and ${unique.length - 3} more` : unique.join('; ');
}

// The handler's work: format the event with the core, deliver each message in order, log one line
// per message outcome, and turn the outcome into what the event source understands (resolve, throw,
// or an SQS partial batch response).

import { deliver } from 'sgnotify/deliver';

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
 * @param {{ formatEvent: Function, resolveWebhook: (remainingMs?: number) => Promise<URL|undefined>,
 *   log: typeof import('./log.mjs').log, setLogContext?: Function }} deps
 */
export function createHandler(config, { formatEvent, resolveWebhook, log, setLogContext }) {
  const { safetyMarginMs, ...deliveryOptions } = config.delivery;

  return async function handler(event, context) {
    setLogContext?.(context?.awsRequestId ? { requestId: context.awsRequestId } : {});
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : Infinity;
    // Read once: the budget is fixed at the start. The margin shrinks for short timeouts so that
    // a 3 s function still gets most of its time for Slack.
    const margin = Math.min(safetyMarginMs, Math.floor(remaining / 10));
    const deadline = Date.now() + remaining - margin;
    const url = config.dryRun ? undefined : await resolveWebhook(remaining - margin);
    const run = { config, deliveryOptions: { ...deliveryOptions, url, deadline }, formatEvent, log, resolveWebhook };
    return isSqsEvent(event) ? handleSqs(event, run) : handleEvent(event, run);
  };
}

function isSqsEvent(event) {
  return Array.isArray(event?.Records) && event.Records.length > 0 && event.Records.every((r) => r?.eventSource === 'aws:sqs');
}

// EventBridge (direct target), SNS, or anything else the core reads: one outcome for the invocation.
async function handleEvent(event, run) {
  const { log } = run;
  let formatted;
  try {
    formatted = run.formatEvent(event, run.config.formatOptions);
  } catch (err) {
    log.error('unusable event', { status: 'error', error: err.message });
    throw new DeliveryError(`sgnotify: unusable event, nothing sent: ${err.message}`, { messages: 0, delivered: 0, failed: 0, badRecords: 1 });
  }
  logSkipped(formatted, log);
  const outcomes = await sendAll(formatted.messages, run, {});
  for (const e of formatted.errors) log.error('unusable record', { status: 'error', index: e.index, error: e.message });

  const failed = outcomes.filter((o) => o.status === 'failed');
  const counts = {
    messages: formatted.messages.length,
    delivered: outcomes.filter((o) => o.status === 'delivered').length,
    dryRun: outcomes.filter((o) => o.status === 'dry-run').length,
    failed: failed.length,
    skipped: formatted.skipped.length,
    badRecords: formatted.errors.length,
  };
  log.info('invocation done', { counts });
  if (failed.length || formatted.errors.length) {
    const parts = [];
    if (failed.length) parts.push(`${failed.length} of ${counts.messages} Slack message(s) not delivered (${distinct(failed.map((o) => o.reason))})`);
    if (formatted.errors.length) parts.push(`${formatted.errors.length} unusable record(s) (${distinct(formatted.errors.map((e) => (e.message.startsWith('Records[') ? e.message : `Records[${e.index}]: ${e.message}`)))})`);
    throw new DeliveryError(`sgnotify: ${parts.join('; ')}`, counts);
  }
  return counts;
}

// SQS: each record on its own, so that exactly the failed ones are reported and retried.
async function handleSqs(event, run) {
  const { log } = run;
  const batchItemFailures = [];
  const counts = { records: event.Records.length, messages: 0, delivered: 0, dryRun: 0, failed: 0, skipped: 0, badRecords: 0 };
  for (const [index, record] of event.Records.entries()) {
    const messageId = record.messageId;
    let formatted;
    try {
      formatted = run.formatEvent({ Records: [record] }, run.config.formatOptions);
    } catch (err) {
      formatted = { messages: [], skipped: [], errors: [{ index: 0, message: err.message }] };
    }
    logSkipped(formatted, log, { index, messageId });
    const outcomes = await sendAll(formatted.messages, run, { index, messageId });
    // Each record was formatted alone, as Records[0]: say which record of the batch it really is.
    for (const e of formatted.errors) log.error('unusable record', { status: 'error', index, messageId, error: e.message.replace(/^Records\[0\]/, `Records[${index}]`) });

    counts.messages += formatted.messages.length;
    counts.delivered += outcomes.filter((o) => o.status === 'delivered').length;
    counts.dryRun += outcomes.filter((o) => o.status === 'dry-run').length;
    const failed = outcomes.filter((o) => o.status === 'failed').length;
    counts.failed += failed;
    counts.skipped += formatted.skipped.length;
    counts.badRecords += formatted.errors.length;
    if (failed || formatted.errors.length) batchItemFailures.push({ itemIdentifier: messageId });
  }
  log.info('invocation done', { counts, batchItemFailures: batchItemFailures.map((f) => f.itemIdentifier) });
  return { batchItemFailures };
}

async function sendAll(messages, run, where) {
  const outcomes = [];
  for (const m of messages) {
    const about = {
      eventId: m.eventId,
      eventName: m.eventName,
      severity: m.severity,
      rule: m.summary,
      ...(m.ruleIds?.length ? { ruleIds: m.ruleIds } : {}),
      ...(where.messageId !== undefined ? { messageId: where.messageId, index: where.index } : { index: m.index }),
    };
    if (run.config.dryRun) {
      run.log.info('dry run: message not sent', { ...about, status: 'dry-run', attempts: 0, ms: 0, payload: m.payload });
      outcomes.push({ status: 'dry-run' });
      continue;
    }
    let o;
    let url;
    try {
      url = await run.resolveWebhook(run.deliveryOptions.deadline - Date.now(), { destination: m.destination ?? 'default' });
    } catch (err) {
      // A destination whose webhook cannot be read: this message fails, the others still go.
      o = { status: 'failed', attempts: 0, ms: 0, retries: [], reason: err.message };
    }
    o ??= await deliver(m.payload, { ...run.deliveryOptions, url });
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
      ...(o.retries.length ? { retries: o.retries } : {}),
    };
    if (o.status === 'delivered') run.log.info('slack message delivered', fields);
    else run.log.error('slack message not delivered', fields);
    outcomes.push(o);
  }
  return outcomes;
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

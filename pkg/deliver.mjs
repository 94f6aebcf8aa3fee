// Delivery of Slack payloads to an incoming webhook, shared by the Lambda (js/lambda) and the
// CLI's `send`: one POST per payload, in order, retried only when a retry can help, and never past
// a deadline. Nothing here puts the webhook URL, its path or its token into a result, an error or a
// log line: outcomes carry only status codes, Slack's short answer and redacted error text.

/** A webhook URL that cannot be used; the message names the setting and never shows the value. */
export class WebhookUrlError extends Error {
  constructor(variable, problem) {
    super(`${variable}: ${problem}`);
    this.name = 'WebhookUrlError';
    this.variable = variable;
  }
}

/** localhost, 127.0.0.0/8 and ::1: the only hosts plain http is accepted for (local tests). */
export function isLoopbackHost(hostname) {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Parses and checks a webhook URL: https, or http to a loopback host.
 * @param {string} value
 * @param {string} variable what to call the setting in an error, e.g. "SLACK_WEBHOOK_URL"
 * @returns {URL}
 */
export function parseWebhookUrl(value, variable = 'SLACK_WEBHOOK_URL') {
  if (typeof value !== 'string' || value.trim() === '') throw new WebhookUrlError(variable, 'is empty');
  let url;
  try {
    url = new URL(value.trim());
  } catch {
    // NOTE: the parser's own message quotes the input; never pass it on.
    throw new WebhookUrlError(variable, 'is not a valid URL');
  }
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  if (!ok) {
    throw new WebhookUrlError(variable, 'must be an https:// URL (plain http is accepted only for localhost, 127.0.0.0/8 and ::1)');
  }
  return url;
}

/** The strings of a webhook URL that must never be shown: the whole URL, its path, query and long path segments. */
export function secretPartsOf(url) {
  const u = url instanceof URL ? url : new URL(String(url));
  const parts = new Set([u.href, u.href.replace(/\/$/, ''), u.pathname + u.search, u.pathname]);
  if (u.search.length > 1) parts.add(u.search.slice(1));
  // Slack's path is /services/T…/B…/<token>: the ids and the token are long and random (digits or
  // capitals); a plain word such as "services" is not secret and would blank every "AWS services".
  for (const segment of u.pathname.split('/')) if (isSecretSegment(segment)) parts.add(segment);
  for (const p of [...parts]) if (p.length > 1) parts.add(encodeURIComponent(p));
  return [...parts].filter((p) => p.length > 1).sort((a, b) => b.length - a.length);
}

const isSecretSegment = (segment) => segment.length >= 8 && /[0-9A-Z]/.test(segment);

/** A function that replaces every secret part of the given URLs in a text with "[redacted]". */
export function createRedactor(...urls) {
  const parts = [...new Set(urls.filter(Boolean).flatMap(secretPartsOf))].sort((a, b) => b.length - a.length);
  return (text) => {
    let s = String(text);
    for (const p of parts) if (s.includes(p)) s = s.split(p).join('[redacted]');
    return s;
  };
}

/** Retry-After in milliseconds (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(header, now = Date.now()) {
  if (header == null || header === '') return undefined;
  const text = String(header).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const DEFAULTS = {
  timeoutMs: 10_000, // one request
  maxAttempts: 5, // failed attempts per payload; 429s are counted apart (maxRateLimited)
  baseDelayMs: 500, // first backoff step; doubles per attempt
  maxDelayMs: 30_000, // cap on any single wait, Retry-After included
  minAttemptMs: 200, // an attempt with less time left than this is not started
  maxRateLimited: 20, // 429s do not use up attempts; this bounds them when there is no deadline
  rateLimitJitterMs: 1000, // at most this much is added to a Retry-After, so instances do not retry in lockstep
};

function describeError(err, timeoutMs) {
  if (err?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  if (err?.name === 'AbortError') return 'aborted';
  // undici: TypeError("fetch failed") with the socket error as cause; keep only its code/message.
  const cause = err?.cause;
  const code = cause?.code ?? err?.code;
  const detail = cause?.message ?? err?.message ?? String(err);
  return code && !detail.includes(code) ? `network error ${code}: ${detail}` : `network error: ${detail}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Posts one payload to the webhook, retrying 429 (after Retry-After), 5xx, network errors and
 * timeouts with bounded exponential backoff and jitter; other answers are final.
 *
 * @param {object} payload the Slack payload, sent as JSON as is
 * @param {object} options
 * @param {URL|string} options.url
 * @param {number} [options.deadline] epoch ms after which no attempt starts and no wait ends
 * @param {number} [options.timeoutMs] @param {number} [options.maxAttempts]
 * @param {number} [options.baseDelayMs] @param {number} [options.maxDelayMs]
 * @param {(latest: number) => Promise<boolean>} [options.beforeAttempt] waits for the pacer before each
 *   POST; false means no slot before `latest` (epoch ms), and the payload is not sent
 * @param {(waitMs: number) => void} [options.onRateLimited] told of every 429 and the wait chosen
 * @returns {Promise<{status: "delivered"|"failed", attempts: number, ms: number, httpStatus?: number,
 *   response?: string, reason?: string, permanent?: boolean, retries: object[]}>}
 */
export async function deliver(payload, options) {
  const o = { ...DEFAULTS, deadline: Infinity, fetch: globalThis.fetch, random: Math.random, ...stripUndefined(options) };
  const url = o.url instanceof URL ? o.url : new URL(String(o.url));
  const redact = createRedactor(url);
  const body = JSON.stringify(payload);
  const started = Date.now();
  const retries = [];
  let attempts = 0;
  let rateLimited = 0;
  const done = (fields) => ({ attempts, ms: Date.now() - started, retries, ...fields });

  for (;;) {
    if (o.deadline - Date.now() < o.minAttemptMs) {
      return done({ status: 'failed', reason: attempts ? `out of time after ${attempts} attempt(s): ${retries.at(-1)?.problem}` : 'no time left to send' });
    }
    if (o.beforeAttempt && !(await o.beforeAttempt(o.deadline - o.minAttemptMs))) {
      return done({ status: 'failed', reason: attempts ? `out of time after ${attempts} attempt(s): ${retries.at(-1)?.problem}` : 'no time left to send' });
    }
    attempts += 1;
    const left = o.deadline - Date.now();
    // NOTE: AbortSignal.timeout() throws on a fractional delay, and deadlines can be fractional.
    const timeoutMs = Math.max(1, Math.floor(Math.min(o.timeoutMs, left)));
    let problem;
    let httpStatus;
    let waitMs;
    let response;
    try {
      const res = await o.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        redirect: 'manual', // never carry the payload to another address
        signal: AbortSignal.timeout(timeoutMs),
      });
      httpStatus = res.status;
      response = redact((await res.text()).slice(0, 500)).trim();
      if (res.ok) return done({ status: 'delivered', httpStatus, response });
      problem = `HTTP ${httpStatus}${response ? ` ${response.slice(0, 120)}` : ''}`;
      if (httpStatus === 429) {
        waitMs = parseRetryAfter(res.headers.get('retry-after'));
      } else if (httpStatus < 500) {
        // invalid_payload, no_service, channel_not_found, action_prohibited ...: a retry cannot help.
        return done({ status: 'failed', permanent: true, httpStatus, response, reason: problem });
      }
    } catch (err) {
      // A bug of ours (bad argument, say) is not a network problem: retrying it would only wait.
      if (err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError) {
        return done({ status: 'failed', permanent: true, reason: redact(`internal error ${err.name}: ${err.message}`) });
      }
      problem = redact(describeError(err, timeoutMs));
    }

    // A 429 is Slack pacing us, not a failure: it does not use up an attempt while time remains.
    if (httpStatus === 429) rateLimited += 1;
    const failures = attempts - rateLimited;
    if (failures >= o.maxAttempts || rateLimited > o.maxRateLimited) {
      return done({ status: 'failed', httpStatus, response, reason: `${problem} (gave up after ${attempts} attempts)` });
    }
    if (httpStatus === 429) {
      // Every instance told "1 s" would come back in the same millisecond: spread them out.
      waitMs = Math.min(o.maxDelayMs, (waitMs ?? o.baseDelayMs) + Math.round(o.random() * o.rateLimitJitterMs));
      o.onRateLimited?.(waitMs);
    } else {
      const step = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (failures - 1));
      waitMs = Math.round(step / 2 + (o.random() * step) / 2);
    }
    retries.push({ attempt: attempts, problem, waitMs });
    if (Date.now() + waitMs + o.minAttemptMs > o.deadline) {
      return done({ status: 'failed', httpStatus, response, reason: `${problem} (no time left to wait ${waitMs} ms and retry; ${attempts} attempt(s))` });
    }
    await sleep(waitMs);
  }
}

/**
 * Delivers payloads one after the other, in order. A failed payload does not stop the ones after
 * it (each has its own retries); once the deadline is near, the rest fail without being sent.
 * @param {object[]} payloads
 * @param {object} options as for deliver()
 * @param {(outcome: object, i: number) => void} [onOutcome]
 */
export async function deliverAll(payloads, options, onOutcome) {
  const outcomes = [];
  for (let i = 0; i < payloads.length; i += 1) {
    const outcome = await deliver(payloads[i], options);
    outcomes.push(outcome);
    onOutcome?.(outcome, i);
  }
  return outcomes;
}

function stripUndefined(obj) {
  return Object.fromEntries(Object.entries(obj ?? {}).filter(([, v]) => v !== undefined));
}

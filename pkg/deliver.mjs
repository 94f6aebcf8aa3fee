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

/** localhost, 127.0.0.0/8 and [::1]: the only hosts plain http may be allowed for (local tests). */
export function isLoopbackHost(hostname) {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Slack's own incoming-webhook hosts: the only ones accepted (https, port 443) without SLACK_WEBHOOK_ALLOWED_HOSTS. */
export const SLACK_WEBHOOK_HOSTS = Object.freeze(['hooks.slack.com', 'hooks.slack-gov.com']);

/**
 * Parses SLACK_WEBHOOK_ALLOWED_HOSTS: a comma list of `host` (default port) or `host:port`
 * (an IPv6 address in brackets). Throws a WebhookUrlError naming `variable` for a bad entry.
 * @returns {{ hostname: string, port?: number }[]}
 */
export function parseAllowedHosts(value, variable = 'SLACK_WEBHOOK_ALLOWED_HOSTS') {
  if (value == null) return [];
  const entries = [];
  for (const [i, raw] of String(value).split(',').entries()) {
    const entry = raw.trim();
    if (entry === '') continue;
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?$/.exec(entry);
    const port = m?.[2] === undefined ? undefined : Number(m[2]);
    let hostname;
    try {
      if (m) hostname = new URL(`https://${m[1]}`).hostname;
    } catch {
      // not a host name; reported below
    }
    if (!hostname || (port !== undefined && (port < 1 || port > 65535))) {
      throw new WebhookUrlError(variable, `entry ${i + 1} is not a host or host:port (e.g. proxy.example.com or 127.0.0.1:8080)`);
    }
    entries.push(port === undefined ? { hostname } : { hostname, port });
  }
  return entries;
}

const DEFAULT_PORT = { 'https:': 443, 'http:': 80 };

// An entry without a port allows only the scheme's default port, so that naming "localhost" does
// not open Lambda's Runtime API (9001) or the Parameters and Secrets extension (2773).
const matches = (entry, url) =>
  entry.hostname === url.hostname && (entry.port === undefined ? url.port === '' : entry.port === Number(url.port || DEFAULT_PORT[url.protocol]));

/**
 * Parses and checks a webhook URL: https to hooks.slack.com or hooks.slack-gov.com on port 443,
 * or to a host (host:port) in `allowedHosts`; plain http only to a loopback host in `allowedHosts`;
 * never a user name or password. Errors name `variable` and never show the URL or its parts.
 * @param {string} value
 * @param {string} variable what to call the setting in an error, e.g. "SLACK_WEBHOOK_URL"
 * @param {{ allowedHosts?: string | { hostname: string, port?: number }[] }} [options]
 *   allowedHosts: SLACK_WEBHOOK_ALLOWED_HOSTS as given or as parsed by parseAllowedHosts()
 * @returns {URL}
 */
export function parseWebhookUrl(value, variable = 'SLACK_WEBHOOK_URL', { allowedHosts = [] } = {}) {
  const extra = typeof allowedHosts === 'string' ? parseAllowedHosts(allowedHosts) : allowedHosts;
  if (typeof value !== 'string' || value.trim() === '') throw new WebhookUrlError(variable, 'is empty');
  let url;
  try {
    url = new URL(value.trim());
  } catch {
    // NOTE: the parser's own message quotes the input; never pass it on.
    throw new WebhookUrlError(variable, 'is not a valid URL');
  }
  if (url.username || url.password) throw new WebhookUrlError(variable, 'must not contain a user name or password');
  const named = extra.some((entry) => matches(entry, url));
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) {
    if (named) return url;
    throw new WebhookUrlError(variable, 'plain http to a loopback host needs that host:port in SLACK_WEBHOOK_ALLOWED_HOSTS');
  }
  if (url.protocol !== 'https:') {
    throw new WebhookUrlError(variable, 'must be an https:// URL (plain http only to a loopback host named in SLACK_WEBHOOK_ALLOWED_HOSTS)');
  }
  if (named) return url;
  if (!SLACK_WEBHOOK_HOSTS.includes(url.hostname)) {
    throw new WebhookUrlError(variable, `its host is not allowed: only ${SLACK_WEBHOOK_HOSTS.join(' and ')}, or a host added to SLACK_WEBHOOK_ALLOWED_HOSTS`);
  }
  if (url.port !== '') throw new WebhookUrlError(variable, 'its port is not allowed: only 443, or host:port added to SLACK_WEBHOOK_ALLOWED_HOSTS');
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

// RFC 9110 section 10.2.3: delta-seconds is digits only; an HTTP-date is IMF-fixdate or one of the two
// obsolete forms. Date.parse alone reads "5, 6" or "1e3" as dates (long past: no wait at all).
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const HTTP_DATE = [
  new RegExp(`^${DAY}, \\d{2} ${MONTH} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT$`), // IMF-fixdate
  new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-${MONTH}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT$`), // rfc850
  new RegExp(`^${DAY} ${MONTH} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4}$`), // asctime, UTC
];

/** Retry-After in milliseconds: delta-seconds or an HTTP date; anything else is undefined (normal backoff). */
export function parseRetryAfter(header, now = Date.now()) {
  if (header == null) return undefined;
  const text = String(header).trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!HTTP_DATE.some((re) => re.test(text))) return undefined;
  const date = Date.parse(/GMT$/.test(text) ? text : `${text} GMT`);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The part of Slack's answer worth keeping: redacted first, then cut to 500 characters, so that a
 * URL straddling the cut cannot leave its first half in a log.
 * @param {string} text @param {(text: string) => string} redact
 */
export function responseExcerpt(text, redact) {
  return redact(text).slice(0, 500).trim();
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
 * @param {string|object} payload the Slack payload: JSON text (formatBodies' `body`) is posted byte
 *   for byte; an object is serialised with JSON.stringify
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
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
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
      response = responseExcerpt(await res.text(), redact);
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
 * @param {(string|object)[]} payloads JSON texts or objects, as for deliver()
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

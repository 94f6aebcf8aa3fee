// Slack's Web API for app mode (a bot token): chat.postMessage and chat.update, one JSON POST each.
// Slack answers most errors with HTTP 200 and `{"ok": false, "error": "..."}`, so success is
// `ok: true`, never the status code alone. Rate limits (429 with Retry-After, or `ratelimited`) are
// waited out and do not use up attempts while time remains; 5xx, network errors and Slack's own
// transient errors back off with jitter; any other `ok: false` (invalid_auth, channel_not_found,
// invalid_blocks, ...) is final for this call and reported as failed, never as delivered. The
// token goes only into the Authorization header: no outcome, error or log line carries it.
// Methods: https://api.slack.com/methods/chat.postMessage, https://api.slack.com/methods/chat.update

import { isLoopbackHost, parseRetryAfter } from 'sgnotify/deliver';

export const DEFAULT_API_URL = 'https://slack.com/api';

/** A setting of app mode that cannot be used; the message names the variable, never the value. */
export class SlackSettingError extends Error {
  constructor(variable, problem) {
    super(`${variable}: ${problem}`);
    this.name = 'SlackSettingError';
    this.variable = variable;
  }
}

/** The Web API base URL: https, or plain http to a loopback host (the tests' mock). */
export function parseApiUrl(value, variable = 'SLACK_API_URL') {
  let url;
  try {
    url = new URL(String(value).trim());
  } catch {
    throw new SlackSettingError(variable, 'is not a valid URL (expected e.g. https://slack.com/api)');
  }
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname)))) {
    throw new SlackSettingError(variable, 'must be an https:// URL (plain http is accepted only for localhost, 127.0.0.0/8 and ::1)');
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new SlackSettingError(variable, 'must be a plain base URL without credentials, query or fragment (e.g. https://slack.com/api)');
  }
  return url;
}

// Bot (xoxb-) and user (xoxp-) tokens, optionally rotating (xoxe.xoxb-); letters, digits and dashes.
const TOKEN = /^(xoxe\.)?xox[bp]-[0-9A-Za-z-]{8,500}$/;

/** Checks a token's shape without ever echoing it. */
export function checkToken(value, variable = 'SLACK_BOT_TOKEN') {
  const token = String(value ?? '').trim();
  if (token.includes('://')) throw new SlackSettingError(variable, 'looks like a URL; give the bot token (xoxb-...), not a webhook URL');
  if (!TOKEN.test(token)) throw new SlackSettingError(variable, 'is not a Slack bot token (expected xoxb-... from the app\'s OAuth & Permissions page)');
  return token;
}

/** text -> text with the token, and its secret last part, replaced by "[redacted]". */
export function createTokenRedactor(token) {
  const parts = [token, token.split('-').at(-1)].filter((p) => p && p.length >= 8);
  return (text) => parts.reduce((s, p) => s.split(p).join('[redacted]'), String(text));
}

// Slack's answers that a later attempt can fix.
const RATE_LIMITED = new Set(['ratelimited', 'rate_limited']);
const TRANSIENT = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

const DEFAULTS = {
  timeoutMs: 10_000,
  maxAttempts: 5, // failed attempts (5xx, network, transient); rate-limit waits do not count
  maxRateLimitWaits: 20, // a bound for callers without a deadline
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  minAttemptMs: 200,
  jitterMs: 500, // added to Retry-After so that instances do not retry in lockstep
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function describeError(err, timeoutMs) {
  if (err?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  if (err?.name === 'AbortError') return 'aborted';
  const code = err?.cause?.code ?? err?.code;
  const detail = err?.cause?.message ?? err?.message ?? String(err);
  return code && !detail.includes(code) ? `network error ${code}: ${detail}` : `network error: ${detail}`;
}

/**
 * A Web API client bound to one token.
 * @param {object} o
 * @param {string} o.token the bot token
 * @param {URL|string} [o.url] the API base, default https://slack.com/api
 * @param {(latest: number, method: string) => Promise<boolean>} [o.beforeAttempt] waits for the pacer before
 *   every request; false means no slot before `latest` (epoch ms), and nothing is sent
 * @param {(waitMs: number) => void} [o.onRateLimited] told of every rate-limit answer and the wait chosen
 * @returns {{ postMessage: (body: object, opts?: { deadline?: number }) => Promise<Outcome>,
 *   update: (body: object, opts?: { deadline?: number }) => Promise<Outcome>,
 *   call: (method: string, body: string | object, opts?: { deadline?: number, beforeAttempt?, onRateLimited? }) => Promise<Outcome>,
 *   redact: (s: string) => string }}
 * Outcome: { status: "delivered"|"failed", method, attempts, ms, retries, httpStatus?, error?, reason?,
 *   permanent?, ts?, channel?, warnings? }; `error` is Slack's code (invalid_auth, ...).
 */
export function createSlackApi({ token, url = DEFAULT_API_URL, fetch = globalThis.fetch, random = Math.random, beforeAttempt, onRateLimited, ...options }) {
  const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  const base = url instanceof URL ? url : parseApiUrl(url);
  const redact = createTokenRedactor(checkToken(token));
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' };

  // Per call, the pacing hooks may be given again (a pacer that knows which message is starting).
  async function call(method, body, { deadline = Infinity, beforeAttempt: paceHook = beforeAttempt, onRateLimited: limitHook = onRateLimited } = {}) {
    const target = new URL(`${base.pathname.replace(/\/+$/, '')}/${method}`, base);
    // A string is JSON text already (a body spliced from the core's output): posted as is.
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const started = Date.now();
    const retries = [];
    let attempts = 0; // requests sent
    let failures = 0; // those that count against maxAttempts
    let rateLimited = 0;
    const done = (fields) => ({ method, attempts, ms: Date.now() - started, retries, ...fields });

    for (;;) {
      if (deadline - Date.now() < o.minAttemptMs) {
        const last = retries.at(-1)?.problem;
        return done({ status: 'failed', reason: attempts ? `out of time after ${attempts} attempt(s): ${last}` : 'no time left to send' });
      }
      // The pacer (as in sgnotify/deliver): false means no slot before `latest`; nothing is sent.
      if (paceHook && !(await paceHook(deadline - o.minAttemptMs, method))) {
        return done({ status: 'failed', reason: attempts ? `out of time after ${attempts} attempt(s): ${retries.at(-1)?.problem}` : 'no time left to send' });
      }
      const left = deadline - Date.now();
      attempts += 1;
      const timeoutMs = Math.max(1, Math.floor(Math.min(o.timeoutMs, left)));
      let problem;
      let httpStatus;
      let waitMs;
      let limited = false;
      let error;
      try {
        const res = await fetch(target, { method: 'POST', headers, body: text, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
        httpStatus = res.status;
        const raw = await res.text();
        let answer;
        try {
          answer = JSON.parse(raw);
        } catch {
          answer = undefined;
        }
        error = typeof answer?.error === 'string' ? redact(answer.error).slice(0, 100) : undefined;
        if (httpStatus === 429 || RATE_LIMITED.has(error)) {
          limited = true;
          problem = `HTTP ${httpStatus} ${error ?? 'ratelimited'}`;
          waitMs = parseRetryAfter(res.headers.get('retry-after')) ?? 1000;
        } else if (httpStatus >= 500 || TRANSIENT.has(error)) {
          problem = `HTTP ${httpStatus}${error ? ` ${error}` : ''}`;
        } else if (httpStatus >= 200 && httpStatus < 300 && answer?.ok === true) {
          const warnings = [answer.warning, ...(answer.response_metadata?.warnings ?? [])].filter(Boolean);
          return done({ status: 'delivered', httpStatus, ts: answer.ts, channel: answer.channel, ...(warnings.length ? { warnings } : {}) });
        } else {
          // invalid_auth, channel_not_found, not_in_channel, invalid_blocks, msg_too_long, a 3xx or
          // 4xx, or an answer that is not the Web API's: this call cannot succeed by repeating it.
          const why = error ?? (answer?.ok === false ? 'ok: false' : `not a Web API answer: ${redact(raw.slice(0, 80)).trim() || '(empty)'}`);
          return done({ status: 'failed', permanent: true, httpStatus, ...(error ? { error } : {}), reason: `${method}: HTTP ${httpStatus} ${why}` });
        }
      } catch (err) {
        // A bug of ours (bad argument, say) is not a network problem: retrying it would only wait.
        if (err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError) {
          return done({ status: 'failed', permanent: true, reason: redact(`internal error ${err.name}: ${err.message}`) });
        }
        problem = redact(describeError(err, timeoutMs));
      }

      if (limited) {
        rateLimited += 1; // not a failed attempt: Slack said when to come back
        waitMs = Math.min(o.maxDelayMs, waitMs + Math.round(random() * o.jitterMs));
        limitHook?.(waitMs);
        if (rateLimited > o.maxRateLimitWaits) {
          return done({ status: 'failed', httpStatus, ...(error ? { error } : {}), reason: `${method}: ${problem} (still rate limited after ${rateLimited - 1} waits)` });
        }
      } else {
        failures += 1;
        if (failures >= o.maxAttempts) {
          return done({ status: 'failed', httpStatus, ...(error ? { error } : {}), reason: `${method}: ${problem} (gave up after ${failures} failed attempts)` });
        }
        const step = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (failures - 1));
        waitMs = Math.round(step / 2 + (random() * step) / 2);
      }
      retries.push({ problem, waitMs, ...(limited ? { rateLimited: true } : {}) });
      if (Date.now() + waitMs + o.minAttemptMs > deadline) {
        return done({ status: 'failed', httpStatus, ...(error ? { error } : {}), reason: `${method}: ${problem} (no time left to wait ${waitMs} ms and retry)` });
      }
      await sleep(waitMs);
    }
  }

  return {
    call,
    postMessage: (body, opts) => call('chat.postMessage', body, opts),
    update: (body, opts) => call('chat.update', body, opts),
    redact,
  };
}

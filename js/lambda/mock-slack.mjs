// A stand-in for Slack's incoming webhook on 127.0.0.1 (ephemeral port), for `make demo` and the
// tests. It records every POST and answers as a test tells it to: any status, body and headers,
// never (to test timeouts), or by dropping the connection. Not part of the deployment zip.

import { createServer } from 'node:http';

/** A webhook path shaped like Slack's; its segments are long so that redaction covers each. */
/** Reads a request's body and hands over the text and, when it is JSON, the parsed value. */
export function readBody(req, then) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    then(raw, body);
  });
}

export const MOCK_WEBHOOK_PATH = '/services/T0MOCKTEAM1/B0MOCKHOOK1/mockWebhookToken0123456789';

/**
 * @param {{ path?: string, respond?: (request: object, index: number) => ({ status?: number, body?: string,
 *   headers?: object, delayMs?: number } | "hang" | "drop"), rateLimit?: { perSecond: number, burst?: number } }} [options]
 *   respond decides each answer (default 200 "ok"); rateLimit makes it answer 429 rate_limited with
 *   Retry-After (whole seconds, as Slack sends it) to posts above the rate, before respond is asked
 */
export async function startMockSlack({ path = MOCK_WEBHOOK_PATH, respond, rateLimit } = {}) {
  const requests = [];
  // Slack's limit as a token bucket: `burst` posts at once, then `perSecond`.
  let limit = rateLimit;
  let tokens = limit?.burst ?? 1;
  let refilledAt = Date.now();
  const overLimit = () => {
    if (!limit) return undefined;
    const now = Date.now();
    tokens = Math.min(limit.burst ?? 1, tokens + ((now - refilledAt) / 1000) * limit.perSecond);
    refilledAt = now;
    // 20 ms of grace: a sender pacing at exactly the rate sees its posts arrive a few ms apart
    // from when it sent them; Slack's own limit is not millisecond-exact either.
    if (tokens >= 1 - limit.perSecond * 0.02) {
      tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - tokens) / limit.perSecond));
  };
  const sockets = new Set();
  let responder = respond ?? (() => ({ status: 200, body: 'ok' }));
  let socketCount = 0;

  const server = createServer((req, res) => {
    readBody(req, (raw, body) => {
      const request = { at: Date.now(), method: req.method, path: req.url, headers: req.headers, raw, body, socket: req.socket.mockId };
      // Like Slack: an unknown hook is 404 no_service, before anything else is decided.
      if (req.method !== 'POST' || req.url !== path) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no_service');
        return;
      }
      requests.push(request);
      const retryAfter = overLimit();
      const answer = retryAfter
        ? { status: 429, body: 'rate_limited', headers: { 'retry-after': String(retryAfter) } }
        : responder(request, requests.length - 1) ?? { status: 200, body: 'ok' };
      if (answer === 'hang') return; // never answers; close() ends it
      if (answer === 'drop') {
        req.socket.destroy();
        return;
      }
      request.status = answer.status ?? 200; // what it was answered, for readers of `requests`
      const send = () => res.writeHead(request.status, { 'content-type': 'text/plain', ...answer.headers }).end(answer.body ?? 'ok');
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  server.on('connection', (socket) => {
    socketCount += 1;
    socket.mockId = socketCount;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();

  return {
    url: `http://127.0.0.1:${port}${path}`,
    origin: `http://127.0.0.1:${port}`,
    port,
    path,
    requests,
    /** Payloads received so far, in order. */
    get payloads() {
      return requests.map((r) => r.body);
    },
    /** How many TCP connections clients opened (keep-alive reuses one). */
    get connections() {
      return socketCount;
    },
    setResponder(fn) {
      responder = fn;
    },
    /** Enforces (or, with undefined, lifts) a rate limit from now on. */
    setRateLimit(value) {
      limit = value;
      tokens = value?.burst ?? 1;
      refilledAt = Date.now();
    },
    /** The posts accepted (2xx), in order. */
    get delivered() {
      return requests.filter((r) => r.status >= 200 && r.status < 300);
    },
    reset() {
      requests.length = 0;
      responder = respond ?? (() => ({ status: 200, body: 'ok' }));
      limit = rateLimit;
      tokens = limit?.burst ?? 1;
      refilledAt = Date.now();
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

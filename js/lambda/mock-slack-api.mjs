// A stand-in for Slack's Web API on 127.0.0.1 (ephemeral port), for `make demo`, the tests and the
// load test: chat.postMessage and chat.update with Slack's checks and answers (HTTP 200 with
// `ok: false` and an error code: not_authed, invalid_auth, channel_not_found, thread_not_found,
// message_not_found, invalid_blocks), threads, edits, and an optional rate limit per channel
// answered with 429 + Retry-After as Slack does. A test can also dictate any answer. Not part of
// the deployment zip.

import { createServer } from 'node:http';
import { readBody } from './mock-slack.mjs';

/** A token shaped like a bot token; its parts are long so that redaction covers each. */
export const MOCK_BOT_TOKEN = 'xoxb-0000000001-0000000002-mockBotTokenSecret0123456789';
export const MOCK_CHANNEL = 'C0MOCKCHAN1';

/**
 * @param {{ token?: string, channels?: string[], perSecond?: number,
 *   respond?: (request: object, index: number) => ({ status?: number, body?: object|string, headers?: object } | { delayMs: number } | "drop" | undefined) }} [options]
 *   perSecond: chat.postMessage calls accepted per channel per second (unset: no limit);
 *   respond: an answer that replaces Slack's for that request (undefined: Slack's own; { delayMs }: Slack's own, late)
 */
export async function startMockSlackApi({ token = MOCK_BOT_TOKEN, channels = [MOCK_CHANNEL], perSecond, respond } = {}) {
  const requests = [];
  const messages = []; // every message posted, in order; replies too
  const sockets = new Set();
  const lastPost = new Map(); // channel -> time of the last accepted post
  let responder = respond;
  let clock = 0;
  const nextTs = () => {
    clock += 1;
    return `${1_700_000_000 + Math.floor(clock / 1000)}.${String(clock % 1000).padStart(3, '0')}100`;
  };

  const server = createServer((req, res) => {
    readBody(req, (raw, body) => {
      const method = req.url.replace(/^\/api\//, '');
      const request = { at: Date.now(), method, path: req.url, headers: req.headers, raw, body };
      requests.push(request);
      const reply = (status, answer, headers = {}) => {
        request.status = status;
        request.answer = answer;
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(typeof answer === 'string' ? answer : JSON.stringify(answer));
      };
      const custom = responder?.(request, requests.length - 1);
      if (custom === 'drop') return req.socket.destroy();
      if (custom?.status !== undefined || custom?.body !== undefined) return reply(custom.status ?? 200, custom.body ?? { ok: true }, custom.headers);
      // `{ delayMs }` alone: Slack's own answer, decided and sent that much later.
      const answer = () => reply(...answerFor(method, req, body));
      if (custom?.delayMs) setTimeout(answer, custom.delayMs);
      else answer();
    });
  });

  function answerFor(method, req, body) {
    if (req.method !== 'POST' || !['chat.postMessage', 'chat.update'].includes(method)) return [404, { ok: false, error: 'unknown_method' }];
    const auth = req.headers.authorization;
    if (!auth) return [200, { ok: false, error: 'not_authed' }];
    if (auth !== `Bearer ${token}`) return [200, { ok: false, error: 'invalid_auth' }];
    if (!String(req.headers['content-type']).startsWith('application/json') || !body || typeof body !== 'object') return [200, { ok: false, error: 'invalid_json' }];
    if (!channels.includes(body.channel)) return [200, { ok: false, error: 'channel_not_found' }];
    if (body.blocks !== undefined && (!Array.isArray(body.blocks) || body.blocks.length > 50)) return [200, { ok: false, error: 'invalid_blocks' }];
    if (typeof body.text === 'string' && body.text.length > 40_000) return [200, { ok: false, error: 'msg_too_long' }];

    if (method === 'chat.update') {
      const m = messages.find((x) => x.channel === body.channel && x.ts === body.ts);
      if (!m) return [200, { ok: false, error: 'message_not_found' }];
      if (body.text === undefined && body.blocks === undefined && body.attachments === undefined) return [200, { ok: false, error: 'no_text' }];
      m.edits.push({ text: m.text, blocks: m.blocks, attachments: m.attachments });
      for (const k of ['text', 'blocks', 'attachments']) if (body[k] !== undefined) m[k] = body[k];
      return [200, { ok: true, channel: m.channel, ts: m.ts, text: m.text }];
    }

    if (body.text === undefined && body.blocks === undefined && body.attachments === undefined) return [200, { ok: false, error: 'no_text' }];
    if (body.thread_ts !== undefined && !messages.some((x) => x.channel === body.channel && x.ts === body.thread_ts && !x.thread_ts)) {
      return [200, { ok: false, error: 'thread_not_found' }];
    }
    if (perSecond) {
      const gap = 1000 / perSecond;
      const since = Date.now() - (lastPost.get(body.channel) ?? 0);
      if (since < gap) return [429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(Math.max(1, Math.ceil((gap - since) / 1000))) }];
      lastPost.set(body.channel, Date.now());
    }
    const m = {
      ts: nextTs(),
      channel: body.channel,
      text: body.text,
      blocks: body.blocks,
      attachments: body.attachments,
      thread_ts: body.thread_ts,
      reply_broadcast: body.reply_broadcast === true,
      edits: [],
    };
    messages.push(m);
    return [200, { ok: true, channel: m.channel, ts: m.ts, message: { type: 'message', text: m.text, ts: m.ts, ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}) } }];
  }

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();

  return {
    url: `http://127.0.0.1:${port}/api`,
    origin: `http://127.0.0.1:${port}`,
    token,
    channel: channels[0],
    requests,
    messages,
    /** Top-level messages in channel order, each with its replies (what Slack's channel view shows). */
    threads(channel = channels[0]) {
      return messages
        .filter((m) => m.channel === channel && !m.thread_ts)
        .map((parent) => ({ parent, replies: messages.filter((m) => m.thread_ts === parent.ts) }));
    },
    setResponder(fn) {
      responder = fn;
    },
    reset() {
      requests.length = 0;
      messages.length = 0;
      lastPost.clear();
      responder = respond;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

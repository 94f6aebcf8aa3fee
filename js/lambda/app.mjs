// Slack app mode (a bot token and a channel): the changes one principal makes in one account within
// THREAD_WINDOW_SECONDS form a burst, posted as one thread. The first change of a burst posts the
// parent (the core's threadSummary), every rule message is a reply (thread_ts), a critical reply is
// also broadcast to the channel, and the parent is edited (chat.update) once per invocation when
// the burst has grown. Exactly once: replies go through the delivery claims of state.mjs (the
// caller claims and marks the message key); the thread itself through threads.mjs.
// Windows are measured in event time, so a retried event finds the thread it belonged to.

import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { MIN_POST_MS, fallbackPayload, pacedHooks } from './notify.mjs';
import { checkToken, createSlackApi } from './slack-api.mjs';
import { createThreadStore, threadExpiry } from './threads.mjs';

const RANK = { info: 0, warning: 1, critical: 2 };
/** Group names a thread item keeps (the summary shows ten); beyond it groups are only counted. */
const GROUPS_KEPT = 100;
/** Slack refused the payload itself: a plain-text reply still says what changed. */
const REJECTED = new Set(['invalid_blocks', 'invalid_blocks_format', 'invalid_attachments', 'too_many_attachments', 'msg_too_long', 'invalid_arguments']);
const POLL_MS = 200; // how often an instance looks whether another one has posted the parent
const RACES = 20; // bound on lost conditional writes in a row (each means another instance moved)

/**
 * @param {ReturnType<import('./config.mjs').readConfig>} config
 * @param {{ log: object, onToken?: (token: string) => void,
 *   store?: object, fetchToken?: (secretId: string, timeoutMs: number) => Promise<string> }} deps
 */
export function createApp(config, { log, onToken, store, fetchToken = fetchTokenFromSecretsManager }) {
  const { channel, windowSeconds, apiUrl } = config.app;
  const threads = store ?? createThreadStore({ tableName: config.scale?.stateTable });
  const { timeoutMs, maxAttempts, baseDelayMs, maxDelayMs } = config.delivery ?? {};
  const instance = randomUUID();
  const perRun = new WeakMap(); // run -> { owner, touched: Set of thread ids }
  const destination = `app:${channel}`;
  let token = config.app.token;
  let pending;
  let client;

  const invocation = (run) => {
    if (!perRun.has(run)) perRun.set(run, { owner: `${instance}:${randomUUID()}`, touched: new Set() });
    return perRun.get(run);
  };

  // The token from Secrets Manager on first use, kept for the container; a failed read is retried next time.
  async function api(run) {
    if (!token) {
      pending ??= fetchToken(config.app.tokenSecretId, Math.max(1, Math.min(5000, run.deadline - Date.now()))).then(
        (t) => {
          onToken?.(t);
          return t;
        },
        (err) => {
          pending = undefined;
          throw err;
        },
      );
      token = await pending;
    }
    client ??= createSlackApi({ token, url: apiUrl, timeoutMs, maxAttempts, baseDelayMs, maxDelayMs });
    return client;
  }

  // One Web API call through the instance's pacer (see pacedHooks).
  function call(client, method, body, run, first) {
    return client.call(method, body, { deadline: run.deadline, ...pacedHooks(run, destination, first) });
  }

  // chat.postMessage's arguments in front of the core's payload JSON (text, attachments and the
  // username / icon overrides), spliced as text: the payload is not parsed and serialised again.
  // The handler formats without the `channel` option in app mode, so no key is given twice.
  const replyBody = (body, extra) => {
    const args = JSON.stringify({ channel, unfurl_links: false, unfurl_media: false, ...extra });
    return `${args.slice(0, -1)},${body.slice(1)}`;
  };

  // The burst with one more change.
  function grown(b, m, f) {
    const groups = [...(b.groups ?? [])];
    let groupCount = b.groupCount ?? groups.length;
    if (f.group && !groups.includes(f.group)) {
      groupCount += 1;
      if (groups.length < GROUPS_KEPT) groups.push(f.group);
    }
    const time = f.time ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return {
      account: b.account ?? f.account,
      principal: b.principal ?? f.principal,
      principalType: b.principalType ?? f.principalType,
      changes: (b.changes ?? 0) + 1,
      severity: RANK[m.severity] > RANK[b.severity ?? 'info'] ? m.severity : (b.severity ?? 'info'),
      groups,
      groupCount,
      firstTime: b.firstTime && b.firstTime < time ? b.firstTime : time,
      lastTime: b.lastTime && b.lastTime > time ? b.lastTime : time,
    };
  }

  // By the invocation's prepared formatter, whose options (every account of the organisation) are
  // read once, not for each parent post and edit. There is one whenever there are messages: the
  // handler formats with it, and without it (options the core refuses) nothing formats.
  const summaryOf = (b, run) => {
    const burst = { account: b.account, principal: b.principal, principalType: b.principalType, changes: b.changes, severity: b.severity, groups: b.groups.slice(0, 10), groupCount: b.groupCount, firstTime: b.firstTime, lastTime: b.lastTime };
    return run.formatter.threadSummary(burst);
  };

  // The thread a change belongs to: found, waited for, or opened here (posting the parent).
  async function thread(client, m, f, run) {
    const { owner } = invocation(run);
    const W = windowSeconds;
    const t = f.epochSeconds ?? Math.floor(Date.now() / 1000);
    let waited = false;
    for (let race = 0; race < RACES; ) {
      let id = `thread#${f.key}`;
      let cur = await threads.get(id);
      let start = t;
      // A change older than the current burst's window (a late retry): its own window, by bucket.
      if (cur && t < cur.startEpoch - W) {
        start = Math.floor(t / W) * W;
        id = `${id}#${start}`;
        cur = await threads.get(id);
      }
      if (cur?.state === 'opening' && cur.claimUntil >= Date.now()) {
        if (!waited) log.info('another invocation is posting this thread\'s parent: waiting for it', { thread: id, eventId: m.eventId });
        waited = true;
        if (Date.now() + POLL_MS > run.deadline - MIN_POST_MS) return { failed: { status: 'failed', reason: 'another invocation is posting this thread\'s parent and did not finish in time' } };
        await sleep(POLL_MS);
        continue;
      }
      const inWindow = cur && t >= cur.startEpoch - W && t < cur.startEpoch + W;
      if (inWindow && cur.state === 'open') return { thread: cur };
      // A new burst takes the place of the one before it; an opening claim that ran out is free.
      const replacing = cur?.state === 'open' ? cur.startEpoch : undefined;
      // `shown: 1`: the parent is posted showing this first change.
      const opening = {
        id, state: 'opening', owner, claimUntil: run.claimUntil, startEpoch: start, account: f.account, principal: f.principal, principalType: f.principalType,
        changes: 0, severity: 'info', groups: [], groupCount: 0, firstTime: f.time, lastTime: f.time, version: 0, shown: 1, expiresAt: threadExpiry(),
      };
      if (!(await threads.create(opening, replacing))) {
        race += 1; // another instance wrote first: read what it wrote
        continue;
      }
      // The parent shows the burst as it will be once this change's reply is in.
      const o = await call(client, 'chat.postMessage', { channel, ...summaryOf(grown({ ...opening, firstTime: undefined, lastTime: undefined }, m, f), run), unfurl_links: false, unfurl_media: false }, run, true);
      if (o.status !== 'delivered') {
        await threads.abandon(id, owner).catch(() => {});
        return { failed: { ...o, reason: `the thread's parent: ${o.reason}` } };
      }
      if (!(await threads.opened(id, owner, o.ts, o.channel ?? channel))) {
        // Our claim ran out while posting and another instance took over: use its thread.
        log.warn('thread parent posted after the claim ran out; another instance opened the thread', { thread: id, parentTs: o.ts });
        race += 1;
        continue;
      }
      return { thread: { ...opening, state: 'open', ts: o.ts, channel: o.channel ?? channel }, parent: o };
    }
    return { failed: { status: 'failed', reason: `thread state kept changing under ${RACES} attempts to open or join it` } };
  }

  // Counts a delivered reply in its thread, once per message key.
  async function count(id, key, m, f, run) {
    // Each lost race means another instance counted meanwhile: retry, with jitter, while time remains.
    for (let race = 0; race < 100 && Date.now() < run.deadline; race += 1) {
      const cur = await threads.get(id);
      if (!cur || cur.counted.includes(key)) return;
      if (await threads.count(id, key, grown(cur, m, f), cur.version)) {
        invocation(run).touched.add(id);
        return;
      }
      await sleep(10 + Math.floor(Math.random() * 40 * Math.min(race + 1, 5)));
    }
    log.warn('reply posted but not counted in its thread summary (contention until the deadline)', { thread: id });
  }

  return {
    /**
     * Posts one rule message as a reply in its burst's thread (opening the thread if needed).
     * Resolves with an outcome shaped like sgnotify/deliver's, plus `thread` (the parent's ts).
     */
    async send(m, key, run, facts) {
      const started = Date.now();
      if (run.stopped) return { status: 'failed', attempts: 0, ms: 0, reason: 'no time left to send' };
      let client;
      try {
        client = await api(run);
      } catch (err) {
        return { status: 'failed', attempts: 0, ms: Date.now() - started, reason: err.message };
      }
      const f = facts?.get(m.index);
      let joined;
      let stateError;
      if (f) {
        try {
          joined = await thread(client, m, f, run);
        } catch (err) {
          // Threads need the table; without it the change still goes out, as a message of its own.
          stateError = err.message;
        }
      }
      if (joined?.failed) return { attempts: 0, retries: [], ...joined.failed, ms: Date.now() - started };
      const th = joined?.thread;
      const extra = th ? { channel: th.channel, thread_ts: th.ts, ...(m.severity === 'critical' ? { reply_broadcast: true } : {}) } : {};
      let o = await call(client, 'chat.postMessage', replyBody(m.body, extra), run, !joined?.parent);
      let status = o.status;
      if (o.status === 'failed' && REJECTED.has(o.error)) {
        const fb = await call(client, 'chat.postMessage', replyBody(JSON.stringify(fallbackPayload(m)), extra), run, false);
        if (fb.status === 'delivered') status = 'fallback';
        else o = { ...fb, reason: `${o.reason}; the plain-text fallback failed too: ${fb.reason}` };
      }
      if (th && (status === 'delivered' || status === 'fallback')) {
        await count(th.id, key ?? `msg#${m.eventId}#${m.summary}`, m, f, run).catch((err) => {
          stateError = err.message;
        });
      }
      const parent = joined?.parent;
      return {
        status,
        attempts: o.attempts + (parent?.attempts ?? 0),
        ms: Date.now() - started,
        httpStatus: o.httpStatus,
        ...(o.error ? { response: o.error } : {}),
        ...(status !== 'delivered' && o.reason ? { reason: o.reason } : {}),
        ...(o.permanent ? { permanent: true } : {}),
        retries: [...(parent?.retries ?? []), ...o.retries],
        ...(th ? { thread: th.ts, ...(parent ? { parentPosted: true } : {}), ...(extra.reply_broadcast ? { broadcast: true } : {}) } : {}),
        ...(stateError ? { stateError } : {}),
      };
    },

    /** Edits the parent of every thread that grew in this invocation, until it shows the latest count. */
    async finish(run) {
      const { touched } = invocation(run);
      if (!touched.size) return;
      let client;
      try {
        client = await api(run);
      } catch {
        return;
      }
      for (const id of touched) {
        try {
          // No small bound on rounds: an instance whose edit landed after a newer one must always
          // get to edit again (the invocation's deadline bounds the loop).
          for (let round = 0; round < 100 && Date.now() < run.deadline - MIN_POST_MS; round += 1) {
            const cur = await threads.get(id);
            if (!cur?.ts || (round === 0 && (cur.shown ?? 0) >= cur.version)) break;
            // NOTE: another instance may edit the same parent; whoever edits last reads again and
            // edits once more if the burst grew meanwhile, so the parent ends on the latest count.
            const o = await call(client, 'chat.update', { channel: cur.channel, ts: cur.ts, ...summaryOf(cur, run) }, run, false);
            if (o.status !== 'delivered') {
              log.warn('thread summary not updated', { thread: id, reason: o.reason });
              break;
            }
            await threads.markShown(id, cur.version);
            const now = await threads.get(id);
            if (!now || now.version <= cur.version) break;
          }
        } catch (err) {
          log.warn('thread summary not updated', { thread: id, reason: err.message });
        }
      }
      touched.clear();
    },
  };
}

async function fetchTokenFromSecretsManager(secretId, timeoutMs) {
  const variable = 'SLACK_BOT_TOKEN_SECRET_ID';
  let text;
  try {
    const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretId }), { abortSignal: AbortSignal.timeout(timeoutMs) });
    text = out.SecretString;
  } catch (err) {
    const why = err?.name === 'TimeoutError' || err?.name === 'AbortError' ? `no answer within ${timeoutMs} ms` : `${err?.name ?? 'Error'}: ${err?.message ?? err}`;
    throw new Error(`${variable}: could not read secret "${secretId}" (${why})`);
  }
  if (text === undefined) throw new Error(`${variable}: secret "${secretId}" has no SecretString`);
  let value = text.trim();
  // The console's key/value editor stores JSON: {"token": "xoxb-..."}.
  if (value.startsWith('{')) {
    try {
      const obj = JSON.parse(value);
      value = obj.token ?? obj.botToken ?? obj.SLACK_BOT_TOKEN;
    } catch {
      throw new Error(`${variable}: secret "${secretId}" looks like JSON but does not parse`);
    }
  }
  try {
    return checkToken(value, variable);
  } catch (err) {
    throw new Error(`${err.message} (in secret "${secretId}"; a JSON secret needs the key "token")`);
  }
}

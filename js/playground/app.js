// The playground: event text + options -> formatEvent() (the sgnotify core, as wasm) -> Slack-like
// previews. All text reaches the page through textContent / DOM nodes, never innerHTML.
import init, { formatEvent, threadFacts, threadSummary } from './vendor/sgnotify/web.js';
import { decodeEntities, emojify, parseMrkdwn } from './mrkdwn.js';
import { decodeState, encodeState } from './state.js';

const DEBOUNCE_MS = 150;
const DEFAULT_SAMPLE = 'aws-spotlight__AuthorizeSecurityGroupIngress__1';
const BLOCK_KIT_BUILDER = 'https://app.slack.com/block-kit-builder/#';

const $ = (id) => document.getElementById(id);
const ui = {
  sample: $('sample'), sampleSource: $('sample-source'), event: $('event'),
  timezone: $('timezone'), timezones: $('timezones'), locale: $('locale'), colorScheme: $('color-scheme'), view: $('view'), max: $('max-messages'),
  threadWindow: $('thread-window'),
  accounts: $('accounts'), policy: $('policy'), channel: $('channel'), username: $('username'), iconEmoji: $('icon-emoji'),
  share: $('share'), shareStatus: $('share-status'),
  error: $('error'), summary: $('summary'), output: $('output'), messages: $('messages'),
  skipped: $('skipped'), batchErrors: $('batch-errors'), template: $('message-template'),
};

let wasmReady = false;
let timer = 0;
let samples = [];

/** An input problem the page explains itself (as opposed to one the core reports). */
class InputError extends Error {
  constructor(title, message, snippet) {
    super(message);
    this.title = title;
    this.snippet = snippet;
  }
}

// ---- state <-> controls -------------------------------------------------------------------

const FIELDS = ['event', 'timezone', 'locale', 'colorScheme', 'view', 'threadWindow', 'accounts', 'policy', 'max', 'channel', 'username', 'iconEmoji'];

function readState() {
  return Object.fromEntries(FIELDS.map((k) => [k, ui[k].value]));
}

function applyState(state) {
  for (const k of FIELDS) if (typeof state[k] === 'string') ui[k].value = state[k];
  if (!['en', 'ko'].includes(ui.locale.value)) ui.locale.value = 'en';
  if (!['severity', 'action'].includes(ui.colorScheme.value)) ui.colorScheme.value = 'severity';
  if (!['messages', 'threads'].includes(ui.view.value)) ui.view.value = 'messages';
  if (state.max || state.channel || state.username || state.iconEmoji) ui.channel.closest('details').open = true;
}

let hashWrite = Promise.resolve();
function saveStateToHash() {
  const state = readState();
  ui.output.dataset.hash = 'saving';
  const write = hashWrite = hashWrite.then(async () => {
    const hash = await encodeState(state);
    if (location.hash.slice(1) !== hash) history.replaceState(null, '', `#${hash}`);
  }).catch(() => {}).then(() => {
    if (write === hashWrite) ui.output.dataset.hash = 'saved';
  });
  return hashWrite;
}

// ---- input -> options ---------------------------------------------------------------------

/** Line, column and the offending line of a JSON.parse failure. */
function jsonProblem(text, err, what) {
  const msg = String(err.message);
  const pos = /position (\d+)/.exec(msg);
  const at = pos ? Number(pos[1]) : /end of JSON input|Unterminated/.test(msg) ? text.length : null;
  const reason = msg.replace(/\s*in JSON at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)$/, '');
  if (at === null) return new InputError(`${what} is not valid JSON`, reason);
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  const lineText = text.split('\n')[line - 1] ?? '';
  const gutter = `${line} | `;
  const snippet = `${gutter}${lineText}\n${' '.repeat(gutter.length + column - 1)}^`;
  return new InputError(`${what} is not valid JSON`, `line ${line}, column ${column}: ${reason}`, snippet);
}

function readOptions() {
  const options = { locale: ui.locale.value, colorScheme: ui.colorScheme.value };
  const tz = ui.timezone.value.trim();
  if (tz) options.timezone = tz;
  const max = ui.max.value.trim();
  if (ui.max.validity.badInput || max) {
    const n = Number(max);
    if (!Number.isInteger(n) || n < 1) {
      throw new InputError('Max messages per event', `expected a whole number of at least 1, got "${max || ui.max.value}"`);
    }
    options.maxMessagesPerEvent = n;
  }
  const accountsText = ui.accounts.value.trim();
  if (accountsText) {
    let accounts;
    try {
      accounts = JSON.parse(accountsText);
    } catch (e) {
      throw jsonProblem(accountsText, e, 'Account names');
    }
    if (!accounts || typeof accounts !== 'object' || Array.isArray(accounts)) {
      throw new InputError('Account names', 'expected a JSON object of account id → name or {name, ou, tags}, e.g. {"111122223333": "production"}');
    }
    options.accounts = accounts;
  }
  const policyText = ui.policy.value.trim();
  if (policyText) {
    try {
      options.policy = JSON.parse(policyText);
    } catch (e) {
      throw jsonProblem(policyText, e, 'The policy');
    }
  }
  for (const k of ['channel', 'username', 'iconEmoji']) {
    const v = ui[k].value.trim();
    if (v) options[k] = v;
  }
  return options;
}

// ---- rendering ----------------------------------------------------------------------------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function appendNodes(parent, nodes) {
  for (const n of nodes) {
    switch (n.t) {
      case 'text': parent.append(emojify(n.s)); break;
      case 'b': appendNodes(parent.appendChild(el('strong')), n.c); break;
      case 'i': appendNodes(parent.appendChild(el('em')), n.c); break;
      case 's': appendNodes(parent.appendChild(el('s')), n.c); break;
      case 'code': parent.append(el('code', '', n.s)); break;
      case 'pre': parent.append(el('pre', 'pre', n.s)); break;
      case 'mention': parent.append(el('span', 'mention', n.s)); break;
      case 'link': {
        const a = el('a');
        a.href = n.href;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        appendNodes(a, n.c);
        parent.append(a);
        break;
      }
      default: break;
    }
  }
  return parent;
}

/** A Block Kit text object (mrkdwn or plain_text) as DOM. */
function textObject(obj, className) {
  const node = el('div', className);
  if (!obj || typeof obj.text !== 'string') return node;
  if (obj.type === 'mrkdwn') appendNodes(node, parseMrkdwn(obj.text));
  else node.textContent = emojify(decodeEntities(obj.text));
  return node;
}

function renderBlock(block) {
  switch (block.type) {
    case 'header': return textObject(block.text, 'block block-header');
    case 'divider': return el('hr', 'block block-divider');
    case 'section': {
      const node = el('div', 'block block-section');
      if (block.text) node.append(textObject(block.text, 'mrkdwn'));
      if (Array.isArray(block.fields) && block.fields.length) {
        const fields = el('div', 'fields');
        for (const f of block.fields) fields.append(textObject(f, 'field mrkdwn'));
        node.append(fields);
      }
      return node;
    }
    case 'context': {
      const node = el('div', 'block block-context');
      for (const e of block.elements ?? []) {
        // NOTE: image elements would load from another origin; show their alt text instead.
        node.append(e.type === 'image' ? el('span', 'image-alt', `[${e.alt_text ?? 'image'}]`) : textObject(e, 'context-item mrkdwn'));
      }
      return node;
    }
    default:
      return el('div', 'block block-unknown', `[${block.type} block: not previewed]`);
  }
}

const NAMED_COLOURS = { good: '#2eb886', warning: '#daa038', danger: '#a30200' };

function renderAttachment(att) {
  const node = el('div', 'attachment');
  node.dataset.testid = 'attachment';
  const colour = NAMED_COLOURS[att.color] ?? att.color;
  if (/^#[0-9a-f]{6}$/i.test(colour ?? '')) node.style.setProperty('--bar', colour);
  const blocks = el('div', 'blocks');
  if (Array.isArray(att.blocks) && att.blocks.length) {
    for (const b of att.blocks) blocks.append(renderBlock(b));
  } else {
    // Legacy attachment fields, in case the payload has no blocks.
    if (att.title) blocks.append(el('div', 'block block-header', decodeEntities(att.title)));
    if (att.text) blocks.append(appendNodes(el('div', 'block block-section mrkdwn'), parseMrkdwn(att.text)));
  }
  node.append(blocks);
  return node;
}

function renderMessage(m, i) {
  const node = ui.template.content.firstElementChild.cloneNode(true);
  const q = (sel) => node.querySelector(sel);
  const p = m.payload ?? {};
  node.dataset.severity = m.severity;
  node.classList.add(`sev-${m.severity}`);
  q('.badge').textContent = m.severity;
  const colour = p.attachments?.[0]?.color;
  if (/^#[0-9a-f]{6}$/i.test(colour ?? '')) node.style.setProperty('--sev', colour);
  q('.event-name').textContent = `#${i + 1} · ${m.eventName ?? ''}`;
  q('.rule-ids').textContent = (m.ruleIds ?? []).join(' ');
  q('.route').textContent = `→ ${m.destination ?? 'default'}`;
  q('.route-mention').textContent = m.mention ?? '';
  q('.username').textContent = p.username ?? 'sgnotify';
  const icon = p.icon_emoji ? emojify(p.icon_emoji) : '';
  if (icon && !icon.startsWith(':')) q('.avatar').textContent = icon;
  else q('.avatar').append(Object.assign(el('img'), { src: 'favicon.svg', alt: '', width: 24, height: 24 }));
  q('.channel').textContent = p.channel ? `→ ${p.channel}` : '';
  appendNodes(q('.notification'), parseMrkdwn(p.text ?? ''));
  q('.attachment').replaceWith(...(p.attachments ?? []).map(renderAttachment));
  const json = JSON.stringify(p, null, 2);
  q('.json').textContent = json;
  q('.bkb').href = BLOCK_KIT_BUILDER + encodeURIComponent(JSON.stringify({ attachments: p.attachments ?? [] }));
  const copy = q('.copy');
  copy.addEventListener('click', () => copyText(json, copy, 'Copy JSON'));
  return node;
}

// ---- Slack app mode preview: the bursts js/lambda/app.mjs would thread --------------------

const THREAD_WINDOW_SECONDS = 600; // the Lambda's THREAD_WINDOW_SECONDS default

/** The thread window in seconds, checked as the Lambda checks THREAD_WINDOW_SECONDS (1 to 86,400). */
function readThreadWindow() {
  const text = ui.threadWindow.value.trim();
  if (!ui.threadWindow.validity.badInput && !text) return THREAD_WINDOW_SECONDS;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 86_400) {
    throw new InputError('Thread window', `expected a whole number of seconds from 1 to 86400, got "${text || ui.threadWindow.value}"`);
  }
  return n;
}
const RANK = { info: 0, warning: 1, critical: 2 };

/**
 * Groups the messages as app mode does (same principal in the same account, within the window
 * from the burst's first change) and draws each burst as a thread: the parent the Lambda posts
 * (the core's threadSummary) with the rule messages as its replies.
 */
function renderThreads(text, messages, options, windowSeconds) {
  const facts = new Map(threadFacts(text).map((f) => [f.index, f]));
  const bursts = [];
  const open = new Map();
  for (const [i, m] of messages.entries()) {
    const f = facts.get(m.index) ?? { key: `record-${m.index}`, principal: 'unknown' };
    let b = open.get(f.key);
    if (!b || (f.epochSeconds !== undefined && b.start !== undefined && f.epochSeconds - b.start >= windowSeconds)) {
      b = { start: f.epochSeconds, account: f.account, principal: f.principal, principalType: f.principalType, changes: 0, severity: 'info', groups: [], replies: [] };
      open.set(f.key, b);
      bursts.push(b);
    }
    b.changes += 1;
    if (RANK[m.severity] > RANK[b.severity]) b.severity = m.severity;
    if (f.group && !b.groups.includes(f.group)) b.groups.push(f.group);
    if (f.time) {
      if (!b.firstTime || f.time < b.firstTime) b.firstTime = f.time;
      if (!b.lastTime || f.time > b.lastTime) b.lastTime = f.time;
    }
    b.replies.push([m, i]);
  }
  return bursts.map((b) => {
    const node = el('div', 'thread');
    node.dataset.testid = 'thread';
    const parent = threadSummary({
      account: b.account, principal: b.principal, principalType: b.principalType, changes: b.changes, severity: b.severity,
      groups: b.groups.slice(0, 10), groupCount: b.groups.length, firstTime: b.firstTime, lastTime: b.lastTime,
    }, options);
    const head = el('div', 'thread-parent');
    head.dataset.testid = 'thread-parent';
    head.append(appendNodes(el('div', 'notification'), parseMrkdwn(parent.text ?? '')));
    const blocks = el('div', 'blocks');
    for (const block of parent.blocks ?? []) blocks.append(renderBlock(block));
    head.append(blocks);
    const replies = el('div', 'thread-replies');
    replies.append(el('div', 'thread-count', plural(b.replies.length, 'reply')));
    for (const [m, i] of b.replies) {
      const reply = renderMessage(m, i);
      // NOTE: app mode also broadcasts a critical reply to the channel, so it cannot hide in a thread.
      if (m.severity === 'critical') reply.prepend(el('div', 'broadcast', 'Also sent to the channel'));
      replies.append(reply);
    }
    node.append(head, replies);
    return node;
  });
}

async function copyText(text, button, label) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied ✓';
  } catch {
    button.textContent = 'Copy failed: select the raw JSON';
  }
  setTimeout(() => { button.textContent = label; }, 1500);
}

function renderList(section, items) {
  const ul = section.querySelector('ul');
  ul.replaceChildren(...items.map((t) => el('li', '', t)));
  section.hidden = items.length === 0;
}

function showError(title, message, snippet) {
  const body = [el('strong', 'error-title', title), el('div', 'error-message', message)];
  if (snippet) body.push(el('pre', 'error-snippet', snippet));
  ui.error.replaceChildren(...body);
  ui.error.hidden = false;
}

function clearOutput() {
  ui.messages.replaceChildren();
  renderList(ui.skipped, []);
  renderList(ui.batchErrors, []);
}

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function update() {
  clearTimeout(timer);
  if (!wasmReady) return;
  saveStateToHash();
  const text = ui.event.value;
  if (!text.trim()) {
    ui.error.hidden = true;
    clearOutput();
    ui.summary.textContent = 'Paste an event or pick a sample to see its Slack messages.';
    ui.output.dataset.status = 'empty';
    return;
  }
  let result;
  let options;
  let windowSeconds;
  try {
    options = readOptions();
    if (ui.view.value === 'threads') windowSeconds = readThreadWindow();
    try {
      JSON.parse(text);
    } catch (e) {
      throw jsonProblem(text, e, 'The event');
    }
    result = formatEvent(text, options);
  } catch (e) {
    // Keep the last good previews out of sight: what is shown must match what is typed.
    clearOutput();
    if (e instanceof InputError) showError(e.title, e.message, e.snippet);
    else showError('sgnotify cannot format this input', e instanceof Error ? e.message : String(e));
    ui.summary.textContent = 'No preview until the input is fixed.';
    ui.output.dataset.status = 'error';
    return;
  }
  ui.error.hidden = true;
  const { messages = [], skipped = [], errors = [] } = result;
  let nodes;
  try {
    nodes = ui.view.value === 'threads' ? renderThreads(text, messages, options, windowSeconds) : messages.map(renderMessage);
  } catch (e) {
    showError('The thread preview failed; the messages are shown one by one', e instanceof Error ? e.message : String(e));
    nodes = messages.map(renderMessage);
  }
  ui.messages.replaceChildren(...nodes);
  renderList(ui.skipped, skipped.map((s) =>
    `Record ${s.index ?? '?'}${s.eventName ? ` · ${s.eventName}` : ''}${s.eventId ? ` (${s.eventId})` : ''}: ${s.reason}`));
  renderList(ui.batchErrors, errors.map((e) => `Record ${e.index}: ${e.message}`));
  ui.summary.textContent = [plural(messages.length, 'message'),
    skipped.length ? `${skipped.length} skipped` : '', errors.length ? plural(errors.length, 'bad record') : '']
    .filter(Boolean).join(' · ');
  ui.output.dataset.status = 'ok';
}

function schedule() {
  ui.output.dataset.status = 'pending';
  clearTimeout(timer);
  timer = setTimeout(update, DEBOUNCE_MS);
}

// ---- samples ------------------------------------------------------------------------------

function showSampleSource(sample) {
  const s = sample?.source;
  if (!s) {
    ui.sampleSource.textContent = '';
    return;
  }
  const parts = [s.repository && `from ${s.repository}`, s.licence, s.fidelity].filter(Boolean);
  ui.sampleSource.textContent = `${sample.form}${parts.length ? ` — ${parts.join(' · ')}` : ''}`;
}

function pickSample(id) {
  const sample = samples.find((s) => s.id === id);
  if (!sample) return;
  ui.sample.value = id;
  ui.event.value = sample.text;
  showSampleSource(sample);
  update();
}

async function loadSamples() {
  try {
    const res = await fetch('vendor/samples.json');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    samples = await res.json();
  } catch (e) {
    ui.sampleSource.textContent = `Samples are unavailable (${e.message}); run \`make playground\`.`;
    return;
  }
  const groups = { fixture: 'Real events (tests/fixtures)', derived: 'Envelopes (derived from real events)', synthetic: 'Synthetic' };
  for (const [kind, label] of Object.entries(groups)) {
    const group = el('optgroup');
    group.label = label;
    for (const s of samples.filter((x) => x.kind === kind)) {
      const opt = el('option', '', `${s.label} (${s.form})`);
      opt.value = s.id;
      group.append(opt);
    }
    if (group.children.length) ui.sample.append(group);
  }
}

// ---- start --------------------------------------------------------------------------------

function fillTimezones() {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch { /* older browsers: free text only */ }
  const all = ['UTC', ...zones.filter((z) => z !== 'UTC')];
  ui.timezones.replaceChildren(...all.map((z) => {
    const o = el('option');
    o.value = z;
    return o;
  }));
}

async function loadHash() {
  try {
    const state = await decodeState(location.hash);
    if (!state) return false;
    applyState(state);
    ui.sample.value = '';
    showSampleSource(null);
    return true;
  } catch (e) {
    ui.shareStatus.textContent = `The link's saved state is damaged (${e.message}); showing a sample instead.`;
    return false;
  }
}

async function start() {
  fillTimezones();
  for (const input of [ui.event, ui.timezone, ui.max, ui.threadWindow, ui.accounts, ui.policy, ui.channel, ui.username, ui.iconEmoji]) {
    input.addEventListener('input', schedule);
  }
  ui.locale.addEventListener('change', update);
  ui.colorScheme.addEventListener('change', update);
  ui.view.addEventListener('change', update);
  ui.sample.addEventListener('change', () => pickSample(ui.sample.value));
  ui.share.addEventListener('click', async () => {
    await saveStateToHash();
    await copyText(location.href, ui.share, 'Copy link to this preview');
  });
  window.addEventListener('hashchange', async () => {
    if (await loadHash()) update();
  });

  const [wasm] = await Promise.allSettled([init(), loadSamples()]);
  if (wasm.status === 'rejected') {
    showError('The sgnotify WebAssembly module did not load',
      `${wasm.reason?.message ?? wasm.reason}. Serve this page with \`make playground\`, which builds vendor/sgnotify/.`);
    ui.summary.textContent = '';
    ui.output.dataset.status = 'error';
    return;
  }
  wasmReady = true;
  if (!(await loadHash()) && samples.length) {
    pickSample(samples.some((s) => s.id === DEFAULT_SAMPLE) ? DEFAULT_SAMPLE : samples[0].id);
  } else {
    update();
  }
}

start();

// Slack mrkdwn -> a small tree of nodes that app.js turns into DOM nodes (textContent only, never
// innerHTML). Pure and DOM-free so it can be tested in Node.
//
// Node kinds: {t:'text', s} {t:'b'|'i'|'s', c:[...]} {t:'code', s} {t:'pre', s}
//             {t:'link', href, c:[...]} {t:'mention', s}
//
// NOTE: the core escapes every user-controlled string (& < >), so a raw `<` can only come from the
// core itself. Even so, a `<url|label>` becomes a link only for https URLs on the AWS console hosts
// the core links to; anything else is shown as the literal text.

const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };

/** Slack's three escapes, decoded for display (nothing else: `&quot;` stays as typed). */
export function decodeEntities(s) {
  return s.replace(/&(amp|lt|gt);/g, (m) => ENTITIES[m]);
}

const CONSOLE_HOST = /^([a-z0-9-]+\.)*console\.(aws\.amazon\.com|amazonaws-us-gov\.com|amazonaws\.cn)$/;

/** True for the links the core produces (CloudTrail / EC2 console pages). */
export function isTrustedLink(href) {
  let url;
  try {
    url = new URL(href);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && !url.username && !url.password && CONSOLE_HOST.test(url.hostname);
}

const isWordChar = (ch) => ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
const isSpace = (ch) => ch === undefined || /\s/.test(ch);

// Slack only formats a span whose opening mark follows a non-word character and is followed by a
// non-space, and whose closing mark follows a non-space and precedes a non-word character.
function findSpan(s, from, mark) {
  for (let i = s.indexOf(mark, from); i !== -1; i = s.indexOf(mark, i + 1)) {
    if (isWordChar(s[i - 1]) || isSpace(s[i + 1]) || s[i + 1] === mark) continue;
    for (let j = s.indexOf(mark, i + 1); j !== -1; j = s.indexOf(mark, j + 1)) {
      const inner = s.slice(i + 1, j);
      if (inner.includes('\n')) break;
      if (!isSpace(s[j - 1]) && !isWordChar(s[j + 1])) return [i, j];
    }
  }
  return null;
}

const STYLES = [['*', 'b'], ['_', 'i'], ['~', 's']];

// `<...>` tokens are masked by one private-use character each while formatting is parsed, so that
// `*<url|label>*` is a bold link and a `*` inside a URL never starts a span.
const MASK = 0xe000;
const MASK_RE = /[\ue000-\uf8ff]/g;

function unmaskText(s, tokens) {
  const out = [];
  let last = 0;
  for (const m of s.matchAll(MASK_RE)) {
    const token = tokens[m[0].charCodeAt(0) - MASK];
    if (!token) continue;
    if (m.index > last) out.push({ t: 'text', s: decodeEntities(s.slice(last, m.index)) });
    out.push(...angle(...token));
    last = m.index + 1;
  }
  if (last < s.length) out.push({ t: 'text', s: decodeEntities(s.slice(last)) });
  return out;
}

const unmaskRaw = (s, tokens) => decodeEntities(s.replace(MASK_RE, (c) => tokens[c.charCodeAt(0) - MASK]?.[1] ?? c));

function inline(s, tokens) {
  const out = [];
  let rest = s;
  while (rest) {
    // Code first: nothing inside backticks is formatted.
    let best = null;
    const fence = rest.indexOf('```');
    if (fence !== -1) {
      const end = rest.indexOf('```', fence + 3);
      if (end !== -1) best = { i: fence, j: end + 3, node: { t: 'pre', s: unmaskRaw(rest.slice(fence + 3, end).replace(/^\n/, ''), tokens) } };
    }
    const code = /`([^`\n]+)`/.exec(rest);
    if (code && (!best || code.index < best.i)) {
      best = { i: code.index, j: code.index + code[0].length, node: { t: 'code', s: unmaskRaw(code[1], tokens) } };
    }
    for (const [mark, t] of STYLES) {
      const span = findSpan(rest, 0, mark);
      if (span && (!best || span[0] < best.i)) {
        best = { i: span[0], j: span[1] + 1, node: { t, c: inline(rest.slice(span[0] + 1, span[1]), tokens) } };
      }
    }
    if (!best) {
      out.push(...unmaskText(rest, tokens));
      break;
    }
    if (best.i > 0) out.push(...unmaskText(rest.slice(0, best.i), tokens));
    out.push(best.node);
    rest = rest.slice(best.j);
  }
  return out;
}

function angle(inner, raw) {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? '' : inner.slice(bar + 1);
  if (/^[!@#]/.test(target)) {
    // <!here>, <@U123>, <#C123|name>: shown the way Slack shows them, never as a link.
    const name = label || target.slice(1).replace(/^(subteam\^)?/, '');
    return [{ t: 'mention', s: `${target[0] === '#' ? '#' : '@'}${decodeEntities(name)}` }];
  }
  const href = decodeEntities(target);
  if (isTrustedLink(href)) return [{ t: 'link', href, c: label ? inline(label, []) : [{ t: 'text', s: href }] }];
  return [{ t: 'text', s: decodeEntities(raw) }];
}

/** Parses Slack mrkdwn into nodes. Newlines stay in text nodes (rendered with pre-wrap). */
export function parseMrkdwn(text) {
  const s = String(text ?? '');
  const tokens = [];
  if (/[\ue000-\uf8ff]/.test(s)) {
    // The text already holds private-use characters: parse each piece between tokens on its own.
    const out = [];
    let last = 0;
    for (const m of s.matchAll(/<([^<>\n]*)>/g)) {
      if (m.index > last) out.push(...inline(s.slice(last, m.index), []));
      out.push(...angle(m[1], m[0]));
      last = m.index + m[0].length;
    }
    if (last < s.length) out.push(...inline(s.slice(last), []));
    return out;
  }
  const masked = s.replace(/<([^<>\n]*)>/g, (raw, inner) => {
    if (tokens.length >= 0x18ff) return raw;
    tokens.push([inner, raw]);
    return String.fromCharCode(MASK + tokens.length - 1);
  });
  return inline(masked, tokens);
}

// The few emoji codes a security alert is likely to use; others stay as typed (`:name:`).
const EMOJI = {
  rotating_light: '🚨', warning: '⚠️', information_source: 'ℹ️', red_circle: '🔴', large_orange_circle: '🟠',
  orange_circle: '🟠', large_yellow_circle: '🟡', yellow_circle: '🟡', large_blue_circle: '🔵', blue_circle: '🔵',
  large_green_circle: '🟢', green_circle: '🟢', white_circle: '⚪', white_check_mark: '✅', heavy_check_mark: '✔️',
  x: '❌', no_entry: '⛔', no_entry_sign: '🚫', lock: '🔒', unlock: '🔓', closed_lock_with_key: '🔐', key: '🔑',
  shield: '🛡️', heavy_plus_sign: '➕', heavy_minus_sign: '➖', new: '🆕', wastebasket: '🗑️', pencil2: '✏️',
  memo: '📝', globe_with_meridians: '🌐', earth_americas: '🌎', earth_asia: '🌏', link: '🔗', bust_in_silhouette: '👤',
  robot_face: '🤖', clock3: '🕒', fire: '🔥', sos: '🆘', mag: '🔍', arrow_right: '➡️', arrow_left: '⬅️',
  inbox_tray: '📥', outbox_tray: '📤', door: '🚪', construction: '🚧', bell: '🔔', exclamation: '❗',
  heavy_exclamation_mark: '❗', question: '❓', cloud: '☁️', gear: '⚙️', package: '📦', pushpin: '📌',
  calendar: '📆', id: '🆔', busts_in_silhouette: '👥', label: '🏷️', repeat: '🔁', recycle: '♻️', boom: '💥',
};

/** Replaces known `:emoji_code:` with the character, as Slack does. */
export function emojify(s) {
  return s.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] ?? m);
}

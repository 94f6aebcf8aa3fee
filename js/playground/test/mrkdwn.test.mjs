// The page's pure helpers, in Node: Slack mrkdwn parsing (what becomes a link, what stays text)
// and the URL-hash state round trip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeEntities, emojify, isTrustedLink, parseMrkdwn } from '../mrkdwn.js';
import { decodeState, encodeState } from '../state.js';

const links = (nodes) => nodes.flatMap((n) => (n.t === 'link' ? [n.href] : n.c ? links(n.c) : []));
const text = (nodes) => nodes.map((n) => n.s ?? (n.c ? text(n.c) : '')).join('');

test('decodes exactly the three Slack escapes, once', () => {
  assert.equal(decodeEntities('a &amp;lt; b &lt;x&gt; &quot; &amp;'), 'a &lt; b <x> &quot; &');
});

test('an escaped forged link stays text', () => {
  const nodes = parseMrkdwn('see &lt;https://evil.example|Click&gt; now');
  assert.deepEqual(links(nodes), []);
  assert.equal(text(nodes), 'see <https://evil.example|Click> now');
});

test('a raw link is a link only for https AWS console hosts', () => {
  const ok = 'https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/abc';
  assert.deepEqual(links(parseMrkdwn(`<${ok}|View event>`)), [ok]);
  assert.deepEqual(links(parseMrkdwn('<https://console.aws.amazon.com/ec2/home>')), ['https://console.aws.amazon.com/ec2/home']);
  for (const bad of ['https://evil.example', 'http://console.aws.amazon.com/x', 'https://console.aws.amazon.com.evil.example/',
    'javascript:alert(1)', 'https://user@console.aws.amazon.com/', 'https://evilconsole.aws.amazon.com/']) {
    assert.deepEqual(links(parseMrkdwn(`<${bad}|x>`)), [], bad);
    assert.equal(text(parseMrkdwn(`<${bad}|x>`)), `<${bad}|x>`);
  }
  assert.equal(isTrustedLink('https://console.amazonaws-us-gov.com/cloudtrail'), true);
});

test('bold, italic, strike and code follow Slack word boundaries', () => {
  assert.deepEqual(parseMrkdwn('*Added* `sg-1` _now_ ~old~'), [
    { t: 'b', c: [{ t: 'text', s: 'Added' }] }, { t: 'text', s: ' ' }, { t: 'code', s: 'sg-1' }, { t: 'text', s: ' ' },
    { t: 'i', c: [{ t: 'text', s: 'now' }] }, { t: 'text', s: ' ' }, { t: 's', c: [{ t: 'text', s: 'old' }] },
  ]);
  assert.deepEqual(parseMrkdwn('role my_deploy_role and 2*3*4'), [{ t: 'text', s: 'role my_deploy_role and 2*3*4' }]);
  assert.deepEqual(parseMrkdwn('`a *b* &lt;c&gt;`'), [{ t: 'code', s: 'a *b* <c>' }]);
  const boldLink = parseMrkdwn('*<https://console.aws.amazon.com/x|View>*');
  assert.equal(boldLink[0].t, 'b');
  assert.equal(boldLink[0].c[0].t, 'link');
});

test('mentions never become links; newlines are kept', () => {
  assert.deepEqual(parseMrkdwn('<!channel>'), [{ t: 'mention', s: '@channel' }]);
  assert.equal(text(parseMrkdwn('a\nb')), 'a\nb');
});

test('emoji codes that alerts use are shown as emoji', () => {
  assert.equal(emojify(':rotating_light: x :no_such_emoji:'), '🚨 x :no_such_emoji:');
});

test('state survives the URL hash', async () => {
  const state = { event: '{"a": "ü <b> & \\n"}'.repeat(50), timezone: 'Asia/Seoul', locale: 'ko', accounts: '{}', max: '3' };
  const hash = await encodeState(state);
  assert.match(hash, /^z=[A-Za-z0-9_-]+$/);
  assert.deepEqual(await decodeState(`#${hash}`), state);
  assert.equal(await decodeState(''), null);
  await assert.rejects(decodeState('#z=AAAA'));
});

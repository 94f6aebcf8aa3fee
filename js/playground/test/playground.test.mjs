// The served playground driven in headless Chromium: what a person sees for real and synthetic
// events, the error path, escaping, options, sharing, and no request leaving the machine.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ARTIFACTS, LAPTOP, PHONE, messageTexts, messages, openPage, readEvent, setEvent, setOption, settled, startAll,
} from './helpers.mjs';

const FIXTURES = new URL('../../../tests/fixtures/events/', import.meta.url).pathname;
const SIX = readEvent('synthetic-six-rules.json');
const SIX_SOURCES = ['203.0.113.0/24', '192.0.2.10/32', '2001:db8:1234::/48', 'pl-0a1b2c3d4e5f67890',
  'sg-0fedcba9876543210', 'sg-0123456789abcdef0'];

/** The six-rule event with one rule description replaced. */
function sixWithDescription(description) {
  const e = JSON.parse(SIX);
  e.detail.requestParameters.ipPermissions.items[0].ipRanges.items[1].description = description;
  return JSON.stringify(e, null, 2);
}

let env;
before(async () => { env = await startAll(); });
after(async () => { await env?.stop(); });

describe('playground', { timeout: 120_000 }, () => {
  test('loads a real sample on first open', async () => {
    const p = await openPage(env);
    assert.equal(await p.page.locator('#output').getAttribute('data-status'), 'ok');
    assert.ok(await messages(p.page).count() >= 1, 'the default sample shows at least one message');
    assert.notEqual(await p.page.getByTestId('event-input').inputValue(), '');
    assert.ok(p.requests.some((u) => u.endsWith('.wasm')), 'the wasm module was fetched from the server');
    await p.close();
  });

  test('a six-rule event gives six previews with every source visible', async () => {
    const p = await openPage(env);
    assert.equal(await setEvent(p.page, SIX), 'ok');
    assert.equal(await messages(p.page).count(), 6);
    assert.equal(await p.page.getByTestId('error').isVisible(), false);
    const texts = await messageTexts(p.page);
    // Each rule's own source appears in its own message, and every source somewhere.
    for (const source of SIX_SOURCES) {
      assert.ok(texts.filter((t) => t.includes(source)).length >= 1, `source ${source} is visible`);
    }
    const all = texts.join('\n');
    for (const s of ['AuthorizeSecurityGroupIngress', 'sg-0a1b2c3d4e5f60718', 'eu-west-1', '198.51.100.23',
      '111122223333', '443', '5432', '444455556666']) {
      assert.ok(all.includes(s), `"${s}" is shown`);
    }
    // Drawn like Slack: a colour bar, a header, fields, the notification line.
    for (let i = 0; i < 6; i++) {
      const m = messages(p.page).nth(i);
      const bar = await m.getByTestId('attachment').first().evaluate((e) => getComputedStyle(e).borderLeftColor);
      assert.notEqual(bar, 'rgba(0, 0, 0, 0)', 'attachment has a colour bar');
      assert.ok((await m.locator('.block-header').count()) >= 1, 'has a header');
      assert.ok((await m.getByTestId('notification').innerText()).trim().length > 0, 'has the notification text');
      assert.match(await m.getAttribute('data-severity'), /^(critical|warning|info)$/);
    }
    assert.ok(await p.page.locator('.message .fields .field').count() >= 6, 'fields are drawn');
    await p.close();
  });

  test('bad input says what and where, and the page recovers when it is fixed', async () => {
    const p = await openPage(env);
    const error = p.page.getByTestId('error');

    // Broken JSON: the line and column of the problem.
    const broken = SIX.replace('"eventName": "AuthorizeSecurityGroupIngress",', '"eventName": "AuthorizeSecurityGroupIngress"');
    assert.equal(await setEvent(p.page, broken), 'error');
    assert.ok(await error.isVisible());
    const jsonMessage = await error.innerText();
    const line = broken.split('\n').findIndex((l) => l.includes('"awsRegion"')) + 1;
    assert.match(jsonMessage, /not valid JSON/);
    assert.match(jsonMessage, new RegExp(`line ${line}, column \\d+`), jsonMessage);
    assert.equal(await messages(p.page).count(), 0, 'no stale previews next to an error');

    // Well-formed JSON the core rejects: the core's message, naming the field.
    const wrong = JSON.parse(SIX);
    wrong.detail.requestParameters.ipPermissions.items = 'tcp 22 from anywhere';
    assert.equal(await setEvent(p.page, JSON.stringify(wrong, null, 2)), 'error');
    const coreMessage = await error.innerText();
    assert.match(coreMessage, /ipPermissions/, coreMessage);

    // Not an event at all.
    assert.equal(await setEvent(p.page, '{"hello": "world"}'), 'error');
    assert.match(await error.innerText(), /EventBridge/);

    // Fixed by typing, as a person would: the preview follows the keystrokes.
    assert.equal(await setEvent(p.page, SIX.trimEnd().slice(0, -1)), 'error');
    await p.page.getByTestId('event-input').press('Control+End');
    await p.page.keyboard.type('}');
    assert.equal(await settled(p.page), 'ok');
    assert.equal(await error.isVisible(), false);
    assert.equal(await messages(p.page).count(), 6);

    // Emptied: a hint, no error.
    assert.equal(await setEvent(p.page, '   '), 'empty');
    assert.equal(await error.isVisible(), false);
    assert.equal(await messages(p.page).count(), 0);
    await p.close();
  });

  test('user text is shown as text: a forged link is no link, entities are decoded once', async () => {
    const p = await openPage(env);
    const evil = '<https://evil.example|Click> <!channel> *not bold?* & <b>tag</b>';
    assert.equal(await setEvent(p.page, sixWithDescription(evil)), 'ok');
    // (The Block Kit Builder link carries the payload in its fragment; judge anchors by their host.)
    const hosts = await p.page.locator('a[href]').evaluateAll((as) => as.map((a) => new URL(a.href).hostname));
    assert.ok(!hosts.includes('evil.example'), `no anchor to evil.example (${hosts.join(', ')})`);
    assert.equal(await p.page.locator('.message b').count(), 0, 'no element from user text');
    const target = messages(p.page).filter({ hasText: '192.0.2.10/32' });
    assert.equal(await target.count(), 1);
    const text = await target.innerText();
    assert.ok(text.includes('<https://evil.example|Click>'), `the description is shown literally:\n${text}`);
    assert.ok(text.includes('<b>tag</b>'));
    assert.ok(!text.includes('&lt;') && !text.includes('&amp;'), 'entities are decoded for display');
    // The only anchors in a preview are console links the core made, plus the Block Kit Builder link.
    const hrefs = await p.page.locator('.message a').evaluateAll((as) => as.map((a) => a.href));
    for (const href of hrefs) {
      const u = new URL(href);
      assert.equal(u.protocol, 'https:', href);
      assert.ok(/(^|\.)console\.aws\.amazon\.com$/.test(u.hostname) || u.href.startsWith('https://app.slack.com/block-kit-builder/#'), href);
    }
    await p.close();
  });

  test('options: time zone, locale, account names, max messages and payload overrides', async () => {
    const p = await openPage(env);
    await setEvent(p.page, SIX);
    const utc = (await messageTexts(p.page)).join('\n');
    assert.ok(utc.includes('2024-05-06 07:08:09'), 'UTC time shown by default');

    assert.equal(await setOption(p.page, 'timezone', 'Asia/Seoul'), 'ok');
    const seoul = (await messageTexts(p.page)).join('\n');
    assert.ok(seoul.includes('2024-05-06 16:08:09'), 'time converted to Asia/Seoul');

    assert.equal(await setOption(p.page, 'timezone', 'Mars/Olympus_Mons'), 'error');
    assert.match(await p.page.getByTestId('error').innerText(), /Mars\/Olympus_Mons/);
    assert.equal(await setOption(p.page, 'timezone', 'America/New_York'), 'ok');
    assert.ok((await messageTexts(p.page)).join('\n').includes('2024-05-06 03:08:09'));

    assert.equal(await setOption(p.page, 'accounts', '{"111122223333": "prod-payments"}'), 'ok');
    assert.ok((await messageTexts(p.page)).join('\n').includes('prod-payments'), 'account name shown');
    assert.equal(await setOption(p.page, 'accounts', '{"111122223333": '), 'error');
    assert.match(await p.page.getByTestId('error').innerText(), /Account names/);
    assert.equal(await setOption(p.page, 'accounts', '["x"]'), 'error');
    assert.equal(await setOption(p.page, 'accounts', ''), 'ok');

    const english = await messages(p.page).first().locator('.blocks').innerText();
    assert.equal(await setOption(p.page, 'locale', 'ko'), 'ok');
    const korean = await messages(p.page).first().locator('.blocks').innerText();
    assert.notEqual(korean, english, 'labels change with the locale');
    assert.match(korean, /[\uac00-\ud7a3]/, 'Korean labels');
    await setOption(p.page, 'locale', 'en');

    assert.equal(await setOption(p.page, 'max-messages', '2'), 'ok');
    const grouped = await messages(p.page).count();
    assert.ok(grouped >= 1 && grouped <= 2, `at most 2 messages, got ${grouped}`);
    const groupedText = (await messageTexts(p.page)).join('\n');
    for (const source of SIX_SOURCES) assert.ok(groupedText.includes(source), `grouped: ${source} still listed`);
    assert.equal(await setOption(p.page, 'max-messages', '0'), 'error');
    assert.match(await p.page.getByTestId('error').innerText(), /Max messages/);
    assert.equal(await setOption(p.page, 'max-messages', ''), 'ok');
    assert.equal(await messages(p.page).count(), 6);

    await p.page.locator('details.more summary').click();
    assert.equal(await setOption(p.page, 'channel', '#sec-alerts'), 'ok');
    assert.equal(await setOption(p.page, 'username', 'SG Watch'), 'ok');
    const raw = JSON.parse(await messages(p.page).first().getByTestId('raw-json').textContent());
    assert.equal(raw.channel, '#sec-alerts');
    assert.equal(raw.username, 'SG Watch');
    assert.ok((await messages(p.page).first().locator('.username').innerText()).includes('SG Watch'));
    await p.close();
  });

  test('threads view: one parent per principal and account, its replies under it, as app mode posts them', async () => {
    // Three real events: two by one role, one by a user, all in one account within ten minutes.
    const names = ['aws-spotlight__RevokeSecurityGroupIngress__1', 'aws-spotlight__AuthorizeSecurityGroupIngress__1', 'aws-spotlight__AuthorizeSecurityGroupEgress__1'];
    const records = names.map((n) => JSON.parse(readFileSync(join(FIXTURES, `${n}.json`), 'utf8'))).map((e) => e.detail ?? e);
    const p = await openPage(env);
    assert.equal(await setEvent(p.page, JSON.stringify({ Records: records }, null, 2)), 'ok');
    const flat = await messages(p.page).count();
    assert.equal(await setOption(p.page, 'view', 'threads'), 'ok');
    const threads = p.page.getByTestId('thread');
    assert.equal(await threads.count(), 2, 'two principals, two threads');
    const replies = [await threads.nth(0).getByTestId('message').count(), await threads.nth(1).getByTestId('message').count()];
    assert.equal(replies[0] + replies[1], flat, 'every message is a reply in exactly one thread');
    for (const [i, n] of replies.entries()) {
      const parent = await threads.nth(i).getByTestId('thread-parent').innerText();
      assert.match(parent, new RegExp(`Changes\\W+${n}\\b`), `thread ${i} counts its ${n} replies: ${parent}`);
    }
    // A critical reply says it also went to the channel; a critical-free thread says nothing.
    const critical = await p.page.locator('.thread .message[data-severity="critical"]').count();
    assert.ok(critical >= 1);
    assert.equal(await p.page.locator('.thread .broadcast').count(), critical);
    await p.page.screenshot({ path: join(ARTIFACTS, 'playground-threads.png'), fullPage: true });
    // The role's two changes are 283 s apart: a 60 s window splits its thread, as the Lambda would.
    assert.equal(await setOption(p.page, 'thread-window', '60'), 'ok');
    assert.equal(await threads.count(), 3, 'a 60 s window: the role\'s second change opens a new thread');
    // The window is half-open, as the Lambda's: a change exactly W seconds after the first opens a new thread.
    assert.equal(await setOption(p.page, 'thread-window', '283'), 'ok');
    assert.equal(await threads.count(), 3, 'exactly at the window\'s end: a new thread');
    assert.equal(await setOption(p.page, 'thread-window', '284'), 'ok');
    assert.equal(await threads.count(), 2, 'within the window from the first change');
    assert.equal(await setOption(p.page, 'thread-window', '0'), 'error');
    assert.match(await p.page.getByTestId('error').innerText(), /Thread window/);
    assert.equal(await setOption(p.page, 'thread-window', ''), 'ok');
    assert.equal(await threads.count(), 2);
    assert.equal(await setOption(p.page, 'view', 'messages'), 'ok');
    assert.equal(await threads.count(), 0);
    assert.equal(await messages(p.page).count(), flat);
    await p.close();
  });

  test('the colour scheme switch changes the bar colour, not the severity', async () => {
    const p = await openPage(env);
    // The six-rule sample adds rules (blue by action); its revoke twin removes them (red by action).
    const revoke = SIX.replace('"AuthorizeSecurityGroupIngress"', '"RevokeSecurityGroupIngress"');
    const bars = async () => Promise.all((await messages(p.page).all()).map(async (m) => [
      await m.getByTestId('attachment').first().evaluate((e) => getComputedStyle(e).borderLeftColor),
      await m.getAttribute('data-severity'),
    ]));
    assert.equal(await setEvent(p.page, revoke), 'ok');
    const bySeverity = await bars();
    assert.equal(bySeverity.length, 6);
    assert.ok(bySeverity.every(([c, s]) => c === 'rgb(46, 134, 222)' && s === 'info'), JSON.stringify(bySeverity));
    assert.equal(await setOption(p.page, 'color-scheme', 'action'), 'ok');
    const byAction = await bars();
    assert.ok(byAction.every(([c, s]) => c === 'rgb(235, 64, 52)' && s === 'info'), JSON.stringify(byAction));
    assert.equal(JSON.parse(await messages(p.page).first().getByTestId('raw-json').textContent()).attachments[0].color, '#eb4034');
    // An addition under "action" is dark blue, whatever its risk (one source opened to the world).
    assert.equal(await setEvent(p.page, SIX.replace('203.0.113.0/24', '0.0.0.0/0')), 'ok');
    const added = await bars();
    assert.ok(added.every(([c]) => c === 'rgb(12, 63, 125)'), JSON.stringify(added));
    assert.ok(added.some(([, s]) => s !== 'info'), `severity is still shown as before: ${JSON.stringify(added)}`);
    await p.page.waitForSelector('#output[data-hash="saved"]', { state: 'attached' });
    const q = await openPage(env, { hash: new URL(p.page.url()).hash });
    assert.equal(await q.page.getByTestId('color-scheme').inputValue(), 'action', 'the scheme is part of a shared link');
    await q.close();
    await p.close();
  });

  test('the URL hash keeps the event and options, so a preview can be shared', async () => {
    const p = await openPage(env);
    await setEvent(p.page, SIX);
    await setOption(p.page, 'timezone', 'Asia/Seoul');
    await setOption(p.page, 'locale', 'ko');
    await setOption(p.page, 'accounts', '{"111122223333": "prod-payments"}');
    // The hash is written (compressed, async) after each render; wait until it holds the latest state.
    await p.page.waitForSelector('#output[data-hash="saved"]', { state: 'attached' });
    const shared = p.page.url();
    const before = await messageTexts(p.page);
    await p.close();

    const q = await openPage(env, { hash: new URL(shared).hash });
    assert.equal(await q.page.getByTestId('timezone').inputValue(), 'Asia/Seoul');
    assert.equal(await q.page.getByTestId('locale').inputValue(), 'ko');
    assert.equal(await q.page.getByTestId('accounts').inputValue(), '{"111122223333": "prod-payments"}');
    assert.equal(await q.page.getByTestId('event-input').inputValue(), SIX);
    assert.deepEqual(await messageTexts(q.page), before);
    await q.close();

    const r = await openPage(env, { hash: '#z=not-a-real-state' });
    assert.equal(await r.page.locator('#output').getAttribute('data-status'), 'ok', 'a damaged link falls back to a sample');
    await r.close();
  });

  test('every sample (real fixtures, envelopes, synthetic) renders without an error', async () => {
    const p = await openPage(env);
    const ids = await p.page.getByTestId('sample-picker').locator('option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
    assert.ok(ids.length >= 20, `samples listed: ${ids.length}`);
    const forms = new Set();
    for (const id of ids) {
      await p.page.getByTestId('sample-picker').selectOption(id);
      assert.equal(await settled(p.page), 'ok', `${id}: ${await p.page.getByTestId('error').innerText().catch(() => '')}`);
      const shown = (await messages(p.page).count()) + (await p.page.locator('[data-testid="skipped"] li').count());
      assert.ok(shown >= 1, `${id} shows a message or a skip reason`);
      assert.ok((await p.page.getByTestId('sample-source').innerText()).length > 0, `${id} has its source`);
      forms.add((await p.page.getByTestId('sample-source').innerText()).split(' — ')[0]);
    }
    for (const form of ['EventBridge', 'SNS', 'SQS', 'CloudTrail record', 'CloudTrail log file']) {
      assert.ok(forms.has(form), `a ${form} sample exists (have ${[...forms].join(', ')})`);
    }
    await p.close();
  });

  test('skipped events and bad records in a batch are shown beside the messages', async () => {
    const p = await openPage(env);
    const good = JSON.parse(SIX).detail;
    const other = { ...good, eventName: 'DescribeInstances', eventSource: 'ec2.amazonaws.com', eventID: 'not-an-sg-change' };
    const bad = JSON.parse(JSON.stringify(good));
    bad.eventID = 'broken-record';
    bad.requestParameters.ipPermissions = { items: 'oops' };
    assert.equal(await setEvent(p.page, JSON.stringify({ Records: [good, other, bad] }, null, 2)), 'ok');
    assert.equal(await messages(p.page).count(), 6);
    const skipped = p.page.getByTestId('skipped');
    assert.ok(await skipped.isVisible());
    assert.match(await skipped.innerText(), /DescribeInstances/);
    const errors = p.page.getByTestId('batch-errors');
    assert.ok(await errors.isVisible());
    assert.match(await errors.innerText(), /Record 2: .*ipPermissions/s);
    assert.match(await p.page.getByTestId('summary').innerText(), /6 messages · 1 skipped · 1 bad record/);
    await p.close();
  });

  test('raw JSON, copy button and Block Kit Builder link carry the exact payload', async () => {
    const p = await openPage(env, { permissions: ['clipboard-read', 'clipboard-write'] });
    await setEvent(p.page, SIX);
    const m = messages(p.page).first();
    await m.locator('details.raw summary').click();
    assert.ok(await m.getByTestId('raw-json').isVisible());
    const raw = JSON.parse(await m.getByTestId('raw-json').textContent());
    assert.equal(typeof raw.text, 'string');
    assert.ok(Array.isArray(raw.attachments) && raw.attachments[0].blocks.length > 0);

    await m.getByTestId('copy').click();
    await p.page.waitForFunction(() => document.querySelector('[data-testid="copy"]').textContent.includes('Copied'));
    assert.deepEqual(JSON.parse(await p.page.evaluate(() => navigator.clipboard.readText())), raw);

    const href = await m.getByTestId('block-kit-link').getAttribute('href');
    const prefix = 'https://app.slack.com/block-kit-builder/#';
    assert.ok(href.startsWith(prefix), href);
    assert.deepEqual(JSON.parse(decodeURIComponent(href.slice(prefix.length))), { attachments: raw.attachments });
    assert.equal(await m.getByTestId('block-kit-link').getAttribute('rel'), 'noopener noreferrer');
    await p.close();
  });

  test('readable at laptop and phone widths, light and dark (screenshots kept)', async () => {
    for (const [name, viewport] of [['laptop', LAPTOP], ['phone', PHONE]]) {
      for (const colorScheme of ['light', 'dark']) {
        const p = await openPage(env, { viewport, colorScheme });
        await setEvent(p.page, SIX);
        await p.page.getByTestId('event-input').evaluate((e) => { e.setSelectionRange(0, 0); e.scrollTop = 0; e.blur(); });
        const overflow = await p.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${name}/${colorScheme}: no sideways scrolling (overflow ${overflow}px)`);
        const bg = await p.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        const [r, g, b] = bg.match(/\d+/g).map(Number);
        assert.equal(r + g + b < 200, colorScheme === 'dark', `${name}/${colorScheme}: background ${bg}`);
        const file = join(ARTIFACTS, `playground-${name}-${colorScheme}.png`);
        // The preview pane is what people check; on a phone it comes after the input.
        if (name === 'phone') await p.page.getByTestId('summary').evaluate((e) => e.scrollIntoView({ block: 'start' }));
        await p.page.screenshot({ path: file, fullPage: name === 'laptop' });
        if (name === 'laptop' && colorScheme === 'light') {
          await setEvent(p.page, '{"detail": ');
          await p.page.screenshot({ path: join(ARTIFACTS, 'playground-laptop-error.png') });
        }
        await p.close();
      }
    }
  });
});

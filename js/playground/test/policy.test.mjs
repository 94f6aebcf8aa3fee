// The playground's policy box (issue 11) in headless Chromium on a real fixture: each message's
// destination and mention, the policy's skips, a bad policy's key path, and a shared link that
// keeps the policy.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { messages, openPage, setOption, settled, startAll } from './helpers.mjs';

// SSH open to the world in account 123456789012 (EventBridge event): critical.
const SAMPLE = 'watch-security-group__AuthorizeSecurityGroupIngress__1';
const ACCOUNTS = JSON.stringify({ 123456789012: { name: 'prod-web', ou: 'Root/Prod/Web', tags: { env: 'prod' } } });
const ROUTES = JSON.stringify({
  routes: [
    { destination: 'sec-alerts', mention: '<!here>', match: { ou: 'Root/Prod', severity: 'critical' } },
    { destination: 'prod', match: { tag: { env: 'prod' } } },
  ],
});

let env;
before(async () => { env = await startAll(); });
after(async () => { await env?.stop(); });

async function withSample(page) {
  await page.getByTestId('sample-picker').selectOption(SAMPLE);
  await settled(page);
  assert.equal(await setOption(page, 'accounts', ACCOUNTS), 'ok');
}

describe('playground policy', { timeout: 120_000 }, () => {
  test('each message shows its destination and mention; the mention leads the notification', async () => {
    const p = await openPage(env);
    await withSample(p.page);
    const m = messages(p.page).first();
    assert.equal(await m.getByTestId('destination').innerText(), '→ default', 'no policy: the default destination');
    assert.ok((await m.innerText()).includes('OU: Root/Prod/Web'), 'the account\'s OU path is shown');

    assert.equal(await setOption(p.page, 'policy', ROUTES), 'ok');
    assert.equal(await m.getByTestId('destination').innerText(), '→ sec-alerts');
    assert.equal(await m.getByTestId('mention').innerText(), '<!here>');
    assert.match(await m.getByTestId('notification').innerText(), /^@here 🚨/);
    assert.match(await m.getByTestId('raw-json').textContent(), /"text": "<!here> /);
    await p.close();
  });

  test('muted and below-minimum changes are listed as skipped with the policy entry', async () => {
    const p = await openPage(env);
    await withSample(p.page);
    assert.equal(await setOption(p.page, 'policy', JSON.stringify({ mute: [{ principal: '*:user/nobody' }, { ou: 'Root/Prod' }] })), 'ok');
    assert.equal(await messages(p.page).count(), 0);
    const skipped = p.page.getByTestId('skipped');
    assert.ok(await skipped.isVisible());
    assert.match(await skipped.innerText(), /policy: mute\[1\] · Inbound rule added: TCP 22 \(SSH\)/);
    assert.equal(await setOption(p.page, 'policy', JSON.stringify({ minSeverity: 'critical' })), 'ok');
    assert.equal(await messages(p.page).count(), 1, 'critical stays');
    await p.close();
  });

  test('a bad policy says which key; bad JSON says where', async () => {
    const p = await openPage(env);
    await withSample(p.page);
    const badKey = JSON.stringify({ routes: [{ destination: 'x', match: { severity: 'high' } }] });
    assert.equal(await setOption(p.page, 'policy', badKey), 'error');
    assert.match(await p.page.getByTestId('error').innerText(), /options\.policy\.routes\[0\]\.match\.severity: unknown severity "high"/);
    assert.equal(await setOption(p.page, 'policy', '{"mute": ['), 'error');
    assert.match(await p.page.getByTestId('error').innerText(), /The policy is not valid JSON/);
    assert.equal(await setOption(p.page, 'policy', ''), 'ok');
    await p.close();
  });

  test('a shared link keeps the policy', async () => {
    const p = await openPage(env);
    await withSample(p.page);
    await setOption(p.page, 'policy', ROUTES);
    await p.page.waitForSelector('#output[data-hash="saved"]', { state: 'attached' });
    const hash = new URL(p.page.url()).hash;
    await p.close();

    const q = await openPage(env, { hash });
    assert.equal(await q.page.getByTestId('policy').inputValue(), ROUTES);
    assert.equal(await messages(q.page).first().getByTestId('destination').innerText(), '→ sec-alerts');
    await q.close();
  });
});

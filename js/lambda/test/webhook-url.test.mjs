// Issue 10, sgnotify/deliver: which webhook URLs are accepted (Slack's hosts, or what
// SLACK_WEBHOOK_ALLOWED_HOSTS names), Slack's answer redacted before it is cut, and a strict
// Retry-After. Refusals name the variable and never show the URL.

import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deliver, parseAllowedHosts, parseRetryAfter, parseWebhookUrl, responseExcerpt, createRedactor } from 'sgnotify/deliver';
import { startMockSlack } from '../mock-slack.mjs';
import { assertNoWebhookSecret } from './helpers/child.mjs';

const SECRET_PATH = '/services/T0SECRETTEAM/B0SECRETHOOK/secretTokenValue0123456789';

/** Asserts that parseWebhookUrl refuses `url`, naming the variable, with `expected` and without any part of the URL. */
function assertRefused(url, allowedHosts, expected) {
  assert.throws(
    () => parseWebhookUrl(url, 'SLACK_WEBHOOK_URL', { allowedHosts }),
    (err) => {
      assert.equal(err.name, 'WebhookUrlError');
      assert.equal(err.variable, 'SLACK_WEBHOOK_URL');
      assert.match(err.message, /^SLACK_WEBHOOK_URL: /);
      assert.match(err.message, expected);
      assertNoWebhookSecret(err.message, url);
      assert.ok(!err.message.includes(new URL(url).hostname) || /hooks\.slack/.test(new URL(url).hostname), `the host of ${url} is not shown`);
      return true;
    },
    `${url} with SLACK_WEBHOOK_ALLOWED_HOSTS=${allowedHosts}`,
  );
}

describe('webhook URL allowlist', () => {
  test('default: https to hooks.slack.com and hooks.slack-gov.com on port 443 only', () => {
    assert.equal(parseWebhookUrl(`https://hooks.slack.com${SECRET_PATH}`).host, 'hooks.slack.com');
    assert.equal(parseWebhookUrl(`https://hooks.slack-gov.com${SECRET_PATH}`).host, 'hooks.slack-gov.com');
    assert.equal(parseWebhookUrl(`https://hooks.slack.com:443${SECRET_PATH}`).port, '', 'the explicit default port is the default port');
  });

  test('default: every other URL is refused, naming the variable and what is wrong', () => {
    const host = /its host is not allowed: only hooks\.slack\.com and hooks\.slack-gov\.com/;
    assertRefused(`https://169.254.169.254${SECRET_PATH}`, '', host);
    assertRefused(`https://attacker.example${SECRET_PATH}`, '', host);
    assertRefused(`https://hooks.slack.com.attacker.example${SECRET_PATH}`, '', host);
    assertRefused(`https://sub.hooks.slack.com${SECRET_PATH}`, '', host);
    assertRefused(`https://hooks.slack.com:8443${SECRET_PATH}`, '', /its port is not allowed: only 443/);
    assertRefused(`https://user:pass@hooks.slack.com${SECRET_PATH}`, '', /must not contain a user name or password/);
    assertRefused(`https://token@hooks.slack.com${SECRET_PATH}`, '', /must not contain a user name or password/);
    assertRefused(`http://hooks.slack.com${SECRET_PATH}`, '', /must be an https:\/\/ URL/);
    // The Lambda Runtime API and the Parameters and Secrets extension listen on loopback.
    assertRefused(`http://127.0.0.1:9001${SECRET_PATH}`, '', /plain http to a loopback host needs that host:port in SLACK_WEBHOOK_ALLOWED_HOSTS/);
    assertRefused(`http://localhost:2773${SECRET_PATH}`, '', /needs that host:port/);
    assertRefused(`ftp://127.0.0.1${SECRET_PATH}`, '127.0.0.1', /must be an https:\/\/ URL/);
  });

  test('SLACK_WEBHOOK_ALLOWED_HOSTS: a host allows its default port, host:port that port only', () => {
    const allowed = 'proxy.example.com, egress.example.net:8443, 127.0.0.1:8080, [::1]:5000, localhost';
    for (const ok of [
      `https://proxy.example.com${SECRET_PATH}`,
      `https://egress.example.net:8443${SECRET_PATH}`,
      `http://127.0.0.1:8080${SECRET_PATH}`,
      `http://[::1]:5000${SECRET_PATH}`,
      `http://localhost${SECRET_PATH}`,
      `https://hooks.slack.com${SECRET_PATH}`,
    ]) {
      assert.equal(parseWebhookUrl(ok, 'SLACK_WEBHOOK_URL', { allowedHosts: allowed }).href, ok);
    }
    assertRefused(`https://proxy.example.com:8443${SECRET_PATH}`, allowed, /its host is not allowed/);
    assertRefused(`https://egress.example.net${SECRET_PATH}`, allowed, /its host is not allowed/);
    assertRefused(`http://127.0.0.1:9001${SECRET_PATH}`, allowed, /needs that host:port/);
    assertRefused(`http://localhost:2773${SECRET_PATH}`, allowed, /needs that host:port/);
    assertRefused(`http://proxy.example.com${SECRET_PATH}`, allowed, /must be an https:\/\/ URL \(plain http only to a loopback host/);
    assertRefused(`https://user:pass@proxy.example.com${SECRET_PATH}`, allowed, /must not contain a user name or password/);
  });

  test('SLACK_WEBHOOK_ALLOWED_HOSTS: parsed once, bad entries named by position', () => {
    assert.deepEqual(parseAllowedHosts(' Proxy.Example.com ,127.0.0.1:8080,,[::1]:9 '), [
      { hostname: 'proxy.example.com' },
      { hostname: '127.0.0.1', port: 8080 },
      { hostname: '[::1]', port: 9 },
    ]);
    assert.deepEqual(parseAllowedHosts(undefined), []);
    for (const [value, n] of [['https://proxy.example.com', 1], ['ok.example, proxy.example.com/path', 2], ['user@proxy.example.com', 1], ['proxy.example.com:0', 1], ['proxy.example.com:70000', 1], [':8080', 1], ['a b', 1]]) {
      assert.throws(() => parseAllowedHosts(value), new RegExp(`: SLACK_WEBHOOK_ALLOWED_HOSTS: entry ${n} is not a host or host:port`), value);
    }
  });
});

describe("Slack's answer: redacted, then cut", () => {
  let slack;
  before(async () => (slack = await startMockSlack()));
  after(() => slack.close());
  beforeEach(() => slack.reset());

  test('a webhook path straddling the 500-character cut leaks nothing, not even its start', async () => {
    const url = new URL(slack.url);
    const token = url.pathname.split('/').at(-1);
    // The cut falls 12 characters into the token: cut first, the token's start would survive.
    const filler = 'e'.repeat(500 - 12 - (url.pathname.length - token.length));
    const body = `${filler}${url.pathname} and more after the cut`;
    assert.equal(body.slice(0, 500).slice(-12), token.slice(0, 12), 'the test body straddles the cut as meant');
    slack.setResponder(() => ({ status: 404, body }));
    const o = await deliver({ text: 'x' }, { url: slack.url, maxAttempts: 1 });
    assert.equal(o.httpStatus, 404);
    assert.ok(o.response.length <= 500);
    for (const text of [o.response, o.reason]) {
      assertNoWebhookSecret(text, slack.url);
      assert.ok(!text.includes(token.slice(0, 8)), `no prefix of the token in: …${text.slice(-40)}`);
    }
    assert.ok(o.response.startsWith(filler), 'the rest of the answer is kept');
  });

  test('responseExcerpt: redaction sees the whole text', () => {
    const url = `https://hooks.slack.com${SECRET_PATH}`;
    const redact = createRedactor(url);
    const text = `${'x'.repeat(480)}${url}`;
    const excerpt = responseExcerpt(text, redact);
    assert.equal(excerpt, `${'x'.repeat(480)}[redacted]`);
    assert.equal(responseExcerpt(`  ${'y'.repeat(600)}`, redact), 'y'.repeat(498), 'cut to 500, then trimmed');
  });
});

describe('Retry-After, strictly', () => {
  const NOW = Date.UTC(1994, 10, 6, 8, 49, 30);

  test('delta-seconds and the three HTTP-date forms', () => {
    assert.equal(parseRetryAfter('0', NOW), 0);
    assert.equal(parseRetryAfter('30', NOW), 30_000);
    assert.equal(parseRetryAfter(' 7 ', NOW), 7000, 'optional whitespace around the field value');
    assert.equal(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', NOW), 7000);
    assert.equal(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', NOW), 7000);
    assert.equal(parseRetryAfter('Sun Nov  6 08:49:37 1994', NOW), 7000);
    assert.equal(parseRetryAfter('Sun, 06 Nov 1994 08:49:00 GMT', NOW), 0, 'a date in the past: no wait');
  });

  test('anything else is undefined (normal backoff), never a 0 ms wait', () => {
    for (const junk of ['+5', '5, 6', '-1', '1e3', '1.5', '0x10', '5s', '', ' ', 'soon', 'Sun, 06 Nov 1994 08:49:37 PST', '2024-01-01T00:00:00Z', '6 Nov 1994']) {
      assert.equal(parseRetryAfter(junk, NOW), undefined, JSON.stringify(junk));
    }
  });

  test('a 429 with a junk Retry-After waits the normal backoff, not 0 ms', async () => {
    const slack = await startMockSlack({ respond: (_, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '5, 6' } } : { status: 200 }) });
    try {
      const o = await deliver({ text: 'x' }, { url: slack.url, baseDelayMs: 100, random: () => 0 });
      assert.deepEqual([o.status, o.attempts], ['delivered', 2]);
      assert.ok(o.retries[0].waitMs >= 50, `waited ${o.retries[0].waitMs} ms`);
      assert.ok(slack.requests[1].at - slack.requests[0].at >= 45);
    } finally {
      await slack.close();
    }
  });
});

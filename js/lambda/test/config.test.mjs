// Bad settings fail the start (the module import throws) with an error naming the variable and
// never the webhook URL. Each case is a fresh child process, since configuration is module scope.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMockSlack } from '../mock-slack.mjs';
import { fixture, snsEvent } from '../fixtures.mjs';
import { assertNoWebhookSecret, invokeInChild } from './helpers/child.mjs';

// Never contacted: these URLs are rejected before any request.
const SECRET_URL = 'https://hooks.slack.com/services/T0SECRETTEAM/B0SECRETHOOK/secretTokenValue0123456789';
const SECRET_HTTP = SECRET_URL.replace('https:', 'http:');

const CASES = [
  ['plain http to a remote host', { SLACK_WEBHOOK_URL: SECRET_HTTP }, /SLACK_WEBHOOK_URL: must be an https:\/\/ URL/],
  ['not a URL', { SLACK_WEBHOOK_URL: 'hooks slack secretTokenValue0123456789' }, /SLACK_WEBHOOK_URL: is not a valid URL/],
  ['no webhook at all', {}, /SLACK_WEBHOOK_URL: not set/],
  ['two webhook sources', { SLACK_WEBHOOK_URL: SECRET_URL, SLACK_WEBHOOK_SECRET_ID: 'sgnotify/webhook' }, /SLACK_WEBHOOK_URL, SLACK_WEBHOOK_SECRET_ID: set only one/],
  ['a URL where the SSM parameter name belongs', { SLACK_WEBHOOK_SSM_PARAMETER: SECRET_URL }, /SLACK_WEBHOOK_SSM_PARAMETER: looks like a URL/],
  ['a URL where the secret id belongs', { SLACK_WEBHOOK_SECRET_ID: SECRET_URL }, /SLACK_WEBHOOK_SECRET_ID: looks like a URL/],
  ['unknown time zone', { SLACK_WEBHOOK_URL: SECRET_URL, TIMEZONE: 'Mars/Olympus_Mons' }, /TIMEZONE: rejected by sgnotify \(.*Mars\/Olympus_Mons/],
  ['unknown locale', { SLACK_WEBHOOK_URL: SECRET_URL, LOCALE: 'tlh' }, /LOCALE: rejected by sgnotify/],
  ['unknown colour scheme', { SLACK_WEBHOOK_URL: SECRET_URL, COLOR_SCHEME: 'loud' }, /COLOR_SCHEME: rejected by sgnotify \(options\.colorScheme: unknown colour scheme "loud"/],
  ['ACCOUNT_NAMES not JSON', { SLACK_WEBHOOK_URL: SECRET_URL, ACCOUNT_NAMES: '{111122223333: prod}' }, /ACCOUNT_NAMES: is not valid JSON/],
  ['ACCOUNT_NAMES not an object', { SLACK_WEBHOOK_URL: SECRET_URL, ACCOUNT_NAMES: '["prod"]' }, /ACCOUNT_NAMES: must be a JSON object/],
  ['ACCOUNT_NAMES with a non-string name', { SLACK_WEBHOOK_URL: SECRET_URL, ACCOUNT_NAMES: '{"111122223333": 7}' }, /ACCOUNT_NAMES: every account name must be a string/],
  ['MAX_MESSAGES_PER_EVENT zero', { SLACK_WEBHOOK_URL: SECRET_URL, MAX_MESSAGES_PER_EVENT: '0' }, /MAX_MESSAGES_PER_EVENT: must be a whole number/],
  ['DRY_RUN neither 1 nor 0', { SLACK_WEBHOOK_URL: SECRET_URL, DRY_RUN: 'maybe' }, /DRY_RUN: must be 1 or 0/],
  ['DELIVERY_TIMEOUT_MS not a number', { SLACK_WEBHOOK_URL: SECRET_URL, DELIVERY_TIMEOUT_MS: 'soon' }, /DELIVERY_TIMEOUT_MS: must be a whole number/],
  // Issue 10: only Slack's own hosts unless SLACK_WEBHOOK_ALLOWED_HOSTS names another.
  ['https to the instance metadata address', { SLACK_WEBHOOK_URL: SECRET_URL.replace('hooks.slack.com', '169.254.169.254') }, /SLACK_WEBHOOK_URL: its host is not allowed/],
  ['https to any other host', { SLACK_WEBHOOK_URL: SECRET_URL.replace('hooks.slack.com', 'hooks.example.com') }, /SLACK_WEBHOOK_URL: its host is not allowed/],
  ['user-info in the URL', { SLACK_WEBHOOK_URL: SECRET_URL.replace('https://', 'https://user:pass@') }, /SLACK_WEBHOOK_URL: must not contain a user name or password/],
  ['a port other than 443', { SLACK_WEBHOOK_URL: SECRET_URL.replace('hooks.slack.com', 'hooks.slack.com:8443') }, /SLACK_WEBHOOK_URL: its port is not allowed/],
  ['http to the Lambda Runtime API port', { SLACK_WEBHOOK_URL: SECRET_URL.replace('https://hooks.slack.com', 'http://127.0.0.1:9001') }, /SLACK_WEBHOOK_URL: plain http to a loopback host needs that host:port/],
  ['loopback named, but another port', { SLACK_WEBHOOK_URL: SECRET_URL.replace('https://hooks.slack.com', 'http://localhost:2773'), SLACK_WEBHOOK_ALLOWED_HOSTS: 'localhost:8080' }, /SLACK_WEBHOOK_URL: plain http to a loopback host needs/],
  ['SLACK_WEBHOOK_ALLOWED_HOSTS with a URL in it', { SLACK_WEBHOOK_URL: SECRET_URL, SLACK_WEBHOOK_ALLOWED_HOSTS: 'proxy.example.com,https://proxy.example.net' }, /SLACK_WEBHOOK_ALLOWED_HOSTS: entry 2 is not a host or host:port/],
  ['SLACK_WEBHOOK_CACHE_SECONDS negative', { SLACK_WEBHOOK_SSM_PARAMETER: '/sgnotify/webhook', SLACK_WEBHOOK_CACHE_SECONDS: '-1' }, /SLACK_WEBHOOK_CACHE_SECONDS: must be a whole number from 0 to 86400/],
  ['SLACK_WEBHOOK_CACHE_SECONDS not a number', { SLACK_WEBHOOK_SECRET_ID: 'sgnotify/webhook', SLACK_WEBHOOK_CACHE_SECONDS: '5m' }, /SLACK_WEBHOOK_CACHE_SECONDS: must be a whole number/],
];

describe('bad configuration fails the start', () => {
  for (const [name, env, expected] of CASES) {
    test(name, async () => {
      const r = await invokeInChild({ env, events: [] });
      const { importError } = r.results[0] ?? {};
      assert.ok(importError, `the import should fail; got ${JSON.stringify(r.results)}`);
      assert.equal(importError.name, 'ConfigError');
      assert.match(importError.message, expected);
      assert.match(r.stderr, /ConfigError/, 'the runtime log shows the error');
      assertNoWebhookSecret(r.output, SECRET_URL);
      assert.ok(!r.output.includes('secretTokenValue0123456789'));
    });
  }

  test('several bad settings are all named at once', async () => {
    const r = await invokeInChild({ env: { SLACK_WEBHOOK_URL: SECRET_HTTP, TIMEZONE: 'Nowhere/Land', LOCALE: 'xx' }, events: [] });
    const { message } = r.results[0].importError;
    for (const v of ['SLACK_WEBHOOK_URL', 'TIMEZONE', 'LOCALE']) assert.match(message, new RegExp(`${v}: `));
    assertNoWebhookSecret(r.output, SECRET_URL);
  });
});

describe('good configuration', () => {
  let slack;
  before(async () => (slack = await startMockSlack()));
  after(() => slack.close());

  test('empty variables count as unset (CloudFormation passes optional parameters as "")', async () => {
    const env = { SLACK_WEBHOOK_URL: slack.url, SLACK_WEBHOOK_ALLOWED_HOSTS: new URL(slack.url).host, SLACK_WEBHOOK_CACHE_SECONDS: '', SLACK_WEBHOOK_SSM_PARAMETER: '', SLACK_WEBHOOK_SECRET_ID: ' ', TIMEZONE: '', LOCALE: '', ACCOUNT_NAMES: '', MAX_MESSAGES_PER_EVENT: '', DRY_RUN: '' };
    const r = await invokeInChild({ env, events: [snsEvent([fixture('panther__AuthorizeSecurityGroupEgress__1')])] });
    assert.equal(r.results[0].result?.delivered, 1, JSON.stringify(r.results));
    assertNoWebhookSecret(r.output, slack.url);
  });

  test('COLOR_SCHEME=action reaches the core: a revoke is posted with the red bar', async () => {
    slack.reset();
    const r = await invokeInChild({ env: { SLACK_WEBHOOK_URL: slack.url, SLACK_WEBHOOK_ALLOWED_HOSTS: new URL(slack.url).host, COLOR_SCHEME: 'action' }, events: [snsEvent([fixture('aws-spotlight__RevokeSecurityGroupEgress__1')])] });
    assert.ok(r.results[0].result?.delivered >= 1, JSON.stringify(r.results));
    const bars = slack.payloads.map((p) => p.attachments[0].color);
    assert.ok(bars.length >= 1 && bars.every((c) => c === '#eb4034'), bars.join(', '));
  });

  test('loopback http is accepted for the host:port named in SLACK_WEBHOOK_ALLOWED_HOSTS: localhost and 127.0.0.0/8', async () => {
    for (const url of [slack.url, slack.url.replace('127.0.0.1', 'localhost'), slack.url.replace('127.0.0.1', '127.0.0.2')]) {
      const r = await invokeInChild({ env: { SLACK_WEBHOOK_URL: url, SLACK_WEBHOOK_ALLOWED_HOSTS: `proxy.example.com, ${new URL(url).host}` }, events: [] });
      assert.deepEqual(r.results, [], `no import error for ${new URL(url).hostname}`);
    }
  });
});

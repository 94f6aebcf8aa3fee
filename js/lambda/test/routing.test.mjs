// The organisation settings: bad values fail the start by name (a child process each, never
// showing a webhook URL); SLACK_WEBHOOKS / SLACK_WEBHOOKS_SECRET_ID destinations and
// ACCOUNT_NAMES_SSM_PARAMETER against moto's SSM and Secrets Manager.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { formatEvent } from 'sgnotify';
import { startMockSlack } from '../mock-slack.mjs';
import { fixture, snsEvent } from '../fixtures.mjs';
import { readOrgSettings } from '../org-config.mjs';
import { createRouting } from '../routing.mjs';
import { assertNoWebhookSecret, invokeInChild } from './helpers/child.mjs';
import { startMoto } from './helpers/moto.mjs';

const SECRET_URL = 'https://hooks.slack.com/services/T0SECRETTEAM/B0SECRETHOOK/secretTokenValue0123456789';
const OPS_URL = 'https://hooks.slack.com/services/T0SECRETTEAM/B0OPSHOOK01/opsTokenValue01234567890';

const CASES = [
  ['ACCOUNT_NAMES_SOURCE unknown', { ACCOUNT_NAMES_SOURCE: 'ldap' }, /ACCOUNT_NAMES_SOURCE: must be "organizations" or "static"/],
  ['ORGANIZATIONS_ROLE_ARN not a role ARN', { ACCOUNT_NAMES_SOURCE: 'organizations', ORGANIZATIONS_ROLE_ARN: 'sgnotify-read' }, /ORGANIZATIONS_ROLE_ARN: must be an IAM role ARN/],
  ['ORGANIZATIONS_ROLE_ARN without the source', { ORGANIZATIONS_ROLE_ARN: 'arn:aws:iam::111111111111:role/r' }, /ORGANIZATIONS_ROLE_ARN: only used with ACCOUNT_NAMES_SOURCE=organizations/],
  ['ACCOUNT_NAMES_CACHE_SECONDS too small', { ACCOUNT_NAMES_CACHE_SECONDS: '5' }, /ACCOUNT_NAMES_CACHE_SECONDS: must be a whole number of seconds from 60 to 86400/],
  ['ACCOUNT_NAMES_SSM_PARAMETER holding the map itself', { ACCOUNT_NAMES_SSM_PARAMETER: '{"111122223333": "prod"}' }, /ACCOUNT_NAMES_SSM_PARAMETER: give the parameter name or ARN/],
  ['POLICY not JSON', { POLICY: '{routes: []}' }, /POLICY: the value is not valid JSON/],
  ['POLICY and POLICY_SSM_PARAMETER', { POLICY: '{}', POLICY_SSM_PARAMETER: '/sgnotify/policy' }, /POLICY, POLICY_SSM_PARAMETER: set only one/],
  ['a route to a destination without a webhook', { SLACK_WEBHOOKS: JSON.stringify({ ops: OPS_URL }), POLICY: JSON.stringify({ routes: [{ destination: 'ops', match: {} }, { destination: 'sec-alerts', match: { severity: 'critical' } }] }) },
    /POLICY: policy\.routes\[1\]\.destination: "sec-alerts" has no webhook in SLACK_WEBHOOKS \(known: default, ops\)/],
  ['POLICY rejected by the core, naming the key path', { POLICY: JSON.stringify({ routes: [{ destination: 'default', match: { severity: 'urgent' } }] }) }, /POLICY: rejected by sgnotify \(.*policy\.routes\[0\]\.match\.severity/],
  ['SLACK_WEBHOOKS not an object', { SLACK_WEBHOOKS: JSON.stringify([OPS_URL]) }, /SLACK_WEBHOOKS: the value must be a JSON object/],
  ['SLACK_WEBHOOKS with plain http to a remote host', { SLACK_WEBHOOKS: JSON.stringify({ ops: OPS_URL.replace('https:', 'http:') }) }, /SLACK_WEBHOOKS\.ops: must be an https:\/\/ URL/],
  ['SLACK_WEBHOOKS to a host not on the allowlist', { SLACK_WEBHOOKS: JSON.stringify({ ops: 'https://169.254.169.254/services/T0OPS/B0OPS/opsToken0123456789' }) }, /SLACK_WEBHOOKS\.ops: .*SLACK_WEBHOOK_ALLOWED_HOSTS/],
  ['SLACK_WEBHOOKS over http to a loopback port not named', { SLACK_WEBHOOKS: JSON.stringify({ ops: 'http://127.0.0.1:2773/services/T0OPS/B0OPS/opsToken0123456789' }), SLACK_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1:9999' }, /SLACK_WEBHOOKS\.ops: .*SLACK_WEBHOOK_ALLOWED_HOSTS/],
  ['SLACK_WEBHOOKS naming "default"', { SLACK_WEBHOOKS: JSON.stringify({ default: OPS_URL }) }, /SLACK_WEBHOOKS\.default: the default destination is SLACK_WEBHOOK_URL/],
  ['SLACK_WEBHOOKS and SLACK_WEBHOOKS_SECRET_ID', { SLACK_WEBHOOKS: '{}', SLACK_WEBHOOKS_SECRET_ID: 'sgnotify/webhooks' }, /SLACK_WEBHOOKS, SLACK_WEBHOOKS_SECRET_ID: set only one/],
  ['SLACK_WEBHOOKS_SECRET_ID holding a URL', { SLACK_WEBHOOKS_SECRET_ID: OPS_URL }, /SLACK_WEBHOOKS_SECRET_ID: give the secret id or ARN/],
];

describe('organisation settings: a bad value fails the start by name', () => {
  for (const [name, env, expected] of CASES) {
    test(name, async () => {
      const r = await invokeInChild({ env: { SLACK_WEBHOOK_URL: SECRET_URL, ...env }, events: [] });
      const { importError } = r.results[0] ?? {};
      assert.ok(importError, `the import should fail; got ${JSON.stringify(r.results)}`);
      assert.equal(importError.name, 'ConfigError');
      assert.match(importError.message, expected);
      assertNoWebhookSecret(r.output, SECRET_URL);
      assertNoWebhookSecret(r.output, OPS_URL);
    });
  }
});

const settingsOf = (env) => {
  const problems = [];
  const settings = readOrgSettings((n) => env[n], problems, {});
  assert.deepEqual(problems, []);
  return settings;
};

describe('destinations and SSM settings (moto)', () => {
  let moto;
  let slack;
  let sm;
  let ssm;
  let previous;
  const defaultUrl = new URL('https://hooks.slack.com/services/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');

  before(async () => {
    [moto, slack] = await Promise.all([startMoto(), startMockSlack()]);
    const clientConfig = { region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    sm = new SecretsManagerClient(clientConfig);
    ssm = new SSMClient(clientConfig);
    await sm.send(new CreateSecretCommand({ Name: 'sgnotify/webhooks', SecretString: JSON.stringify({ ops: OPS_URL }) }));
    await sm.send(new CreateSecretCommand({ Name: 'sgnotify/webhooks-bad', SecretString: JSON.stringify({ ops: 'http://hooks.slack.com/services/x' }) }));
    await ssm.send(new PutParameterCommand({ Name: '/sgnotify/accounts-bad', Type: 'String', Value: JSON.stringify({ 112233445566: 7 }) }));
    await ssm.send(new PutParameterCommand({ Name: '/sgnotify/accounts', Type: 'String', Value: JSON.stringify({ 999999999999: 'spotlight-from-ssm', 112233445566: 'panther-from-ssm' }) }));
    // The SDK clients of the module under test read the endpoints from the environment.
    previous = { ...process.env };
    Object.assign(process.env, moto.env);
  });
  after(async () => {
    process.env = previous;
    sm?.destroy();
    ssm?.destroy();
    await Promise.all([moto?.stop(), slack?.close()]);
  });

  test('SLACK_WEBHOOKS: each destination its URL, "default" the existing setting, an unknown one a named error', async () => {
    const seen = [];
    const routing = createRouting(settingsOf({ SLACK_WEBHOOKS: JSON.stringify({ ops: OPS_URL }) }), {
      formatEvent,
      defaultResolver: async () => defaultUrl,
      onUrl: (u) => seen.push(u.href),
    });
    assert.deepEqual(await routing.optionsFor(10_000), {});
    assert.equal((await routing.resolveWebhook(10_000, { destination: 'ops' })).href, OPS_URL);
    assert.equal(await routing.resolveWebhook(10_000, { destination: 'default' }), defaultUrl);
    await assert.rejects(routing.resolveWebhook(10_000, { destination: 'sec' }), /^SettingError: SLACK_WEBHOOKS: no webhook for destination "sec"$/);
    assert.deepEqual(seen, [OPS_URL], 'every URL is handed to the redactor');
  });

  test('SLACK_WEBHOOKS_SECRET_ID: read once, read again with force (a rotated webhook)', async () => {
    const routing = createRouting(settingsOf({ SLACK_WEBHOOKS_SECRET_ID: 'sgnotify/webhooks' }), { formatEvent, defaultResolver: async () => defaultUrl });
    assert.equal((await routing.resolveWebhook(10_000, { destination: 'ops' })).href, OPS_URL);
    const rotated = OPS_URL.replace('opsTokenValue', 'rotatedTokenV');
    await sm.send(new PutSecretValueCommand({ SecretId: 'sgnotify/webhooks', SecretString: JSON.stringify({ ops: rotated }) }));
    assert.equal((await routing.resolveWebhook(10_000, { destination: 'ops' })).href, OPS_URL, 'cached');
    assert.equal((await routing.resolveWebhook(10_000, { destination: 'ops', force: true })).href, rotated);
    await sm.send(new PutSecretValueCommand({ SecretId: 'sgnotify/webhooks', SecretString: JSON.stringify({ ops: OPS_URL }) }));
  });

  test('SLACK_WEBHOOKS_SECRET_ID: a bad URL in the secret and a missing secret are named, the URL not shown', async () => {
    const bad = createRouting(settingsOf({ SLACK_WEBHOOKS_SECRET_ID: 'sgnotify/webhooks-bad' }), { formatEvent, defaultResolver: async () => defaultUrl });
    await assert.rejects(bad.resolveWebhook(10_000, { destination: 'ops' }), (err) => {
      assert.match(err.message, /^SLACK_WEBHOOKS_SECRET_ID: secret "sgnotify\/webhooks-bad": ops: must be an https:\/\/ URL/);
      assert.ok(!err.message.includes('hooks.slack.com/services'));
      return true;
    });
    const missing = createRouting(settingsOf({ SLACK_WEBHOOKS_SECRET_ID: 'sgnotify/none' }), { formatEvent, defaultResolver: async () => defaultUrl });
    await assert.rejects(missing.resolveWebhook(10_000, { destination: 'ops' }), /SLACK_WEBHOOKS_SECRET_ID: could not read secret "sgnotify\/none" \(ResourceNotFoundException/);
  });

  test('ACCOUNT_NAMES_SSM_PARAMETER: names from SSM, ACCOUNT_NAMES wins where both name an account', async () => {
    slack.reset();
    const event = snsEvent([fixture('aws-spotlight__AuthorizeSecurityGroupIngress__1'), fixture('panther__AuthorizeSecurityGroupEgress__1')]);
    const r = await invokeInChild({
      env: { ...moto.env, SLACK_WEBHOOK_URL: slack.url, SLACK_WEBHOOK_ALLOWED_HOSTS: new URL(slack.url).host, DELIVERY_SAFETY_MARGIN_MS: '300', ACCOUNT_NAMES_SSM_PARAMETER: '/sgnotify/accounts', ACCOUNT_NAMES: JSON.stringify({ 112233445566: 'panther-from-env' }) },
      events: [event],
    });
    assert.equal(r.results[0].result?.delivered, 3, JSON.stringify(r.results) + r.stderr);
    const texts = slack.payloads.map((p) => JSON.stringify(p));
    assert.ok(texts.slice(0, 2).every((t) => t.includes('spotlight-from-ssm')));
    assert.ok(texts[2].includes('panther-from-env') && !texts[2].includes('panther-from-ssm'));
  });

  test('ACCOUNT_NAMES_SSM_PARAMETER missing, or holding a map the core rejects: the invocation fails naming it, nothing is posted', async () => {
    slack.reset();
    const run = (parameter) =>
      invokeInChild({
        env: { ...moto.env, SLACK_WEBHOOK_URL: slack.url, SLACK_WEBHOOK_ALLOWED_HOSTS: new URL(slack.url).host, ACCOUNT_NAMES_SSM_PARAMETER: parameter },
        events: [snsEvent([fixture('panther__AuthorizeSecurityGroupEgress__1')])],
      });
    const missing = await run('/sgnotify/none');
    assert.match(missing.results[0].error?.message ?? '', /^ACCOUNT_NAMES_SSM_PARAMETER: could not read parameter "\/sgnotify\/none" \(ParameterNotFound/);
    const bad = await run('/sgnotify/accounts-bad');
    assert.match(bad.results[0].error?.message ?? '', /^ACCOUNT_NAMES_SSM_PARAMETER: rejected by sgnotify \(options\.accounts\["112233445566"\]/);
    assert.equal(slack.requests.length, 0);
  });
});

// The webhook URL from SSM Parameter Store (SecureString) and Secrets Manager, against moto's server
// on 127.0.0.1 with dummy credentials: cached for SLACK_WEBHOOK_CACHE_SECONDS, read again at once when
// forced (rotation), failures named (a first one not cached, a later one keeping the last good URL),
// the same allowlist as SLACK_WEBHOOK_URL, and the URL never printed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { parseAllowedHosts } from 'sgnotify/deliver';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { startMockSlack } from '../mock-slack.mjs';
import { fixture, snsEvent } from '../fixtures.mjs';
import { createWebhookResolver, urlFromSecretString } from '../secrets.mjs';
import { assertNoWebhookSecret, invokeInChild } from './helpers/child.mjs';
import { AWS_TEST_ENV, startMoto } from './helpers/moto.mjs';

const EVENT = snsEvent([fixture('panther__AuthorizeSecurityGroupEgress__1')]);
const REMOTE_HTTP = 'http://hooks.slack.com/services/T0SECRETTEAM/B0SECRETHOOK/secretTokenValue0123456789';
const METADATA = 'https://169.254.169.254/services/T0SECRETTEAM/B0SECRETHOOK/secretTokenValue0123456789';

describe('webhook from SSM and Secrets Manager (moto)', () => {
  let moto;
  let slack;
  let ssm;
  let sm;

  before(async () => {
    [moto, slack] = await Promise.all([startMoto(), startMockSlack()]);
    const clientConfig = { region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    ssm = new SSMClient(clientConfig);
    sm = new SecretsManagerClient(clientConfig);
    await ssm.send(new PutParameterCommand({ Name: '/sgnotify/webhook', Type: 'SecureString', Value: slack.url }));
    await ssm.send(new PutParameterCommand({ Name: '/sgnotify/remote-http', Type: 'SecureString', Value: REMOTE_HTTP }));
    await ssm.send(new PutParameterCommand({ Name: '/sgnotify/metadata', Type: 'SecureString', Value: METADATA }));
    await sm.send(new CreateSecretCommand({ Name: 'sgnotify/plain', SecretString: slack.url }));
    await sm.send(new CreateSecretCommand({ Name: 'sgnotify/json-url', SecretString: JSON.stringify({ url: slack.url }) }));
    await sm.send(new CreateSecretCommand({ Name: 'sgnotify/json-webhookUrl', SecretString: JSON.stringify({ webhookUrl: slack.url, note: 'x' }) }));
    await sm.send(new CreateSecretCommand({ Name: 'sgnotify/json-other', SecretString: JSON.stringify({ hook: slack.url }) }));
  });
  after(async () => {
    ssm?.destroy();
    sm?.destroy();
    await Promise.all([moto?.stop(), slack?.close()]);
  });

  const invoke = (env, events = [EVENT]) => invokeInChild({ env: { ...moto.env, SLACK_WEBHOOK_ALLOWED_HOSTS: new URL(slack.url).host, DELIVERY_SAFETY_MARGIN_MS: '300', ...env }, events });

  test('SSM SecureString: fetched once, used for every invocation of the container', async () => {
    slack.reset();
    const r = await invoke({ SLACK_WEBHOOK_SSM_PARAMETER: '/sgnotify/webhook' }, [EVENT, EVENT]);
    assert.deepEqual(r.results.map((x) => x.result?.delivered), [1, 1], JSON.stringify(r.results));
    assert.equal(slack.requests.length, 2);
    assertNoWebhookSecret(r.output, slack.url);
  });

  for (const name of ['sgnotify/plain', 'sgnotify/json-url', 'sgnotify/json-webhookUrl']) {
    test(`Secrets Manager: ${name}`, async () => {
      slack.reset();
      const r = await invoke({ SLACK_WEBHOOK_SECRET_ID: name });
      assert.equal(r.results[0].result?.delivered, 1, JSON.stringify(r.results));
      assert.equal(slack.requests.length, 1);
      assertNoWebhookSecret(r.output, slack.url);
    });
  }

  test('a missing parameter: the invocation fails naming the variable', async () => {
    const r = await invoke({ SLACK_WEBHOOK_SSM_PARAMETER: '/sgnotify/missing' });
    assert.equal(r.results[0].error?.name, 'WebhookSourceError');
    assert.match(r.results[0].error.message, /^SLACK_WEBHOOK_SSM_PARAMETER: could not read parameter "\/sgnotify\/missing" \(ParameterNotFound/);
  });

  test('a parameter holding a non-https URL: fails naming the variable, the URL not shown', async () => {
    const r = await invoke({ SLACK_WEBHOOK_SSM_PARAMETER: '/sgnotify/remote-http' });
    assert.match(r.results[0].error?.message, /^SLACK_WEBHOOK_SSM_PARAMETER: the URL in parameter "\/sgnotify\/remote-http" must be an https:\/\/ URL/);
    assertNoWebhookSecret(r.output, REMOTE_HTTP);
  });

  test('a missing secret, and a JSON secret without url/webhookUrl: named errors', async () => {
    const missing = await invoke({ SLACK_WEBHOOK_SECRET_ID: 'sgnotify/missing' });
    assert.match(missing.results[0].error?.message, /^SLACK_WEBHOOK_SECRET_ID: could not read secret "sgnotify\/missing" \(ResourceNotFoundException/);
    const other = await invoke({ SLACK_WEBHOOK_SECRET_ID: 'sgnotify/json-other' });
    assert.match(other.results[0].error?.message, /^SLACK_WEBHOOK_SECRET_ID: the secret is JSON without a string "url" or "webhookUrl" key/);
    assertNoWebhookSecret(other.output, slack.url);
  });

  test('a parameter holding a URL outside the allowlist: fails naming the variable, the URL not shown', async () => {
    const r = await invoke({ SLACK_WEBHOOK_SSM_PARAMETER: '/sgnotify/metadata' });
    assert.match(r.results[0].error?.message, /^SLACK_WEBHOOK_SSM_PARAMETER: the URL in parameter "\/sgnotify\/metadata" its host is not allowed/);
    assert.ok(!r.output.includes('169.254.169.254'));
    assertNoWebhookSecret(r.output, METADATA);
    const loopback = await invoke({ SLACK_WEBHOOK_SSM_PARAMETER: '/sgnotify/webhook', SLACK_WEBHOOK_ALLOWED_HOSTS: 'proxy.example.com' });
    assert.match(loopback.results[0].error?.message, /^SLACK_WEBHOOK_SSM_PARAMETER: the URL in parameter "\/sgnotify\/webhook" plain http to a loopback host needs/);
    assertNoWebhookSecret(loopback.output, slack.url);
  });

  // The resolver in this process, against the same moto: a clock the test moves stands for time.
  const resolverFor = (webhook, extra = {}) => {
    Object.assign(process.env, moto.env);
    const seen = [];
    const logged = [];
    const clock = { now: 1_000_000 };
    const log = { info: (message, fields) => logged.push({ level: 'INFO', message, ...fields }), warn: (message, fields) => logged.push({ level: 'WARN', message, ...fields }) };
    const allowedHosts = parseAllowedHosts(new URL(slack.url).host);
    const resolve = createWebhookResolver({ allowedHosts, cacheMs: 300_000, ...webhook }, { onUrl: (u) => seen.push(u.href), log, now: () => clock.now, ...extra });
    return { resolve, seen, logged, clock };
  };
  const rotated = (n) => `${slack.origin}/services/T0ROTATED${n}/B0ROTATED${n}/rotatedWebhookToken${n}0123456789`;

  test('resolver: a failed first read is not cached; a good one is, for the cache time', async () => {
    const { resolve, seen, clock } = resolverFor({ variable: 'SLACK_WEBHOOK_SSM_PARAMETER', source: 'ssm', name: '/sgnotify/later' });
    await assert.rejects(resolve(), /SLACK_WEBHOOK_SSM_PARAMETER: could not read parameter "\/sgnotify\/later" \(ParameterNotFound/);
    await ssm.send(new PutParameterCommand({ Name: '/sgnotify/later', Type: 'SecureString', Value: slack.url }));
    assert.equal((await resolve()).href, slack.url, 'a failure is not cached');
    await ssm.send(new PutParameterCommand({ Name: '/sgnotify/later', Type: 'SecureString', Value: rotated(1), Overwrite: true }));
    clock.now += 299_000;
    assert.equal((await resolve()).href, slack.url, 'within the cache time the source is not read again');
    assert.deepEqual(seen, [slack.url]);
  });

  test('SSM rotation: the new URL after the cache time, and at once when forced', async () => {
    const name = '/sgnotify/rotating';
    await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: slack.url }));
    const { resolve, seen, logged, clock } = resolverFor({ variable: 'SLACK_WEBHOOK_SSM_PARAMETER', source: 'ssm', name });
    assert.equal((await resolve(5000)).href, slack.url);

    await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: rotated(1), Overwrite: true }));
    assert.equal((await resolve(5000)).href, slack.url, 'cached');
    assert.equal((await resolve(5000, { force: true })).href, rotated(1), 'forced: read at once');

    await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: rotated(2), Overwrite: true }));
    clock.now += 299_999;
    assert.equal((await resolve(5000)).href, rotated(1), 'the forced read restarted the cache time');
    clock.now += 1;
    assert.equal((await resolve(5000)).href, rotated(2), 'read again once the cache time is over');

    assert.deepEqual(seen, [slack.url, rotated(1), rotated(2)], 'every URL ever read is seen once (a redactor for each)');
    assert.equal(logged.filter((l) => /replaced at its source/.test(l.message)).length, 2);
    assertNoWebhookSecret(JSON.stringify(logged), rotated(1));
  });

  test('Secrets Manager rotation (a new version), forced', async () => {
    const name = 'sgnotify/rotating';
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ url: slack.url }) }));
    const { resolve, seen } = resolverFor({ variable: 'SLACK_WEBHOOK_SECRET_ID', source: 'secretsmanager', name });
    assert.equal((await resolve()).href, slack.url);
    await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: JSON.stringify({ url: rotated(3) }) }));
    assert.equal((await resolve()).href, slack.url, 'cached');
    assert.equal((await resolve(undefined, { force: true })).href, rotated(3));
    assert.deepEqual(seen, [slack.url, rotated(3)]);
  });

  test('a failed re-read keeps the last good URL and is logged without the URL; the source is asked again later', async () => {
    const name = '/sgnotify/vanishing';
    await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: rotated(4) }));
    const { resolve, logged, clock } = resolverFor({ variable: 'SLACK_WEBHOOK_SSM_PARAMETER', source: 'ssm', name });
    assert.equal((await resolve()).href, rotated(4));
    await ssm.send(new DeleteParameterCommand({ Name: name }));
    assert.equal((await resolve(undefined, { force: true })).href, rotated(4), 'forced, failed: the last good URL');
    clock.now += 300_000;
    assert.equal((await resolve()).href, rotated(4), 'stale, failed: the last good URL');
    const warnings = logged.filter((l) => l.level === 'WARN');
    assert.equal(warnings.length, 2);
    assert.equal(warnings[0].variable, 'SLACK_WEBHOOK_SSM_PARAMETER');
    assert.match(warnings[0].message, /could not read the webhook URL again: keeping the last good one/);
    assert.match(warnings[0].error.message, /ParameterNotFound/);
    assertNoWebhookSecret(JSON.stringify(logged.map((l) => ({ ...l, error: l.error?.message }))), rotated(4));

    // A URL outside the allowlist at the source is a failed read too: the good URL stays.
    await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: METADATA }));
    assert.equal((await resolve(undefined, { force: true })).href, rotated(4));
    assert.match(logged.at(-1).error.message, /its host is not allowed/);
    assert.ok(!logged.at(-1).error.message.includes('169.254'));

    // After a failure the source is asked again within 30 s, not only after the whole cache time.
    await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: rotated(5), Overwrite: true }));
    assert.equal((await resolve()).href, rotated(4), 'right after a failure: not asked again yet');
    clock.now += 30_000;
    assert.equal((await resolve()).href, rotated(5));
  });

  test('SLACK_WEBHOOK_CACHE_SECONDS=0: read on every call; concurrent calls share one read', async () => {
    const name = '/sgnotify/uncached';
    await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: rotated(6) }));
    const { resolve, seen } = resolverFor({ variable: 'SLACK_WEBHOOK_SSM_PARAMETER', source: 'ssm', name, cacheMs: 0 });
    const [a, b] = await Promise.all([resolve(), resolve()]);
    assert.equal(a, b, 'one read for both');
    await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: rotated(7), Overwrite: true }));
    assert.equal((await resolve()).href, rotated(7));
    assert.deepEqual(seen, [rotated(6), rotated(7)]);
  });

  test('in the Lambda: SLACK_WEBHOOK_CACHE_SECONDS reaches the resolver', async () => {
    // Two invocations of one container; the parameter is rotated to a second mock Slack while the
    // first mock answers the first post (it holds its answer until the rotation is done).
    const other = await startMockSlack({ path: '/services/T0OTHERHOOK/B0OTHERHOOK/otherWebhookToken0123456789' });
    try {
      const name = '/sgnotify/rotated-in-flight';
      const allowed = `${new URL(slack.url).host},${new URL(other.url).host}`;
      for (const [seconds, expected] of [['0', [1, 1]], ['300', [2, 0]]]) {
        await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: slack.url, Overwrite: true }));
        slack.reset();
        other.reset();
        let rotation;
        slack.setResponder((_, i) => {
          if (i === 0) rotation = ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: other.url, Overwrite: true }));
          return { status: 200, body: 'ok', delayMs: i === 0 ? 1500 : 0 };
        });
        const r = await invoke({ SLACK_WEBHOOK_SSM_PARAMETER: name, SLACK_WEBHOOK_CACHE_SECONDS: seconds, SLACK_WEBHOOK_ALLOWED_HOSTS: allowed }, [EVENT, EVENT]);
        await rotation;
        assert.deepEqual(r.results.map((x) => x.result?.delivered), [1, 1], JSON.stringify(r.results));
        assert.deepEqual([slack.requests.length, other.requests.length], expected, `SLACK_WEBHOOK_CACHE_SECONDS=${seconds}`);
        assertNoWebhookSecret(r.output, slack.url);
        assertNoWebhookSecret(r.output, other.url);
      }
    } finally {
      await other.close();
    }
  });
});

test('urlFromSecretString: the URL, or JSON with url / webhookUrl', () => {
  assert.equal(urlFromSecretString(' https://x.test/a '), 'https://x.test/a');
  assert.equal(urlFromSecretString('{"url":"https://x.test/b"}'), 'https://x.test/b');
  assert.equal(urlFromSecretString('{"webhookUrl":"https://x.test/c"}'), 'https://x.test/c');
  assert.throws(() => urlFromSecretString('{"url": 1}'), /SLACK_WEBHOOK_SECRET_ID: the secret is JSON without/);
  assert.throws(() => urlFromSecretString('{broken https://x.test/secret'), (e) => !e.message.includes('x.test'));
});

// Keep the dummy credentials in one place for readers: moto accepts any.
void AWS_TEST_ENV;

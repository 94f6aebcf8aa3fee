// The webhook URL from SSM Parameter Store (SecureString) and Secrets Manager, against moto's server
// on 127.0.0.1 with dummy credentials: fetched once per container, failures named and not cached,
// and the URL never printed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { startMockSlack } from '../mock-slack.mjs';
import { fixture, snsEvent } from '../fixtures.mjs';
import { createWebhookResolver, urlFromSecretString } from '../secrets.mjs';
import { assertNoWebhookSecret, invokeInChild } from './helpers/child.mjs';
import { AWS_TEST_ENV, startMoto } from './helpers/moto.mjs';

const EVENT = snsEvent([fixture('panther__AuthorizeSecurityGroupEgress__1')]);
const REMOTE_HTTP = 'http://hooks.slack.com/services/T0SECRETTEAM/B0SECRETHOOK/secretTokenValue0123456789';

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

  const invoke = (env, events = [EVENT]) => invokeInChild({ env: { ...moto.env, DELIVERY_SAFETY_MARGIN_MS: '300', ...env }, events });

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

  test('resolver: cached after success, retried after failure', async () => {
    Object.assign(process.env, moto.env);
    const seen = [];
    const resolve = createWebhookResolver({ variable: 'SLACK_WEBHOOK_SSM_PARAMETER', source: 'ssm', name: '/sgnotify/later' }, { onUrl: (u) => seen.push(u.href) });
    await assert.rejects(resolve(), /SLACK_WEBHOOK_SSM_PARAMETER: could not read parameter "\/sgnotify\/later" \(ParameterNotFound/);
    await ssm.send(new PutParameterCommand({ Name: '/sgnotify/later', Type: 'SecureString', Value: slack.url }));
    assert.equal((await resolve()).href, slack.url, 'a failure is not cached');
    await ssm.send(new DeleteParameterCommand({ Name: '/sgnotify/later' }));
    assert.equal((await resolve()).href, slack.url, 'a success is: the parameter is gone, the URL is still known');
    assert.deepEqual(seen, [slack.url], 'onUrl sees the URL once');
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

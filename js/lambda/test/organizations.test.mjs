// Account names, OU paths and tags from AWS Organizations (moto's server on 127.0.0.1): the
// lookup, its cache and refresh rules (with a clock the test moves), fallbacks when a call fails or
// is denied, and the whole Lambda in a child process with ORGANIZATIONS_ROLE_ARN.
//
// The organisation lives in account 111111111111 (moto switches account on AssumeRole); the
// Lambda's own credentials land in moto's default account, which has no organisation. moto gives
// created accounts random ids, so the real fixtures are posted with their account id replaced by
// the id moto gave (nothing else in them changes).

import { after, before, describe, test } from 'node:test';
import { createServer } from 'node:http';
import assert from 'node:assert/strict';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  CreateOrganizationalUnitCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createAccountDirectory, lookUpOrganization, MIN_REFRESH_MS, accountIdsIn } from '../accounts.mjs';
import { formatEvent } from 'sgnotify';
import { startMockSlack } from '../mock-slack.mjs';
import { fixture, snsEvent, sqsEvent, toEventBridge } from '../fixtures.mjs';
import { assertNoWebhookSecret, invokeInChild, outcomeLines } from './helpers/child.mjs';
import { AWS_TEST_ENV, startMoto } from './helpers/moto.mjs';

const MANAGEMENT = '111111111111';
const ROLE_ARN = `arn:aws:iam::${MANAGEMENT}:role/sgnotify-organizations-read`;
const TEST_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const SEC_ALERTS_PATH = '/services/T0MOCKTEAM1/B0SECALERT1/secAlertsToken0123456789';
// The example: prod critical changes to #sec-alerts with @here, the CI role's changes muted.
const POLICY = {
  mute: [{ principal: 'arn:aws:sts::*:assumed-role/ContinousDeployment/*' }],
  routes: [{ destination: 'sec-alerts', mention: '<!here>', match: { ou: 'Root/Prod', severity: 'critical' } }],
};

/** A real fixture with its account id replaced by `accountId` wherever it appears. */
const inAccount = (name, accountId) => {
  const e = fixture(name);
  const original = (e.detail ?? e).recipientAccountId;
  return JSON.parse(JSON.stringify(e).replaceAll(original, accountId));
};

/** An Organizations client that counts the commands it sends, by name. */
function counting(client) {
  const counts = {};
  return {
    counts,
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    send(command, options) {
      const name = command.constructor.name.replace(/Command$/, '');
      counts[name] = (counts[name] ?? 0) + 1;
      return client.send(command, options);
    },
  };
}

/**
 * A proxy on 127.0.0.1 in front of moto that answers the first `throttled` Organizations requests
 * as Organizations does when throttling (400 TooManyRequestsException), then passes the rest on.
 */
async function throttlingProxy(target, throttled) {
  const seen = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const action = String(req.headers['x-amz-target'] ?? '').split('.').pop();
      seen.push({ at: Date.now(), action });
      if (seen.length <= throttled) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'TooManyRequestsException', Message: 'AWS Organizations can\'t complete your request because another request is already in progress. Try again later.' }));
        return;
      }
      const { host, ...headers } = req.headers;
      const answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, close: () => new Promise((r) => server.close(r)) };
}

const captureLog = () => {
  const lines = [];
  const at = (level) => (message, fields) => lines.push({ level, message, ...fields });
  return { lines, info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
};

describe('account names from AWS Organizations (moto)', () => {
  let moto;
  let strict; // a second moto that checks credentials: every call of the Lambda's is refused
  let orgs; // the management account's client
  let ids; // account name -> id
  let ouIds;

  before(async () => {
    [moto, strict] = await Promise.all([startMoto(), startMoto({ env: { INITIAL_NO_AUTH_ACTION_COUNT: '0' } })]);
    const sts = new STSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: TEST_CREDENTIALS });
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MANAGEMENT}:role/setup`, RoleSessionName: 'setup' }));
    sts.destroy();
    orgs = new OrganizationsClient({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
    });
    await orgs.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const root = (await orgs.send(new ListRootsCommand({}))).Roots[0];
    const ou = async (parent, name) => (await orgs.send(new CreateOrganizationalUnitCommand({ ParentId: parent, Name: name }))).OrganizationalUnit.Id;
    ouIds = { root: root.Id };
    ouIds.prod = await ou(root.Id, 'Prod');
    ouIds.web = await ou(ouIds.prod, 'Web');
    ouIds.sandbox = await ou(root.Id, 'Sandbox');
    ids = {};
    const account = async (name, parent, tags) => {
      const s = (await orgs.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com`, Tags: tags }))).CreateAccountStatus;
      await orgs.send(new MoveAccountCommand({ AccountId: s.AccountId, SourceParentId: root.Id, DestinationParentId: parent }));
      ids[name] = s.AccountId;
    };
    await account('web-prod', ouIds.web, [{ Key: 'team', Value: 'web' }, { Key: 'env', Value: 'prod' }]);
    await account('sandbox-dev', ouIds.sandbox, [{ Key: 'env', Value: 'sandbox' }]);
  });
  after(async () => {
    orgs?.destroy();
    await Promise.all([moto?.stop(), strict?.stop()]);
  });

  test('one lookup: every account with its name, OU path and tags, in the calls the README counts', async () => {
    const client = counting(orgs);
    const { accounts } = await lookUpOrganization({ client, ous: new Map(), now: Date.now, ttlMs: 3_600_000 });
    assert.deepEqual(accounts.get(ids['web-prod']).entry, { name: 'web-prod', ou: 'Root/Prod/Web', tags: { team: 'web', env: 'prod' } });
    assert.deepEqual(accounts.get(ids['sandbox-dev']).entry, { name: 'sandbox-dev', ou: 'Root/Sandbox', tags: { env: 'sandbox' } });
    assert.deepEqual(accounts.get(MANAGEMENT).entry, { name: 'master', ou: 'Root' });
    // N = 3 accounts, K = 3 OUs in use (Prod, Web, Sandbox): one ListAccounts page, per account one
    // ListParents and one ListTagsForResource, per OU one DescribeOrganizationalUnit and one ListParents.
    assert.deepEqual(client.counts, { ListAccounts: 1, ListParents: 3 + 3, ListTagsForResource: 3, DescribeOrganizationalUnit: 3 });
  });

  test('the cache: kept for the TTL; an unknown id refreshes at most once per 5 minutes, reusing what is known', async () => {
    const client = counting(orgs);
    const log = captureLog();
    let t = 1_000_000;
    const dir = createAccountDirectory({ source: 'organizations', cacheSeconds: 3600 }, { formatEvent, staticAccounts: { '999999999999': 'static-only' }, log, now: () => t, organizations: client });

    const first = await dir.accountsFor(30_000, [ids['web-prod']]);
    assert.deepEqual(first[ids['web-prod']], { name: 'web-prod', ou: 'Root/Prod/Web', tags: { team: 'web', env: 'prod' } });
    assert.equal(first['999999999999'], 'static-only', 'ACCOUNT_NAMES fills what Organizations does not know');
    const afterFirst = client.total();
    assert.equal(afterFirst, 13);

    t += 60_000;
    await dir.accountsFor(30_000, [ids['sandbox-dev']]);
    assert.equal(client.total(), afterFirst, 'a known account within the TTL makes no call');

    const s = (await orgs.send(new CreateAccountCommand({ AccountName: 'payments-prod', Email: 'payments@example.com' }))).CreateAccountStatus;
    await orgs.send(new MoveAccountCommand({ AccountId: s.AccountId, SourceParentId: ouIds.root, DestinationParentId: ouIds.prod }));
    t += 60_000;
    const early = await dir.accountsFor(30_000, [s.AccountId]);
    assert.equal(early[s.AccountId], undefined);
    assert.equal(client.total(), afterFirst, 'no refresh within 5 minutes of the last lookup');

    t = 1_000_000 + MIN_REFRESH_MS;
    const later = await dir.accountsFor(30_000, [s.AccountId]);
    assert.deepEqual(later[s.AccountId], { name: 'payments-prod', ou: 'Root/Prod' });
    // One ListAccounts page and the new account's two calls; its OU (Prod) came from the cache.
    assert.equal(client.total() - afterFirst, 3);
    assert.deepEqual(log.lines.filter((l) => l.message === 'account lookup done').map((l) => [l.why, l.accounts]), [['first lookup', 3], ['unknown account', 4]]);

    t += 3_600_000;
    const before = client.total();
    await dir.accountsFor(30_000, []);
    assert.equal(client.total() - before, 1 + 2 * 4 + 2 * 3, 'after the TTL everything is read again');
  });

  test('a denied lookup falls back to ACCOUNT_NAMES, is logged, and is not retried for 5 minutes', async () => {
    const denied = new OrganizationsClient({ region: 'us-east-1', endpoint: strict.endpoint, credentials: TEST_CREDENTIALS });
    const client = counting(denied);
    const log = captureLog();
    let t = 0;
    const dir = createAccountDirectory({ source: 'organizations', cacheSeconds: 3600 }, { formatEvent, staticAccounts: { [ids['web-prod']]: 'web (static)' }, log, now: () => t, organizations: client });
    assert.deepEqual(await dir.accountsFor(30_000, [ids['web-prod']]), { [ids['web-prod']]: 'web (static)' });
    const warn = log.lines.find((l) => l.level === 'WARN');
    assert.equal(warn?.message, 'account lookup failed: using ACCOUNT_NAMES and the ids');
    // moto refuses unknown credentials with 403 (in XML, which the SDK cannot read as JSON: the
    // error's name is the parser's; the status is the denial).
    assert.equal(warn.httpStatus, 403);
    const calls = client.total();
    t += MIN_REFRESH_MS - 1;
    await dir.accountsFor(30_000, [ids['web-prod']]);
    assert.equal(client.total(), calls, 'no new attempt within 5 minutes');
    t += 1;
    await dir.accountsFor(30_000, [ids['web-prod']]);
    assert.equal(client.total(), calls + 1, 'tried again after 5 minutes');
    denied.destroy();
  });

  test('account ids are found in SNS, SQS and EventBridge shapes', () => {
    const e = inAccount('aws-spotlight__AuthorizeSecurityGroupIngress__1', ids['web-prod']);
    assert.deepEqual(accountIdsIn(snsEvent([e])), [ids['web-prod']]);
    assert.deepEqual(accountIdsIn(sqsEvent([e])), [ids['web-prod']]);
    assert.deepEqual(accountIdsIn(toEventBridge(e)), [ids['web-prod']]);
    assert.deepEqual(accountIdsIn(e), [ids['web-prod']]);
    assert.deepEqual(accountIdsIn(fixture('aws-spotlight__AuthorizeSecurityGroupIngress__1')), ['999999999999']);
  });

  describe('the Lambda (child process)', () => {
    let slack;
    let sec; // the second mock webhook (routing), started by 'policy and destinations'
    before(async () => (slack = await startMockSlack()));
    after(() => slack?.close());
    const env = (extra) => ({
      ...AWS_TEST_ENV,
      // Both mocks are plain http on 127.0.0.1: allowed only when named, as a user would name them.
      SLACK_WEBHOOK_ALLOWED_HOSTS: [slack, sec].filter(Boolean).map((m) => new URL(m.url).host).join(','),
      AWS_ENDPOINT_URL_ORGANIZATIONS: moto.endpoint,
      AWS_ENDPOINT_URL_STS: moto.endpoint,
      SLACK_WEBHOOK_URL: slack.url,
      DELIVERY_SAFETY_MARGIN_MS: '300',
      ACCOUNT_NAMES_SOURCE: 'organizations',
      ...extra,
    });

    test('through ORGANIZATIONS_ROLE_ARN: the name and the OU path are in the message, looked up once per container', async () => {
      slack.reset();
      const event = snsEvent([inAccount('aws-spotlight__AuthorizeSecurityGroupIngress__1', ids['web-prod'])]);
      const r = await invokeInChild({ env: env({ ORGANIZATIONS_ROLE_ARN: ROLE_ARN }), events: [event, event] });
      assert.deepEqual(r.results.map((x) => x.result?.delivered), [2, 2], JSON.stringify(r.results) + r.stderr);
      const text = JSON.stringify(slack.payloads[0]);
      assert.match(text, /web-prod/);
      assert.match(text, /Root\/Prod\/Web/);
      assert.equal(r.logs.filter((l) => l.message === 'account lookup done').length, 1);
      assertNoWebhookSecret(r.output, slack.url);
    });

    test('without the role the Lambda sees its own account, in no organisation: ACCOUNT_NAMES names the account', async () => {
      slack.reset();
      const event = snsEvent([inAccount('aws-spotlight__AuthorizeSecurityGroupIngress__1', ids['web-prod'])]);
      const r = await invokeInChild({ env: env({ ACCOUNT_NAMES: JSON.stringify({ [ids['web-prod']]: 'web-from-env' }) }), events: [event] });
      assert.equal(r.results[0].result?.delivered, 2, JSON.stringify(r.results) + r.stderr);
      assert.match(JSON.stringify(slack.payloads[0]), /web-from-env/);
      assert.deepEqual(r.logs.filter((l) => l.message === 'account lookup done').map((l) => l.accounts), [0]);
    });

    describe('policy and destinations', () => {
      before(async () => {
        sec = await startMockSlack({ path: SEC_ALERTS_PATH });
        const clientConfig = { region: 'us-east-1', endpoint: moto.endpoint, credentials: TEST_CREDENTIALS };
        const ssm = new SSMClient(clientConfig);
        const sm = new SecretsManagerClient(clientConfig);
        await ssm.send(new PutParameterCommand({ Name: '/sgnotify/policy', Type: 'String', Value: JSON.stringify(POLICY) }));
        await ssm.send(new PutParameterCommand({ Name: '/sgnotify/policy-unknown-destination', Type: 'String', Value: JSON.stringify({ routes: [{ destination: 'ops', match: {} }] }) }));
        await ssm.send(new PutParameterCommand({ Name: '/sgnotify/policy-bad', Type: 'String', Value: JSON.stringify({ routes: [{ destination: 'sec-alerts', match: { severity: 'urgent' } }] }) }));
        await sm.send(new CreateSecretCommand({ Name: 'sgnotify/webhooks', SecretString: JSON.stringify({ 'sec-alerts': sec.url }) }));
        ssm.destroy();
        sm.destroy();
      });
      after(() => sec?.close());

      // prod critical (2 rules), the CI role in prod (muted), sandbox critical (2 rules, default)
      const mixed = () =>
        snsEvent([
          inAccount('aws-spotlight__AuthorizeSecurityGroupIngress__1', ids['web-prod']),
          inAccount('panther__AuthorizeSecurityGroupEgress__1', ids['web-prod']),
          inAccount('aws-spotlight__AuthorizeSecurityGroupIngress__1', ids['sandbox-dev']),
        ]);

      const checkRouted = (r) => {
        assert.equal(r.results[0].result?.delivered, 4, JSON.stringify(r.results) + r.stderr);
        assert.equal(r.results[0].result.skipped, 1);
        assert.equal(sec.payloads.length, 2, 'the prod critical changes go to sec-alerts');
        for (const p of sec.payloads) {
          assert.ok(p.text.startsWith('<!here>'), p.text);
          assert.match(JSON.stringify(p), /web-prod/);
        }
        assert.equal(slack.payloads.length, 2, 'the sandbox ones to the default webhook');
        for (const p of slack.payloads) {
          assert.ok(!p.text.includes('<!here>'));
          assert.match(JSON.stringify(p), /sandbox-dev/);
        }
        assert.deepEqual(outcomeLines(r.logs).map((l) => l.destination), ['sec-alerts', 'sec-alerts', 'default', 'default']);
        const skipped = r.logs.filter((l) => l.status === 'skipped');
        assert.equal(skipped.length, 1);
        assert.equal(skipped[0].message, 'left out by the policy: skipped');
        assert.match(skipped[0].reason, /^policy:/);
        assert.equal(skipped[0].index, 1);
        assertNoWebhookSecret(r.output, slack.url);
        assertNoWebhookSecret(r.output, sec.url);
      };

      test('POLICY and SLACK_WEBHOOKS: routed by OU and severity, with the mention; the CI role muted and logged', async () => {
        slack.reset();
        sec.reset();
        const r = await invokeInChild({
          env: env({ ORGANIZATIONS_ROLE_ARN: ROLE_ARN, POLICY: JSON.stringify(POLICY), SLACK_WEBHOOKS: JSON.stringify({ 'sec-alerts': sec.url }) }),
          events: [mixed()],
        });
        checkRouted(r);
      });

      test('POLICY_SSM_PARAMETER and SLACK_WEBHOOKS_SECRET_ID: the same, read on the first invocation', async () => {
        slack.reset();
        sec.reset();
        const r = await invokeInChild({
          env: env({ ...moto.env, ORGANIZATIONS_ROLE_ARN: ROLE_ARN, POLICY_SSM_PARAMETER: '/sgnotify/policy', SLACK_WEBHOOKS_SECRET_ID: 'sgnotify/webhooks' }),
          events: [mixed()],
        });
        checkRouted(r);
      });

      test('a route on an account tag: the tags read from Organizations reach the policy', async () => {
        slack.reset();
        sec.reset();
        const policy = { routes: [{ destination: 'sec-alerts', match: { tag: { team: 'web' } } }] };
        const event = snsEvent([
          inAccount('aws-spotlight__AuthorizeSecurityGroupIngress__1', ids['sandbox-dev']),
          inAccount('aws-spotlight__AuthorizeSecurityGroupIngress__1', ids['web-prod']),
        ]);
        const r = await invokeInChild({ env: env({ ORGANIZATIONS_ROLE_ARN: ROLE_ARN, POLICY: JSON.stringify(policy), SLACK_WEBHOOKS: JSON.stringify({ 'sec-alerts': sec.url }) }), events: [event] });
        assert.equal(r.results[0].result?.delivered, 4, JSON.stringify(r.results) + r.stderr);
        assert.equal(sec.payloads.length, 2);
        assert.ok(sec.payloads.every((p) => JSON.stringify(p).includes('web-prod')));
        assert.equal(slack.payloads.length, 2);
        assert.ok(slack.payloads.every((p) => JSON.stringify(p).includes('sandbox-dev')));
      });

      test('a policy in SSM that the core rejects, or that routes to an unknown destination: named, nothing posted', async () => {
        slack.reset();
        sec.reset();
        const bad = await invokeInChild({ env: env({ ...moto.env, POLICY_SSM_PARAMETER: '/sgnotify/policy-bad', SLACK_WEBHOOKS_SECRET_ID: 'sgnotify/webhooks' }), events: [mixed()] });
        assert.match(bad.results[0].error?.message ?? '', /^POLICY_SSM_PARAMETER: rejected by sgnotify \(.*policy\.routes\[0\]\.match\.severity/);
        const unknown = await invokeInChild({ env: env({ ...moto.env, POLICY_SSM_PARAMETER: '/sgnotify/policy-unknown-destination', SLACK_WEBHOOKS_SECRET_ID: 'sgnotify/webhooks' }), events: [mixed()] });
        assert.match(unknown.results[0].error?.message ?? '', /^POLICY_SSM_PARAMETER: policy\.routes\[0\]\.destination: "ops" has no webhook in secret "sgnotify\/webhooks" \(SLACK_WEBHOOKS_SECRET_ID\) \(known: default, sec-alerts\)/);
        assert.equal(slack.requests.length + sec.requests.length, 0);
        assertNoWebhookSecret(bad.output + unknown.output, sec.url);
      });
    });

    test('throttled (TooManyRequestsException): the SDK backs off and retries, the lookup completes', async () => {
      slack.reset();
      const proxy = await throttlingProxy(moto.endpoint, 2);
      try {
        const event = snsEvent([inAccount('panther__AuthorizeSecurityGroupEgress__1', ids['sandbox-dev'])]);
        // 30 s of invocation time: the lookup may take up to 6 s of it (a fifth).
        const r = await invokeInChild({ env: env({ ORGANIZATIONS_ROLE_ARN: ROLE_ARN, AWS_ENDPOINT_URL_ORGANIZATIONS: proxy.url }), events: [event], timeoutMs: 30_000 });
        assert.equal(r.results[0].result?.delivered, 1, JSON.stringify(r.results) + r.stderr);
        assert.match(JSON.stringify(slack.payloads[0]), /sandbox-dev/);
        assert.match(JSON.stringify(slack.payloads[0]), /Root\/Sandbox/);
        const done = r.logs.find((l) => l.message === 'account lookup done');
        // The two refused requests were sent again: the proxy saw two more than the lookup's calls.
        assert.equal(proxy.seen.length, done.calls + 2);
        assert.deepEqual(proxy.seen.slice(0, 3).map((x) => x.action), ['ListAccounts', 'ListAccounts', 'ListAccounts']);
        assert.ok(proxy.seen[2].at - proxy.seen[0].at >= 50, 'waited between the attempts');
      } finally {
        await proxy.close();
      }
    });

    test('a denied call (moto enforcing authentication): falls back to the id, logged, delivered', async () => {
      slack.reset();
      const event = snsEvent([inAccount('panther__AuthorizeSecurityGroupEgress__1', ids['sandbox-dev'])]);
      const r = await invokeInChild({ env: env({ AWS_ENDPOINT_URL_ORGANIZATIONS: strict.endpoint }), events: [event] });
      assert.equal(r.results[0].result?.delivered, 1, JSON.stringify(r.results) + r.stderr);
      assert.match(JSON.stringify(slack.payloads[0]), new RegExp(ids['sandbox-dev']));
      const warn = r.logs.find((l) => l.level === 'WARN');
      assert.equal(warn?.message, 'account lookup failed: using ACCOUNT_NAMES and the ids');
      assert.equal(warn.httpStatus, 403);
      assert.equal(outcomeLines(r.logs).length, 1);
    });
  });
});

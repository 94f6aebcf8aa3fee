// The deployment zip (make package) on its own: unzipped into an empty folder, nothing else on the
// module path, its handler delivers to a mock Slack and keeps the webhook URL out of its output.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMockSlack } from '../mock-slack.mjs';
import { MOCK_BOT_TOKEN, MOCK_CHANNEL, startMockSlackApi } from '../mock-slack-api.mjs';
import { fixture, snsEvent, sqsEvent } from '../fixtures.mjs';
import { assertNoWebhookSecret, invokeInChild, outcomeLines } from './helpers/child.mjs';

const ZIP = fileURLToPath(new URL('../../../target/lambda/sgnotify-lambda.zip', import.meta.url));

let dir;
let slack;
before(async () => {
  assert.ok(existsSync(ZIP), `${ZIP} is missing: run make package (make test-lambda does)`);
  dir = mkdtempSync(join(tmpdir(), 'sgnotify-zip-'));
  execFileSync('unzip', ['-q', ZIP, '-d', dir]);
  slack = await startMockSlack();
});
after(async () => {
  await slack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the zip holds the handler and the package, nothing else', () => {
  const entries = execFileSync('unzip', ['-Z1', ZIP], { encoding: 'utf8' }).trim().split('\n').sort();
  const handler = entries.filter((e) => !e.startsWith('node_modules/'));
  assert.deepEqual(handler, ['accounts.mjs', 'app.mjs', 'config.mjs', 'index.mjs', 'log.mjs', 'notify.mjs', 'org-config.mjs', 'pacing.mjs', 'routing.mjs', 'secrets.mjs', 'slack-api.mjs', 'state.mjs', 'threads.mjs']);
  for (const e of entries.filter((x) => x.startsWith('node_modules/'))) assert.match(e, /^node_modules\/sgnotify\//);
  for (const needed of ['package.json', 'deliver.mjs', 'dist/web/node.mjs', 'dist/web/sgnotify_bg.wasm']) {
    assert.ok(entries.includes(`node_modules/sgnotify/${needed}`), `${needed} in the zip`);
  }
  assert.ok(!entries.some((e) => /test|demo|mock|fixtures|@aws-sdk|dist\/node|index\.cjs/.test(e)), 'no tests, demo, SDK or CommonJS build');
});

test('invoked from the unzipped folder: SNS delivered, SQS partial batch works', async () => {
  const sns = snsEvent([fixture('aws-spotlight__AuthorizeSecurityGroupIngress__1')]);
  const sqs = sqsEvent([fixture('panther__AuthorizeSecurityGroupEgress__1'), 'garbage']);
  const r = await invokeInChild({ dir, cwd: dir, env: { SLACK_WEBHOOK_URL: slack.url, SLACK_WEBHOOK_ALLOWED_HOSTS: new URL(slack.url).host, TIMEZONE: 'Asia/Seoul' }, events: [sns, sqs] });
  assert.equal(r.results[0].result?.delivered, 2, JSON.stringify(r.results) + r.stderr);
  assert.deepEqual(r.results[1].result, { batchItemFailures: [{ itemIdentifier: sqs.Records[1].messageId }] });
  assert.equal(slack.requests.length, 3);
  assert.match(JSON.stringify(slack.payloads[0]), /KST|\+09/);
  assert.equal(outcomeLines(r.logs).length, 3);
  assertNoWebhookSecret(r.output, slack.url);
});

test('from the unzipped folder, a bad setting still fails the start by name', async () => {
  const r = await invokeInChild({ dir, cwd: dir, env: { SLACK_WEBHOOK_URL: slack.url, SLACK_WEBHOOK_ALLOWED_HOSTS: new URL(slack.url).host, LOCALE: 'xx' }, events: [] });
  assert.match(r.results[0]?.importError?.message ?? '', /LOCALE: /);
  assertNoWebhookSecret(r.output, slack.url);
});

test('from the unzipped folder, app mode posts a thread', async () => {
  const api = await startMockSlackApi();
  try {
    const event = snsEvent([fixture('aws-spotlight__AuthorizeSecurityGroupIngress__1')]);
    const r = await invokeInChild({ dir, cwd: dir, env: { SLACK_BOT_TOKEN: MOCK_BOT_TOKEN, SLACK_CHANNEL: MOCK_CHANNEL, SLACK_API_URL: api.url }, events: [event] });
    assert.equal(r.results[0].result?.delivered, 2, JSON.stringify(r.results) + r.stderr);
    assert.deepEqual(api.threads().map((t) => t.replies.length), [2]);
    assert.ok(!r.output.includes(MOCK_BOT_TOKEN));
  } finally {
    await api.close();
  }
});

// The package's CLI (pkg/cli.mjs, `npx sgnotify`): preview prints the payloads, send posts them to
// $SLACK_WEBHOOK_URL (a mock Slack on 127.0.0.1) with the Lambda's delivery code; usage errors exit 2.

import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { formatBodies, formatEvent } from 'sgnotify';
import { startMockSlack } from '../mock-slack.mjs';
import { sqsEvent, toEventBridge } from '../fixtures.mjs';
import { assertNoWebhookSecret } from './helpers/child.mjs';

// The bin entry of the installed package, found as a user's npx would.
const PKG_DIR = dirname(createRequire(import.meta.url).resolve('sgnotify/package.json'));
const BIN = join(PKG_DIR, JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8')).bin.sgnotify);
const FIXTURES = new URL('../../../tests/fixtures/events/', import.meta.url);
const fixturePath = (name) => new URL(`${name}.json`, FIXTURES).pathname;
const MYSQL = fixturePath('aws-spotlight__AuthorizeSecurityGroupIngress__1');
const mysqlEvent = () => JSON.parse(readFileSync(MYSQL, 'utf8'));

function cli(args, { env = {}, stdin } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

describe('sgnotify preview', () => {
  let dir;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'sgnotify-cli-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--help', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage:\n {2}sgnotify preview/);
    assert.match(r.stdout, /--timezone ZONE/);
  });

  test('prints the payloads as JSON, exactly what the core gives', async () => {
    const r = await cli(['preview', MYSQL]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), formatEvent(mysqlEvent()).messages.map((m) => m.payload));
  });

  test('through a real pipe to a slow reader, 19+ messages arrive whole (stdout drains before exit)', async () => {
    // A CloudTrail log file made of every real fixture's record: more than 64 KiB of payloads.
    const records = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(new URL(f, FIXTURES), 'utf8')))
      .map((e) => (e['detail-type'] ? e.detail : e));
    const file = join(dir, 'all-fixtures.json');
    writeFileSync(file, JSON.stringify({ Records: records }));
    const expected = formatEvent({ Records: records }).messages.map((m) => m.payload);
    assert.ok(expected.length >= 19, `${expected.length} messages`);
    const r = await new Promise((resolve) => {
      const script = 'set -o pipefail; "$0" "$1" preview "$2" | (sleep 0.3; cat)';
      const child = spawn('bash', ['-c', script, process.execPath, BIN, file], { env: { PATH: process.env.PATH } });
      child.stdout.setEncoding('utf8'); // chunks may split a multi-byte character
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Buffer.byteLength(r.stdout) > 65_536, `${Buffer.byteLength(r.stdout)} bytes`);
    assert.deepEqual(JSON.parse(r.stdout), expected);
  });

  test('options reach the core: --timezone --locale --accounts --max-messages --channel', async () => {
    const accounts = join(dir, 'accounts.json');
    writeFileSync(accounts, JSON.stringify({ 999999999999: 'spotlight-prod' }));
    const r = await cli(['preview', MYSQL, '--timezone', 'Asia/Seoul', '--locale', 'ko', '--accounts', accounts, '--max-messages', '1', '--channel', '#sec']);
    assert.equal(r.code, 0, r.stderr);
    const options = { timezone: 'Asia/Seoul', locale: 'ko', accounts: { 999999999999: 'spotlight-prod' }, maxMessagesPerEvent: 1, channel: '#sec' };
    assert.deepEqual(JSON.parse(r.stdout), formatEvent(mysqlEvent(), options).messages.map((m) => m.payload));
    assert.match(r.stdout, /spotlight-prod/);
  });

  test('--color-scheme action: the world-open MySQL authorize gets the dark blue bar, still critical', async () => {
    const r = await cli(['preview', MYSQL, '--color-scheme', 'action', '--full']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out, formatEvent(mysqlEvent(), { colorScheme: 'action' }));
    assert.deepEqual(out.messages.map((m) => [m.payload.attachments[0].color, m.severity]), [['#0c3f7d', 'critical'], ['#0c3f7d', 'critical']]);
    const bad = await cli(['preview', MYSQL, '--color-scheme', 'loud']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /options\.colorScheme: unknown colour scheme "loud"/);
  });

  test('- reads standard input; --full prints severity, summary, skipped and errors', async () => {
    const event = sqsEvent([mysqlEvent(), 'not json']);
    const r = await cli(['preview', '-', '--full'], { stdin: JSON.stringify(event) });
    assert.equal(r.code, 1, 'a bad record exits 1');
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out, formatEvent(event));
    assert.match(r.stderr, /error: record 1: /);
  });

  test('usage errors exit 2', async () => {
    for (const args of [[], ['frobnicate', MYSQL], ['preview'], ['preview', MYSQL, '--max-messages', 'ten'], ['preview', MYSQL, '--bogus'], ['preview', join(dir, 'missing.json')]]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^sgnotify: .+\nTry "sgnotify --help"\.\n$/);
    }
  });

  test('unusable input exits 1 with the core\'s message', async () => {
    const notJson = await cli(['preview', '-'], { stdin: '{"Records": [' });
    assert.equal(notJson.code, 1);
    assert.match(notJson.stderr, /^sgnotify: standard input is not valid JSON/);
    const badTz = await cli(['preview', MYSQL, '--timezone', 'Mars/Base']);
    assert.equal(badTz.code, 1);
    assert.match(badTz.stderr, /Mars\/Base/);
  });
});

describe('sgnotify send', () => {
  let slack;
  before(async () => (slack = await startMockSlack()));
  after(() => slack.close());
  beforeEach(() => slack.reset());

  test('posts every payload in order to $SLACK_WEBHOOK_URL, as the core\'s JSON text byte for byte', async () => {
    const r = await cli(['send', MYSQL, '--username', 'sgnotify'], { env: { SLACK_WEBHOOK_URL: slack.url, SLACK_WEBHOOK_ALLOWED_HOSTS: new URL(slack.url).host } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(slack.requests.map((q) => q.raw), formatBodies(mysqlEvent(), { username: 'sgnotify' }).messages.map((m) => m.body));
    assert.deepEqual(slack.payloads, formatEvent(mysqlEvent(), { username: 'sgnotify' }).messages.map((m) => m.payload));
    assert.match(r.stderr, /sent 1\/2 \[critical\]/);
    assert.match(r.stderr, /2 of 2 message\(s\) delivered/);
    assertNoWebhookSecret(r.stdout + r.stderr, slack.url);
  });

  test('same delivery code: 429 retried after Retry-After, 404 no_service final, exit 1', async () => {
    slack.setResponder((_, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 404, body: 'no_service' }));
    const r = await cli(['send', '-'], { env: { SLACK_WEBHOOK_URL: slack.url, SLACK_WEBHOOK_ALLOWED_HOSTS: new URL(slack.url).host }, stdin: JSON.stringify(toEventBridge(mysqlEvent())) });
    assert.equal(r.code, 1);
    assert.equal(slack.requests.length, 3, '429 then 404 for the first message, 404 for the second');
    assert.match(r.stderr, /NOT SENT 1\/2 .*HTTP 404 no_service \(2 attempts/);
    assertNoWebhookSecret(r.stdout + r.stderr, slack.url);
  });

  test('without or with a bad SLACK_WEBHOOK_URL: exit 2, the URL never printed', async () => {
    const none = await cli(['send', MYSQL]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /set SLACK_WEBHOOK_URL/);
    const remote = 'http://hooks.slack.com/services/T0SECRETTEAM/B0SECRETHOOK/secretTokenValue0123456789';
    const bad = await cli(['send', MYSQL], { env: { SLACK_WEBHOOK_URL: remote } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /SLACK_WEBHOOK_URL: must be an https:\/\/ URL/);
    assertNoWebhookSecret(bad.stdout + bad.stderr, remote);
    const unlisted = await cli(['send', MYSQL], { env: { SLACK_WEBHOOK_URL: slack.url } });
    assert.equal(unlisted.code, 2);
    assert.match(unlisted.stderr, /SLACK_WEBHOOK_URL: plain http to a loopback host needs that host:port in SLACK_WEBHOOK_ALLOWED_HOSTS/);
    assertNoWebhookSecret(unlisted.stdout + unlisted.stderr, slack.url);
    const badList = await cli(['send', MYSQL], { env: { SLACK_WEBHOOK_URL: slack.url, SLACK_WEBHOOK_ALLOWED_HOSTS: slack.url } });
    assert.equal(badList.code, 2);
    assert.match(badList.stderr, /SLACK_WEBHOOK_ALLOWED_HOSTS: entry 1 is not a host or host:port/);
    assertNoWebhookSecret(badList.stdout + badList.stderr, slack.url);
    assert.equal(slack.requests.length, 0);
  });
});

describe('as installed from the packed package', () => {
  let project;
  before(() => {
    project = mkdtempSync(join(tmpdir(), 'sgnotify-npx-'));
    const run = (cmd, args) => execFileSync(cmd, args, { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const [{ filename }] = JSON.parse(run('npm', ['pack', PKG_DIR, '--pack-destination', project, '--json']));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', '--offline', join(project, filename)]);
  });
  after(() => rmSync(project, { recursive: true, force: true }));

  test('npx sgnotify preview, and sgnotify/deliver importable', () => {
    const out = execFileSync('npx', ['--no-install', 'sgnotify', 'preview', MYSQL], { cwd: project, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), formatEvent(mysqlEvent()).messages.map((m) => m.payload));
    const exported = execFileSync(process.execPath, ['--input-type=module', '-e', "import('sgnotify/deliver').then((m) => console.log(Object.keys(m).sort().join(',')))"], { cwd: project, encoding: 'utf8' });
    assert.match(exported, /createRedactor,deliver,deliverAll,.*parseWebhookUrl/);
  });
});

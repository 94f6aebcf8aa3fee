// `sgnotify preview --policy --accounts` (pkg/cli.mjs): each message's destination and mention,
// and the changes the policy held back, on real fixtures. Needs `make build` first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(root, 'pkg', 'cli.mjs');
const fixture = (name) => join(root, 'tests', 'fixtures', 'events', `${name}.json`);
let dir;
const cli = (...args) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sgnotify-policy-'));
  writeFileSync(join(dir, 'accounts.json'), JSON.stringify({
    123456789012: { name: 'prod-web', ou: 'Root/Prod/Web', tags: { env: 'prod' } },
    999999999999: { name: 'sandbox-1', ou: 'Root/Sandbox' },
  }));
  writeFileSync(join(dir, 'policy.json'), JSON.stringify({
    routes: [{ destination: 'sec-alerts', mention: '<!here>', match: { ou: 'Root/Prod', severity: 'critical' } }],
    mute: [{ ou: 'Root/Sandbox', userAgent: '*Terraform*' }],
  }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('preview names each message\'s destination and mention', () => {
  const r = cli('preview', fixture('watch-security-group__AuthorizeSecurityGroupIngress__1'), '--policy', join(dir, 'policy.json'), '--accounts', join(dir, 'accounts.json'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^message 1\/1 -> sec-alerts <!here> \[critical\] Inbound rule added: TCP 22 \(SSH\) from 0\.0\.0\.0\/0 .*prod-web \(123456789012\)\n$/);
  const [payload] = JSON.parse(r.stdout);
  assert.match(payload.text, /^<!here> 🚨/);
});

test('preview lists what the policy held back, and unrouted messages go to default', () => {
  const muted = cli('preview', fixture('aws-spotlight__CreateSecurityGroup__1'), '--policy', join(dir, 'policy.json'), '--accounts', join(dir, 'accounts.json'));
  assert.equal(muted.status, 0, muted.stderr);
  assert.deepEqual(JSON.parse(muted.stdout), []);
  assert.match(muted.stderr, /^skipped: record 0 CreateSecurityGroup: policy: mute\[0\] · Security group created/);
  const other = cli('preview', fixture('aws-spotlight__AuthorizeSecurityGroupIngress__1'), '--policy', join(dir, 'policy.json'), '--accounts', join(dir, 'accounts.json'));
  assert.match(other.stderr, /^message 1\/2 -> default \[critical\] .*\nmessage 2\/2 -> default \[critical\] /);
});

test('a bad policy file is a clear error naming the key path', () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ routes: [{ destination: 'x', mention: '<!channel|x>', match: {} }] }));
  const r = cli('preview', fixture('aws-spotlight__CreateSecurityGroup__1'), '--policy', bad);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /options\.policy\.routes\[0\]\.mention: "<!channel\|x>" is not a mention/);
  writeFileSync(bad, '[1]');
  assert.equal(cli('preview', fixture('aws-spotlight__CreateSecurityGroup__1'), '--policy', bad).status, 2);
});

// The npm package exactly as a user gets it: `npm pack` of pkg/, installed by name into an empty
// project, then used through require, import and TypeScript. Needs `make build` first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const fixtures = join(root, 'tests', 'fixtures', 'events');
const tsc = join(root, 'js', 'node_modules', '.bin', 'tsc');
let project;

const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });

before(() => {
  project = mkdtempSync(join(tmpdir(), 'sgnotify-user-'));
  const packed = run('npm', ['pack', join(root, 'pkg'), '--pack-destination', project, '--json']);
  const [{ filename, files }] = JSON.parse(packed);
  const names = files.map((f) => f.path);
  for (const f of ['index.cjs', 'dist/web/node.mjs', 'web.js', 'index.d.ts', 'dist/node/sgnotify_bg.wasm', 'dist/web/sgnotify_bg.wasm']) {
    assert.ok(names.includes(f), `the tarball ships ${f}`);
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
  run('npm', ['install', '--no-audit', '--no-fund', '--offline', join(project, filename)]);
});

after(() => rmSync(project, { recursive: true, force: true }));

const fixture = (name) => readFileSync(join(fixtures, `${name}.json`), 'utf8');

test('require("sgnotify") works with no init call', () => {
  writeFileSync(
    join(project, 'use.cjs'),
    `const { formatEvent } = require('sgnotify');
     const fs = require('fs');
     const r = formatEvent(fs.readFileSync(process.argv[2], 'utf8'), { timezone: 'Asia/Seoul' });
     console.log(JSON.stringify(r.messages.map((m) => [m.severity, m.payload.attachments[0].blocks[0].text.text])));`,
  );
  const out = JSON.parse(run('node', ['use.cjs', join(fixtures, 'aws-spotlight__AuthorizeSecurityGroupIngress__1.json')]));
  assert.deepEqual(out, [
    ['critical', '🚨 CRITICAL · Inbound rule added: TCP 3306 (MySQL) from 0.0.0.0/0 (anywhere)'],
    ['critical', '🚨 CRITICAL · Inbound rule added: TCP 3306 (MySQL) from ::/0 (anywhere)'],
  ]);
});

test('import { formatEvent } from "sgnotify" works with no init call, and init() is a no-op', () => {
  writeFileSync(
    join(project, 'use.mjs'),
    `import init, { formatEvent } from 'sgnotify';
     import { readFileSync } from 'node:fs';
     await init();
     const event = JSON.parse(readFileSync(process.argv[2], 'utf8'));
     const r = formatEvent(event, { accounts: { '999999999999': 'sandbox' } });
     console.log(JSON.stringify({ n: r.messages.length, text: r.messages[0].payload.text, ids: r.messages.map((m) => m.eventId) }));`,
  );
  const out = JSON.parse(run('node', ['use.mjs', join(fixtures, 'aws-spotlight__RevokeSecurityGroupEgress__1.json')]));
  assert.equal(out.n, 2, 'two revoked items, two messages');
  assert.match(out.text, /sandbox \(999999999999\)/);
  assert.deepEqual(out.ids, ['e0527dd2-b7bc-49fd-820f-1c09c77638ff', 'e0527dd2-b7bc-49fd-820f-1c09c77638ff']);
});

test('errors are Error instances that say what and where, and the module keeps working', () => {
  writeFileSync(
    join(project, 'errors.mjs'),
    `import { formatEvent } from 'sgnotify';
     const bad = { 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.ec2', account: '1',
       detail: { eventSource: 'ec2.amazonaws.com', eventName: 'AuthorizeSecurityGroupIngress',
                 requestParameters: { ipPermissions: { items: 'tcp 22' } } } };
     const out = [];
     for (const [input, opts] of [[bad, undefined], ['{', undefined], [{}, { timezone: 'Nowhere/Land' }]]) {
       try { formatEvent(input, opts); out.push('no error'); }
       catch (e) { out.push([e instanceof Error, e.message]); }
     }
     out.push(formatEvent(process.argv[2]).messages.length);
     console.log(JSON.stringify(out));`,
  );
  const out = JSON.parse(run('node', ['errors.mjs', fixture('panther__AuthorizeSecurityGroupIngress__2')]));
  assert.deepEqual(out[0], [true, 'detail.requestParameters.ipPermissions.items: expected a list, found a string']);
  assert.deepEqual(out[1], [true, 'input: invalid JSON: EOF while parsing an object at line 1 column 1']);
  assert.equal(out[2][0], true);
  assert.match(out[2][1], /^options\.timezone: unknown time zone "Nowhere\/Land"/);
  assert.equal(out[3], 1);
});

test('every fixture formats through the package, and text input equals object input', () => {
  writeFileSync(
    join(project, 'all.cjs'),
    `const { formatEvent } = require('sgnotify');
     const fs = require('fs'), path = require('path');
     const dir = process.argv[2];
     const rows = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => {
       const text = fs.readFileSync(path.join(dir, f), 'utf8');
       const a = formatEvent(text), b = formatEvent(JSON.parse(text));
       return [f, a.messages.length, JSON.stringify(a) === JSON.stringify(b), a.errors.length + a.skipped.length];
     });
     console.log(JSON.stringify(rows));`,
  );
  const rows = JSON.parse(run('node', ['all.cjs', fixtures]));
  assert.equal(rows.length, readdirSync(fixtures).filter((f) => f.endsWith('.json')).length);
  for (const [name, n, same, other] of rows) {
    assert.ok(n >= 1, `${name} gives messages`);
    assert.ok(same, `${name}: text and object input agree`);
    assert.equal(other, 0, `${name}: no skips or errors`);
  }
});

test('the published .d.ts types check under strict TypeScript, and misuse does not', () => {
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', skipLibCheck: false } }),
  );
  writeFileSync(
    join(project, 'good.mts'),
    `import init, { formatEvent, type Options, type Formatted, type Message, type Severity } from 'sgnotify';
     await init();
     const options: Options = { accounts: { '1': 'a' }, timezone: 'UTC', locale: 'ko', maxMessagesPerEvent: 5, colorScheme: 'action' };
     const r: Formatted = formatEvent('{}', options);
     const m: Message | undefined = r.messages[0];
     const s: Severity | undefined = m?.severity;
     const w: string[] = m?.warnings ?? [];
     const blocks = m?.payload.attachments[0].blocks ?? [];
     for (const b of blocks) { if (b.type === 'section') { b.fields?.map((f) => f.text); } }
     const idx: number[] = r.errors.map((e) => e.index).concat(r.skipped.map((k) => k.index));
     console.log(s, w, idx, formatEvent({ any: 'object' }).messages.length);`,
  );
  writeFileSync(
    join(project, 'good.cts'),
    `import sg = require('sgnotify');\nconst r: sg.Formatted = sg.formatEvent({}, { timezone: 'UTC' });\nvoid sg.default();\nconsole.log(r.skipped.length);\n`,
  );
  run(tsc, ['-p', '.']);
  writeFileSync(join(project, 'bad.mts'), `import { formatEvent } from 'sgnotify';\nformatEvent('{}', { locale: 'fr' });\n`);
  assert.throws(() => run(tsc, ['-p', '.']), (e) => /bad\.mts.*locale|Type '"fr"' is not assignable/s.test(e.stdout));
  writeFileSync(join(project, 'bad.mts'), `import { formatEvent } from 'sgnotify';\nformatEvent('{}', { colorScheme: 'loud' });\n`);
  assert.throws(() => run(tsc, ['-p', '.']), (e) => /Type '"loud"' is not assignable/.test(e.stdout));
});

test('policy and accounts: real results type-check against Formatted, and a bad policy is a clear Error', () => {
  const options = {
    accounts: {
      '123456789012': { name: 'prod-web', ou: 'Root/Prod/Web', tags: { env: 'prod' } },
      '999999999999': 'sandbox',
    },
    policy: {
      minSeverity: 'warning',
      mute: [{ principal: 'arn:aws:sts::*:assumed-role/ContinousDeployment/*' }, { ou: 'Root/Sandbox', severity: ['info'] }],
      routes: [{ destination: 'sec-alerts', mention: '<!here>', match: { ou: 'Root/Prod', severity: ['critical'] } }],
      trustedCidrs: ['10.0.0.0/8'],
      sensitivePorts: { add: [{ port: 80, name: 'HTTP' }], remove: [3306] },
    },
  };
  writeFileSync(join(project, 'options.json'), JSON.stringify(options));
  writeFileSync(
    join(project, 'policy.mjs'),
    `import { formatEvent } from 'sgnotify';
     import { readFileSync } from 'node:fs';
     const options = JSON.parse(readFileSync('options.json', 'utf8'));
     const results = process.argv.slice(2).map((f) => formatEvent(readFileSync(f, 'utf8'), options));
     let bad;
     try { formatEvent(readFileSync(process.argv[2], 'utf8'), { policy: { routes: [{ destination: 'x', match: { severity: 'high' } }] } }); }
     catch (e) { bad = [e instanceof Error, e.message]; }
     console.log(JSON.stringify({ results, bad }));`,
  );
  const files = [
    'watch-security-group__AuthorizeSecurityGroupIngress__1', // prod SSH from anywhere: routed, mentioned
    'panther__AuthorizeSecurityGroupEgress__1', // the CD role: muted
    'aws-spotlight__CreateSecurityGroup__1', // info: below minSeverity
    'aws-spotlight__AuthorizeSecurityGroupIngress__1', // MySQL removed from the sensitive set: warning, default
  ];
  const { results, bad } = JSON.parse(run('node', ['policy.mjs', ...files.map((f) => join(fixtures, `${f}.json`))]));
  const [routed, muted, low, mysql] = results;
  assert.equal(routed.messages[0].destination, 'sec-alerts');
  assert.equal(routed.messages[0].mention, '<!here>');
  assert.match(routed.messages[0].payload.text, /^<!here> 🚨/);
  assert.ok(JSON.stringify(routed.messages[0].payload.attachments).includes('OU: Root/Prod/Web'));
  assert.equal(muted.messages.length, 0);
  assert.match(muted.skipped[0].reason, /^policy: mute\[0\] · /);
  assert.match(low.skipped[0].reason, /^policy: minSeverity warning \(this change is info\)/);
  assert.deepEqual(mysql.messages.map((m) => [m.severity, m.destination, m.mention]), [['warning', 'default', undefined], ['warning', 'default', undefined]]);
  assert.deepEqual(bad, [true, 'options.policy.routes[0].match.severity: unknown severity "high" (use "info", "warning" or "critical")']);

  // The real results as fresh object literals: TypeScript's excess-property checks then reject
  // any field the published types do not declare, and missing or mistyped ones.
  writeFileSync(
    join(project, 'policy-types.mts'),
    `import type { Formatted, Options } from 'sgnotify';
     export const options: Options = ${JSON.stringify(options)};
     export const results: Formatted[] = ${JSON.stringify(results)};`,
  );
  const check = (file) => {
    const config = `tsconfig.${file}.json`;
    writeFileSync(
      join(project, config),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022' }, files: [file] }),
    );
    return run(tsc, ['-p', config]);
  };
  check('policy-types.mts');
  writeFileSync(join(project, 'bad-policy.mts'), `import type { Options } from 'sgnotify';\nexport const o: Options = { policy: { minSeverity: 'high', routes: [{ match: {} }] } };\n`);
  assert.throws(() => check('bad-policy.mts'), (e) => /bad-policy\.mts/.test(e.stdout) && /"high"/.test(e.stdout) && /destination/.test(e.stdout));
});

#!/usr/bin/env node
// Prepares the static folder: copies the browser build of the `sgnotify` package (resolved by its
// name, as a user's bundler would) into vendor/, and turns the real fixtures plus their
// attribution into vendor/samples.json. vendor/ is generated and git-ignored, so the fixtures are
// never duplicated in the repository.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const vendor = join(here, 'vendor');

function packageDir() {
  let entry;
  try {
    entry = fileURLToPath(import.meta.resolve('sgnotify/web'));
  } catch (e) {
    throw new Error(`cannot resolve the sgnotify package from js/ (run \`make tools-js\`): ${e.message}`);
  }
  return dirname(realpathSync(entry));
}

/** Attribution per fixture file, from the `### file` sections of SOURCES.md. */
export function parseSources(markdown) {
  const out = {};
  let current = null;
  for (const line of markdown.split('\n')) {
    const head = line.match(/^### (\S+\.json)\s*$/);
    if (head) { current = out[head[1]] = {}; continue; }
    const item = current && line.match(/^- (eventName|repository|licence|fidelity|interesting): (.*)$/);
    if (item) current[item[1]] = item[2].replace(/`/g, '');
  }
  return out;
}

/** Which of the accepted input shapes a parsed value has, for the picker's label. */
export function formOf(v) {
  if (v && typeof v === 'object') {
    if (v['detail-type'] || (v.detail && v.source)) return 'EventBridge';
    const r = Array.isArray(v.Records) ? v.Records[0] : undefined;
    if (r?.Sns) return 'SNS';
    if (r && 'body' in r) return 'SQS';
    if (r?.eventName) return 'CloudTrail log file';
    if (v.eventName) return 'CloudTrail record';
  }
  return 'other';
}

function recordOf(v) {
  return v.detail && v.source ? v.detail : v;
}

function eventBridgeOf(v) {
  if (v.detail && v.source) return v;
  return {
    version: '0', id: `derived-${v.eventID ?? 'event'}`, 'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ec2', account: v.recipientAccountId ?? v.userIdentity?.accountId ?? '000000000000',
    time: v.eventTime, region: v.awsRegion, resources: [], detail: v,
  };
}

function snsOf(eb) {
  return {
    Records: [{
      EventSource: 'aws:sns', EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:us-east-1:000000000000:sg-changes:00000000-0000-0000-0000-000000000000',
      Sns: {
        Type: 'Notification', MessageId: '00000000-0000-0000-0000-000000000001',
        TopicArn: 'arn:aws:sns:us-east-1:000000000000:sg-changes', Subject: null,
        Message: JSON.stringify(eb), Timestamp: eb.time, MessageAttributes: {},
      },
    }],
  };
}

function sqsOf(eb) {
  return {
    Records: [{
      messageId: '00000000-0000-0000-0000-000000000002', receiptHandle: 'derived',
      body: JSON.stringify(eb), attributes: {}, messageAttributes: {}, md5OfBody: '',
      eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:sg-changes', awsRegion: 'us-east-1',
    }],
  };
}

export function buildSamples() {
  const fixtures = join(root, 'tests', 'fixtures', 'events');
  const sources = parseSources(readFileSync(join(root, 'tests', 'fixtures', 'SOURCES.md'), 'utf8'));
  const samples = [];
  const byName = {};
  for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.json')).sort()) {
    const text = readFileSync(join(fixtures, file), 'utf8');
    const value = JSON.parse(text);
    const src = sources[file] ?? {};
    const id = basename(file, '.json');
    byName[id] = value;
    samples.push({
      id, kind: 'fixture', form: formOf(value), eventName: recordOf(value).eventName ?? src.eventName ?? '?',
      label: `${recordOf(value).eventName ?? '?'} · ${id.split('__')[0]} #${id.split('__')[2] ?? ''}`,
      source: { repository: src.repository, licence: src.licence, fidelity: src.fidelity, note: src.interesting },
      text,
    });
  }
  // Synthetic events: the playground tests' own, and the core's tamper events (CloudTrail
  // stopped, sgnotify's rule disabled...), shaped like the AWS documentation's samples.
  const syntheticDirs = [
    [join(here, 'test', 'events'), 'synthetic, written for the playground tests'],
    [join(root, 'tests', 'fixtures', 'synthetic'), 'synthetic tamper event, shaped like the AWS documentation\'s sample records'],
  ];
  for (const [dir, fidelity] of syntheticDirs) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      const text = readFileSync(join(dir, file), 'utf8');
      const value = JSON.parse(text);
      const eventName = recordOf(value).eventName ?? value.Records?.[0]?.eventName;
      samples.push({
        id: basename(file, '.json'), kind: 'synthetic', form: formOf(value), eventName,
        label: `${eventName} · ${basename(file, '.json')}`,
        source: { fidelity }, text,
      });
    }
  }
  // One example of each envelope the Lambda receives, derived from real fixtures.
  const base = byName['sg-change-alerting__AuthorizeSecurityGroupIngress__1'] ?? Object.values(byName)[0];
  const raws = Object.values(byName).filter((v) => !(v.detail && v.source)).slice(0, 3).map(recordOf);
  const derived = [
    ['derived-sns', 'SNS notification wrapping an EventBridge event', snsOf(eventBridgeOf(base))],
    ['derived-sqs', 'SQS message wrapping an EventBridge event', sqsOf(eventBridgeOf(base))],
    ['derived-log-file', `CloudTrail log file with ${raws.length} records`, { Records: raws }],
  ];
  for (const [id, label, value] of derived) {
    samples.push({
      id, kind: 'derived', form: formOf(value), eventName: recordOf(base).eventName, label,
      source: { fidelity: 'derived: real fixtures wrapped in the envelope by bundle.mjs' },
      text: JSON.stringify(value, null, 2),
    });
  }
  return samples;
}

export function bundle() {
  const pkg = packageDir();
  const web = join(pkg, 'dist', 'web');
  if (!existsSync(join(web, 'sgnotify_bg.wasm'))) {
    throw new Error(`${web}/sgnotify_bg.wasm is missing: run \`make build\` first`);
  }
  const magic = readFileSync(join(web, 'sgnotify_bg.wasm')).subarray(0, 4).toString('latin1');
  if (magic !== '\0asm') throw new Error(`${web}/sgnotify_bg.wasm is not a wasm module (a build still running?)`);
  rmSync(vendor, { recursive: true, force: true });
  mkdirSync(join(vendor, 'sgnotify', 'dist', 'web'), { recursive: true });
  cpSync(join(pkg, 'web.js'), join(vendor, 'sgnotify', 'web.js'));
  for (const f of ['sgnotify.js', 'sgnotify_bg.wasm']) cpSync(join(web, f), join(vendor, 'sgnotify', 'dist', 'web', f));
  cpSync(join(root, 'tests', 'fixtures', 'SOURCES.md'), join(vendor, 'SOURCES.md'));
  const samples = buildSamples();
  writeFileSync(join(vendor, 'samples.json'), JSON.stringify(samples));
  return { vendor, samples: samples.length };
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { vendor: dir, samples } = bundle();
    console.log(`playground: ${samples} samples and the sgnotify web build in ${dir}`);
  } catch (e) {
    console.error(`playground bundle: ${e.message}`);
    process.exit(1);
  }
}

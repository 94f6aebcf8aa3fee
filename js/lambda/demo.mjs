// `make demo`: the Lambda handler, end to end, on this machine. A mock Slack webhook listens on
// 127.0.0.1; the handler is invoked with real CloudTrail fixtures wrapped as Lambda receives them
// (an SNS event with several records, then an EventBridge event while Slack rate-limits once), and
// what Slack received is printed one block per message. No AWS account, nothing leaves the machine.
//
// TIMEZONE, LOCALE and ACCOUNT_NAMES from the environment are passed on, e.g.
//   TIMEZONE=Asia/Seoul LOCALE=ko make demo

import { startMockSlack } from './mock-slack.mjs';
import { fixture, lambdaContext, snsEvent, toEventBridge } from './fixtures.mjs';

const SNS_FIXTURES = [
  'aws-spotlight__AuthorizeSecurityGroupIngress__1', // MySQL open to 0.0.0.0/0 and ::/0: two rules
  'panther__AuthorizeSecurityGroupEgress__1',
  'aws-spotlight__RevokeSecurityGroupEgress__1', // two rules removed
];
const EVENTBRIDGE_FIXTURE = 'watch-security-group__AuthorizeSecurityGroupIngress__1';

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, s) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const SEVERITY = { critical: '31;1', warning: '33;1', info: '36;1' };

// Slack mrkdwn as plain text: links show their label, no bold or code marks, entities decoded.
const plain = (s) =>
  String(s)
    .replace(/<([^|>]+)\|([^>]+)>/g, '$2')
    .replace(/[`*]/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

function fieldsLine(block) {
  if (block?.type !== 'section') return undefined;
  if (block.fields) return block.fields.map((f) => plain(f.text).replace('\n', ': ')).join(' · ');
  return block.text ? plain(block.text.text).replace(/\n/g, ' ') : undefined;
}

function printMessage(payload, outcome, n, total) {
  const blocks = payload.attachments?.[0]?.blocks ?? [];
  const title = blocks.find((b) => b.type === 'header')?.text?.text ?? payload.text;
  const sections = blocks.map(fieldsLine).filter(Boolean);
  const sev = outcome?.severity ?? '?';
  console.log(`  ${paint('2', `${n}/${total}`)} ${paint(SEVERITY[sev] ?? '1', sev.toUpperCase().padEnd(8))} ${title}`);
  const [rule, ...rest] = sections;
  if (rule) console.log(`      ${rule}`);
  for (const s of rest) console.log(`      ${paint('2', s)}`);
  if (outcome) {
    const retried = outcome.retries?.length ? `, after ${outcome.retries.map((r) => r.problem).join(', ')}` : '';
    console.log(`      ${paint('2', `slack: ${outcome.status} in ${outcome.attempts} attempt(s), ${outcome.ms} ms${retried}`)}`);
  }
  console.log('');
}

async function main() {
  const slack = await startMockSlack();
  process.env.SLACK_WEBHOOK_URL = slack.url;
  // Plain http to a loopback host is accepted only for the host:port named here.
  process.env.SLACK_WEBHOOK_ALLOWED_HOSTS = new URL(slack.url).host;
  process.env.ACCOUNT_NAMES ||= JSON.stringify({ 999999999999: 'spotlight-demo', 112233445566: 'panther-demo', 123456789012: 'sandbox' });
  // Short waits so that the demo's rate-limit scene takes a second, not the production defaults.
  process.env.DELIVERY_MAX_WAIT_MS ||= '2000';

  // The handler logs to stdout as JSON; here the lines are kept and shown next to what Slack got.
  const { setLogSink } = await import('./log.mjs');
  const logs = [];
  setLogSink((line) => logs.push(JSON.parse(line)));
  const { handler } = await import('./index.mjs');

  console.log(`sgnotify demo: the Lambda handler posting to a mock Slack webhook on ${slack.origin} (loopback only, no AWS account)\n`);
  let ok = true;

  const scenes = [
    {
      title: `SNS event, ${SNS_FIXTURES.length} records (real CloudTrail events: ${SNS_FIXTURES.join(', ')})`,
      event: snsEvent(SNS_FIXTURES.map((name) => toEventBridge(fixture(name)))),
    },
    {
      title: `EventBridge event (${EVENTBRIDGE_FIXTURE}); Slack answers the first post with 429 Retry-After: 1`,
      event: toEventBridge(fixture(EVENTBRIDGE_FIXTURE)),
      respond: (_, i) => (i === 0 ? { status: 429, body: 'rate_limited', headers: { 'retry-after': '1' } } : { status: 200, body: 'ok' }),
    },
  ];

  for (const [i, scene] of scenes.entries()) {
    slack.reset();
    if (scene.respond) slack.setResponder(scene.respond);
    logs.length = 0;
    console.log(paint('1', `${i + 1}. ${scene.title}`));
    let result;
    try {
      result = await handler(scene.event, lambdaContext(30_000, `demo-${i + 1}`));
    } catch (err) {
      ok = false;
      result = `FAILED: ${err.message}`;
    }
    const outcomes = logs.filter((l) => l.status === 'delivered' || l.status === 'failed');
    // One block per message Slack accepted, paired with the handler's log line for it.
    const accepted = outcomes.filter((o) => o.status === 'delivered');
    const received = slack.requests.filter((r) => r.status >= 200 && r.status < 300).map((r) => r.body);
    console.log(`   Slack received ${received.length} message(s):\n`);
    received.forEach((p, n) => printMessage(p, accepted[n], n + 1, received.length));
    for (const o of outcomes.filter((x) => x.status === 'failed')) console.log(`   not delivered: ${o.rule}: ${o.reason}`);
    console.log(`   handler returned: ${typeof result === 'string' ? result : JSON.stringify(result)}\n`);
  }

  await slack.close();
  console.log(ok ? 'demo done: every message delivered.' : 'demo FAILED: see above.');
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`demo failed: ${err.stack ?? err}`);
    process.exit(1);
  },
);

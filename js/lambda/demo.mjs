// `make demo`: the Lambda handler, end to end, on this machine. A mock Slack webhook listens on
// 127.0.0.1; the handler is invoked with real CloudTrail fixtures wrapped as Lambda receives them
// (an SNS event with several records, then an EventBridge event while Slack rate-limits once), and
// what Slack received is printed one block per message. Then Slack app mode: a mock of Slack's Web
// API, a burst by one principal and a change by another, printed as the channel shows the threads.
// No AWS account, nothing leaves the machine.
//
// TIMEZONE, LOCALE and ACCOUNT_NAMES from the environment are passed on, e.g.
//   TIMEZONE=Asia/Seoul LOCALE=ko make demo

import { startMockSlack } from './mock-slack.mjs';
import { MOCK_BOT_TOKEN, startMockSlackApi } from './mock-slack-api.mjs';
import { fixture, lambdaContext, snsEvent, toEventBridge } from './fixtures.mjs';

const SNS_FIXTURES = [
  'aws-spotlight__AuthorizeSecurityGroupIngress__1', // MySQL open to 0.0.0.0/0 and ::/0: two rules
  'panther__AuthorizeSecurityGroupEgress__1',
  'aws-spotlight__RevokeSecurityGroupEgress__1', // two rules removed
];
const EVENTBRIDGE_FIXTURE = 'watch-security-group__AuthorizeSecurityGroupIngress__1';
// One person, switched into a role, revokes MySQL from the world and five minutes later opens it on
// another group; as an IAM user the next week, they change egress rules.
const APP_FIXTURES = ['aws-spotlight__RevokeSecurityGroupIngress__1', 'aws-spotlight__AuthorizeSecurityGroupIngress__1', 'aws-spotlight__AuthorizeSecurityGroupEgress__1'];

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
  ok = (await appScene(scenes.length + 1, logs)) && ok;
  console.log(ok ? 'demo done: every message delivered.' : 'demo FAILED: see above.');
  return ok ? 0 : 1;
}

// Slack app mode: the same handler module loaded again with a bot token, as a new container would be.
async function appScene(n, logs) {
  const api = await startMockSlackApi();
  // The first reply meets Slack's per-channel limit, to show it waited out.
  let limited = false;
  api.setResponder((req) => {
    if (limited || !req.body?.thread_ts) return undefined;
    limited = true;
    return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '1' } };
  });
  delete process.env.SLACK_WEBHOOK_URL;
  Object.assign(process.env, { SLACK_BOT_TOKEN: MOCK_BOT_TOKEN, SLACK_CHANNEL: api.channel, SLACK_API_URL: api.url });
  const { handler } = await import('./index.mjs?app-mode');
  console.log(paint('1', `${n}. Slack app mode (a mock Web API on ${api.origin}): three EventBridge events, ${APP_FIXTURES.join(', ')}`));
  console.log('   Bursts become threads: one parent per principal and account within THREAD_WINDOW_SECONDS (600), edited as the burst grows;');
  console.log('   each rule is a reply; critical replies are also sent to the channel. (The Lambda keeps thread state in STATE_TABLE.)\n');
  let ok = true;
  logs.length = 0;
  for (const [i, name] of APP_FIXTURES.entries()) {
    try {
      await handler(toEventBridge(fixture(name)), lambdaContext(30_000, `demo-app-${i + 1}`));
    } catch (err) {
      ok = false;
      console.log(`   FAILED: ${err.message}`);
    }
  }
  const threads = api.threads();
  console.log(`   #${api.channel}: ${threads.length} thread(s), ${api.messages.length} message(s) posted, ${api.messages.reduce((k, m) => k + m.edits.length, 0)} parent edit(s)\n`);
  for (const { parent, replies } of threads) {
    const title = parent.blocks?.find((b) => b.type === 'header')?.text?.text ?? parent.text;
    console.log(`  ${paint('1', title)}${parent.edits.length ? paint('2', ` (edited ${parent.edits.length}×)`) : ''}`);
    for (const line of parent.blocks?.map(fieldsLine).filter(Boolean) ?? []) console.log(`      ${line.replace(/\n/g, ' → ')}`);
    replies.forEach((r, k) => {
      const header = r.attachments?.[0]?.blocks?.find((b) => b.type === 'header')?.text?.text ?? r.text;
      const sev = /CRITICAL/.test(header) ? 'critical' : /WARNING/.test(header) ? 'warning' : 'info';
      const broadcast = r.reply_broadcast ? paint('31', '  ↳ also sent to the channel') : '';
      console.log(`   ${k === replies.length - 1 ? '└─' : '├─'} ${paint(SEVERITY[sev], header)}${broadcast}`);
    });
    console.log('');
  }
  const waited = logs.filter((l) => l.retries?.length).map((l) => `${l.rule}: after ${l.retries.map((x) => x.problem).join(', ')}`);
  for (const w of waited) console.log(`   ${paint('2', `rate limit waited out: ${w}`)}`);
  const failed = logs.filter((l) => l.status === 'failed');
  for (const f of failed) console.log(`   not delivered: ${f.rule}: ${f.reason}`);
  console.log('');
  await api.close();
  return ok && failed.length === 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`demo failed: ${err.stack ?? err}`);
    process.exit(1);
  },
);

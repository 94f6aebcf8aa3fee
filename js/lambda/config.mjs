// The Lambda's settings, read from the environment and checked once, when the module loads.
// A bad setting throws a ConfigError naming the variable; the webhook URL is never part of a message.

import { parseAllowedHosts, parseWebhookUrl } from 'sgnotify/deliver';
import { checkToken, DEFAULT_API_URL, parseApiUrl } from './slack-api.mjs';
import { readOrgSettings } from './org-config.mjs';

export class ConfigError extends Error {
  constructor(problems) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
    this.variables = problems.map((p) => p.split(':')[0]);
  }
}

// NOTE: a tiny synthetic event (not a fixture) that every correct core formats; the start-up check
// formats it with each option so that the core itself says whether TIMEZONE, LOCALE... are usable.
export const SELF_TEST_EVENT = {
  eventVersion: '1.08',
  eventTime: '2024-01-01T00:00:00Z',
  eventSource: 'ec2.amazonaws.com',
  eventName: 'AuthorizeSecurityGroupIngress',
  awsRegion: 'us-east-1',
  sourceIPAddress: '192.0.2.1',
  userIdentity: { type: 'IAMUser', userName: 'self-test', accountId: '111122223333' },
  requestParameters: {
    groupId: 'sg-0123456789abcdef0',
    ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, ipRanges: { items: [{ cidrIp: '10.0.0.0/8' }] } }] },
  },
  responseElements: { _return: true },
  eventID: '00000000-0000-4000-8000-000000000000',
  eventType: 'AwsApiCall',
  recipientAccountId: '111122223333',
};

const WEBHOOK_VARIABLES = ['SLACK_WEBHOOK_URL', 'SLACK_WEBHOOK_SSM_PARAMETER', 'SLACK_WEBHOOK_SECRET_ID'];

/**
 * @param {Record<string, string|undefined>} env
 * @param {{ formatEvent: Function }} core
 * @returns {{ webhook: null | { variable: string, source: "env"|"ssm"|"secretsmanager", url?: URL, name?: string,
 *     allowedHosts: object[], cacheMs: number },
 *   dryRun: boolean, formatOptions: object, delivery: object,
 *   scale: { perSecond: number, burst: number, stateTable?: string, deadLetterQueueUrl?: string },
 *   app: null | { token?: string, tokenSecretId?: string, channel: string, apiUrl: URL, windowSeconds: number },
 *   org: ReturnType<typeof readOrgSettings> }}
 */
export function readConfig(env, { formatEvent }) {
  const problems = [];
  // CloudFormation passes optional parameters as "": an empty variable counts as unset.
  const get = (name) => (env[name] == null || String(env[name]).trim() === '' ? undefined : String(env[name]).trim());

  const dryRun = readFlag(get('DRY_RUN'), 'DRY_RUN', problems);
  const app = readApp(get, problems);
  const webhook = readWebhook(get, dryRun || app !== null, problems);
  if (app && webhook) problems.push(`${webhook.variable}: set either a webhook or app mode (SLACK_BOT_TOKEN / SLACK_BOT_TOKEN_SECRET_ID), not both`);

  const formatOptions = {};
  const accounts = get('ACCOUNT_NAMES');
  if (accounts !== undefined) {
    let parsed;
    try {
      parsed = JSON.parse(accounts);
    } catch {
      problems.push('ACCOUNT_NAMES: is not valid JSON (expected an object like {"111122223333": "prod"})');
    }
    if (parsed !== undefined) {
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        problems.push('ACCOUNT_NAMES: must be a JSON object of account id -> name');
      } else if (Object.values(parsed).some((v) => typeof v !== 'string' && (v === null || typeof v !== 'object' || Array.isArray(v)))) {
        problems.push('ACCOUNT_NAMES: every account name must be a string, or an object {"name": ..., "ou": ..., "tags": {...}}');
      } else {
        formatOptions.accounts = parsed;
      }
    }
  }
  if (get('TIMEZONE')) formatOptions.timezone = get('TIMEZONE');
  if (get('LOCALE')) formatOptions.locale = get('LOCALE');
  if (get('COLOR_SCHEME')) formatOptions.colorScheme = get('COLOR_SCHEME');
  if (get('SLACK_CHANNEL')) formatOptions.channel = get('SLACK_CHANNEL');
  if (get('SLACK_USERNAME')) formatOptions.username = get('SLACK_USERNAME');
  if (get('SLACK_ICON_EMOJI')) formatOptions.iconEmoji = get('SLACK_ICON_EMOJI');
  const maxMessages = readInt(get, 'MAX_MESSAGES_PER_EVENT', { min: 1, max: 1000 }, problems);
  if (maxMessages !== undefined) formatOptions.maxMessagesPerEvent = maxMessages;

  const delivery = {
    timeoutMs: readInt(get, 'DELIVERY_TIMEOUT_MS', { min: 1, max: 900_000 }, problems),
    maxAttempts: readInt(get, 'DELIVERY_MAX_ATTEMPTS', { min: 1, max: 20 }, problems),
    baseDelayMs: readInt(get, 'DELIVERY_RETRY_BASE_MS', { min: 0, max: 60_000 }, problems),
    maxDelayMs: readInt(get, 'DELIVERY_MAX_WAIT_MS', { min: 0, max: 900_000 }, problems),
    safetyMarginMs: readInt(get, 'DELIVERY_SAFETY_MARGIN_MS', { min: 0, max: 60_000 }, problems) ?? 1000,
  };

  const scale = readScale(get, problems);
  // Lambda's longest timeout at this rate bounds what one invocation can ever post.
  if (maxMessages !== undefined && maxMessages / scale.perSecond > 840) {
    problems.push(`MAX_MESSAGES_PER_EVENT: ${maxMessages} messages at SLACK_MAX_PER_SECOND=${scale.perSecond} take longer than Lambda's 15-minute limit; lower it to ${Math.floor(840 * scale.perSecond)} or less`);
  }

  const org = readOrgSettings(get, problems, formatOptions);

  checkWithCore(formatEvent, formatOptions, problems);
  if (problems.length) throw new ConfigError(problems);
  return { webhook, app, dryRun, formatOptions, delivery, scale, org };
}

// ---- delivery at organisation scale (issue 9): pacing and the exactly-once state table ----
function readScale(get, problems) {
  let perSecond = 1;
  const rate = get('SLACK_MAX_PER_SECOND');
  if (rate !== undefined) {
    const n = Number(rate);
    if (!/^\d+(\.\d+)?$/.test(rate) || !(n >= 0.1 && n <= 100)) problems.push(`SLACK_MAX_PER_SECOND: must be a number from 0.1 to 100 (got "${rate.slice(0, 20)}")`);
    else perSecond = n;
  }
  const stateTable = get('STATE_TABLE');
  // DynamoDB's rule for table names; an ARN is accepted too (the SDK takes either).
  if (stateTable !== undefined && !/^[A-Za-z0-9_.-]{3,255}$/.test(stateTable) && !/^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]{3,255}$/.test(stateTable)) {
    problems.push(`STATE_TABLE: not a DynamoDB table name or ARN (got "${stateTable.slice(0, 40)}")`);
  }
  // The queue path's DLQ: a record no retry can make readable is parked there at once instead of
  // being received five times (on a FIFO queue that would hold every later alert back for an hour).
  const deadLetterQueueUrl = get('DEAD_LETTER_QUEUE_URL');
  if (deadLetterQueueUrl !== undefined && !/^https:\/\/sqs\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/\d{12}\/[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(deadLetterQueueUrl) && !/^http:\/\/127\.0\.0\.1:\d+\/\d{12}\/[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(deadLetterQueueUrl)) {
    problems.push(`DEAD_LETTER_QUEUE_URL: not an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME) (got "${deadLetterQueueUrl.slice(0, 60)}")`);
  }
  // Slack tolerates a short burst above its rate; two posts at once, then the steady rate.
  return { perSecond, burst: Math.max(2, Math.ceil(perSecond)), stateTable, deadLetterQueueUrl };
}

// ---- Slack app mode (issue 12): a bot token and a channel instead of a webhook ----
function readApp(get, problems) {
  const token = get('SLACK_BOT_TOKEN');
  const tokenSecretId = get('SLACK_BOT_TOKEN_SECRET_ID');
  const apiUrl = get('SLACK_API_URL');
  const window = get('THREAD_WINDOW_SECONDS');
  if (token === undefined && tokenSecretId === undefined) {
    for (const [name, value] of [['SLACK_API_URL', apiUrl], ['THREAD_WINDOW_SECONDS', window]]) {
      if (value !== undefined) problems.push(`${name}: used only in app mode; set SLACK_BOT_TOKEN or SLACK_BOT_TOKEN_SECRET_ID too, or unset it`);
    }
    return null;
  }
  const app = { channel: get('SLACK_CHANNEL'), windowSeconds: 600 };
  if (token !== undefined && tokenSecretId !== undefined) problems.push('SLACK_BOT_TOKEN, SLACK_BOT_TOKEN_SECRET_ID: set only one of them');
  else if (token !== undefined) {
    try {
      app.token = checkToken(token, 'SLACK_BOT_TOKEN');
    } catch (err) {
      problems.push(err.message);
    }
  } else if (/^(xox|https?:)/.test(tokenSecretId)) {
    // The token itself pasted here would be echoed by Secrets Manager's errors: refuse it.
    problems.push('SLACK_BOT_TOKEN_SECRET_ID: looks like a token or URL; give the id or ARN of the secret that holds the token');
  } else app.tokenSecretId = tokenSecretId;
  // chat.update needs the channel's id; a name would work for posting only.
  if (app.channel === undefined) problems.push('SLACK_CHANNEL: required in app mode (the channel id, e.g. C0123456789: channel details, About)');
  else if (!/^[CGD][A-Z0-9]{6,20}$/.test(app.channel)) problems.push(`SLACK_CHANNEL: in app mode, a channel id such as C0123456789 (got "${app.channel.slice(0, 24)}")`);
  try {
    app.apiUrl = parseApiUrl(apiUrl ?? DEFAULT_API_URL, 'SLACK_API_URL');
  } catch (err) {
    problems.push(err.message);
  }
  app.windowSeconds = readInt(get, 'THREAD_WINDOW_SECONDS', { min: 1, max: 86_400 }, problems) ?? 600;
  return app;
}

function readWebhook(get, dryRun, problems) {
  let allowedHosts = [];
  try {
    allowedHosts = parseAllowedHosts(get('SLACK_WEBHOOK_ALLOWED_HOSTS'));
  } catch (err) {
    problems.push(err.message);
  }
  // How long a URL read from SSM / Secrets Manager is used before it is read again (rotation).
  const cacheMs = (readInt(get, 'SLACK_WEBHOOK_CACHE_SECONDS', { min: 0, max: 86_400 }, problems) ?? 300) * 1000;
  const set = WEBHOOK_VARIABLES.filter((name) => get(name) !== undefined);
  if (set.length > 1) {
    problems.push(`${set.join(', ')}: set only one of them`);
    return null;
  }
  if (set.length === 0) {
    if (!dryRun) problems.push('SLACK_WEBHOOK_URL: not set (set SLACK_WEBHOOK_URL, SLACK_WEBHOOK_SSM_PARAMETER or SLACK_WEBHOOK_SECRET_ID; or SLACK_BOT_TOKEN and SLACK_CHANNEL for app mode; or DRY_RUN=1)');
    return null;
  }
  const [variable] = set;
  const value = get(variable);
  if (variable === 'SLACK_WEBHOOK_URL') {
    try {
      return { variable, source: 'env', url: parseWebhookUrl(value, variable, { allowedHosts }), allowedHosts, cacheMs };
    } catch (err) {
      problems.push(err.message);
      return null;
    }
  }
  // A URL pasted where a parameter name or secret id belongs would be echoed by AWS errors: refuse it.
  if (value.includes('://') || value.includes('hooks.slack')) {
    problems.push(`${variable}: looks like a URL; give the ${variable === 'SLACK_WEBHOOK_SECRET_ID' ? 'secret id or ARN' : 'parameter name or ARN'} that holds the URL`);
    return null;
  }
  return { variable, source: variable === 'SLACK_WEBHOOK_SECRET_ID' ? 'secretsmanager' : 'ssm', name: value, allowedHosts, cacheMs };
}

function readFlag(value, name, problems) {
  if (value === undefined) return false;
  const v = value.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  problems.push(`${name}: must be 1 or 0 (got "${value.slice(0, 20)}")`);
  return false;
}

function readInt(get, name, { min, max }, problems) {
  const value = get(name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max) {
    problems.push(`${name}: must be a whole number from ${min} to ${max} (got "${value.slice(0, 20)}")`);
    return undefined;
  }
  return n;
}

// All options in one call, the common case at every cold start; only when that is refused, each
// option alone, so that every rejection names its own variable.
function checkWithCore(formatEvent, options, problems) {
  let refused;
  try {
    formatEvent(SELF_TEST_EVENT, options);
    return;
  } catch (err) {
    refused = err;
  }
  try {
    formatEvent(SELF_TEST_EVENT, {});
  } catch (err) {
    problems.push(`sgnotify: the core failed its start-up check (${err.message})`);
    return;
  }
  const before = problems.length;
  const variables = { timezone: 'TIMEZONE', locale: 'LOCALE', colorScheme: 'COLOR_SCHEME', maxMessagesPerEvent: 'MAX_MESSAGES_PER_EVENT', accounts: 'ACCOUNT_NAMES', policy: 'POLICY' };
  for (const [key, variable] of Object.entries(variables)) {
    if (options[key] === undefined) continue;
    try {
      formatEvent(SELF_TEST_EVENT, { [key]: options[key] });
    } catch (err) {
      problems.push(`${variable}: rejected by sgnotify (${err.message})`);
    }
  }
  if (problems.length === before) problems.push(`sgnotify: the options were rejected (${refused.message})`);
}

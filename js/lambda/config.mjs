// The Lambda's settings, read from the environment and checked once, when the module loads.
// A bad setting throws a ConfigError naming the variable; the webhook URL is never part of a message.

import { parseWebhookUrl } from 'sgnotify/deliver';
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
 * @returns {{ webhook: null | { variable: string, source: "env"|"ssm"|"secretsmanager", url?: URL, name?: string },
 *   dryRun: boolean, formatOptions: object, delivery: object, org: ReturnType<typeof readOrgSettings> }}
 */
export function readConfig(env, { formatEvent }) {
  const problems = [];
  // CloudFormation passes optional parameters as "": an empty variable counts as unset.
  const get = (name) => (env[name] == null || String(env[name]).trim() === '' ? undefined : String(env[name]).trim());

  const dryRun = readFlag(get('DRY_RUN'), 'DRY_RUN', problems);
  const webhook = readWebhook(get, dryRun, problems);

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

  const org = readOrgSettings(get, problems, formatOptions);

  checkWithCore(formatEvent, formatOptions, problems);
  if (problems.length) throw new ConfigError(problems);
  return { webhook, dryRun, formatOptions, delivery, org };
}

function readWebhook(get, dryRun, problems) {
  const set = WEBHOOK_VARIABLES.filter((name) => get(name) !== undefined);
  if (set.length > 1) {
    problems.push(`${set.join(', ')}: set only one of them`);
    return null;
  }
  if (set.length === 0) {
    if (!dryRun) problems.push('SLACK_WEBHOOK_URL: not set (set SLACK_WEBHOOK_URL, SLACK_WEBHOOK_SSM_PARAMETER or SLACK_WEBHOOK_SECRET_ID, or DRY_RUN=1)');
    return null;
  }
  const [variable] = set;
  const value = get(variable);
  if (variable === 'SLACK_WEBHOOK_URL') {
    try {
      return { variable, source: 'env', url: parseWebhookUrl(value, variable) };
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
  return { variable, source: variable === 'SLACK_WEBHOOK_SECRET_ID' ? 'secretsmanager' : 'ssm', name: value };
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

// Each option alone, so that a rejection names its own variable.
function checkWithCore(formatEvent, options, problems) {
  try {
    formatEvent(SELF_TEST_EVENT, {});
  } catch (err) {
    problems.push(`sgnotify: the core failed its start-up check (${err.message})`);
    return;
  }
  const variables = { timezone: 'TIMEZONE', locale: 'LOCALE', maxMessagesPerEvent: 'MAX_MESSAGES_PER_EVENT', accounts: 'ACCOUNT_NAMES', policy: 'POLICY' };
  for (const [key, variable] of Object.entries(variables)) {
    if (options[key] === undefined) continue;
    try {
      formatEvent(SELF_TEST_EVENT, { [key]: options[key] });
    } catch (err) {
      problems.push(`${variable}: rejected by sgnotify (${err.message})`);
    }
  }
}

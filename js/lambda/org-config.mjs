// The organisation settings (issue 11): where account names come from, the policy, and the Slack
// destinations beyond the default webhook. Environment values are checked when the module loads
// (readOrgSettings adds to config.mjs's problems); values kept in SSM or Secrets Manager are read
// on first use by fetchJsonSetting and checked the same way, failing that invocation by name.

import { parseAllowedHosts, parseWebhookUrl } from 'sgnotify/deliver';

/** A setting read from SSM / Secrets Manager that is missing or wrong; names the variable. */
export class SettingError extends Error {
  constructor(variable, problem) {
    super(`${variable}: ${problem}`);
    this.name = 'SettingError';
    this.variable = variable;
  }
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/**
 * @param {(name: string) => string|undefined} get the environment, "" counting as unset
 * @param {string[]} problems where a bad setting is reported, "VARIABLE: why"
 * @param {Record<string, unknown>} formatOptions gets `policy` when POLICY is set (config.mjs checks it with the core)
 */
export function readOrgSettings(get, problems, formatOptions) {
  // The routing webhooks pass the same allowlist as the default one (config.mjs reports a bad list).
  let allowedHosts = [];
  try {
    allowedHosts = parseAllowedHosts(get('SLACK_WEBHOOK_ALLOWED_HOSTS'));
  } catch {
    // reported by readWebhook
  }
  const source = get('ACCOUNT_NAMES_SOURCE')?.toLowerCase() ?? 'static';
  if (!['static', 'organizations'].includes(source)) problems.push(`ACCOUNT_NAMES_SOURCE: must be "organizations" or "static" (got "${get('ACCOUNT_NAMES_SOURCE').slice(0, 30)}")`);
  const roleArn = get('ORGANIZATIONS_ROLE_ARN');
  if (roleArn !== undefined) {
    if (!ROLE_ARN.test(roleArn)) problems.push('ORGANIZATIONS_ROLE_ARN: must be an IAM role ARN (arn:aws:iam::123456789012:role/name)');
    else if (source !== 'organizations') problems.push('ORGANIZATIONS_ROLE_ARN: only used with ACCOUNT_NAMES_SOURCE=organizations');
  }
  const cacheSeconds = readSeconds(get, 'ACCOUNT_NAMES_CACHE_SECONDS', problems) ?? 3600;
  const accountsParameter = readName(get, 'ACCOUNT_NAMES_SSM_PARAMETER', 'parameter name or ARN', problems);

  if (get('POLICY') !== undefined && get('POLICY_SSM_PARAMETER') !== undefined) problems.push('POLICY, POLICY_SSM_PARAMETER: set only one of them');
  const policyParameter = readName(get, 'POLICY_SSM_PARAMETER', 'parameter name or ARN', problems);
  let policy;
  if (get('POLICY') !== undefined) {
    policy = parseJsonObject(get('POLICY'), 'POLICY', problems);
    if (policy !== undefined) formatOptions.policy = policy;
  }

  if (get('SLACK_WEBHOOKS') !== undefined && get('SLACK_WEBHOOKS_SECRET_ID') !== undefined) problems.push('SLACK_WEBHOOKS, SLACK_WEBHOOKS_SECRET_ID: set only one of them');
  const webhooksSecret = readName(get, 'SLACK_WEBHOOKS_SECRET_ID', 'secret id or ARN', problems);
  let webhooks;
  if (get('SLACK_WEBHOOKS') !== undefined) {
    const map = parseJsonObject(get('SLACK_WEBHOOKS'), 'SLACK_WEBHOOKS', problems);
    if (map !== undefined) {
      try {
        webhooks = parseWebhookMap(map, 'SLACK_WEBHOOKS', allowedHosts);
      } catch (err) {
        problems.push(err.message);
      }
    }
  }
  // Only when both are known now; otherwise the first invocation checks them (checkRoutes).
  if (policy !== undefined && !webhooksSecret) {
    const problem = routeProblem(policy, webhooks ?? new Map(), webhooks ? 'SLACK_WEBHOOKS' : 'SLACK_WEBHOOKS (not set)');
    if (problem) problems.push(`POLICY: ${problem}`);
  }

  return {
    accounts: { source, roleArn, cacheSeconds, parameter: accountsParameter },
    policy: { parameter: policyParameter, value: policy },
    webhooks: webhooksSecret ? { source: 'secretsmanager', name: webhooksSecret, allowedHosts } : { source: 'env', urls: webhooks ?? new Map(), allowedHosts },
  };
}

/**
 * {destination: url} -> Map of parsed URLs. "default" is the existing webhook setting and cannot
 * be given here; each URL passes the same check as SLACK_WEBHOOK_URL. Errors never quote a URL.
 */
export function parseWebhookMap(map, variable, allowedHosts = []) {
  if (map === null || typeof map !== 'object' || Array.isArray(map)) throw new SettingError(variable, 'must be a JSON object of destination -> webhook URL');
  const urls = new Map();
  for (const [destination, url] of Object.entries(map)) {
    const where = `${variable}.${shown(destination)}`;
    if (destination === 'default') throw new SettingError(where, 'the default destination is SLACK_WEBHOOK_URL (or its SSM / Secrets Manager variable); remove it here');
    if (!/^[\w.:#-]{1,80}$/.test(destination)) throw new SettingError(where, 'a destination name is 1 to 80 letters, digits, or . _ - : #');
    urls.set(destination, parseWebhookUrl(url, where, { allowedHosts }));
  }
  return urls;
}

/** Why the policy's routes cannot all be delivered (a destination with no webhook), or undefined. */
export function routeProblem(policy, webhooks, where) {
  const routes = Array.isArray(policy?.routes) ? policy.routes : [];
  for (const [i, route] of routes.entries()) {
    const d = route?.destination;
    if (typeof d !== 'string' || d === 'default' || webhooks.has(d)) continue;
    const known = ['default', ...webhooks.keys()].join(', ');
    return `policy.routes[${i}].destination: "${shown(d)}" has no webhook in ${where} (known: ${known})`;
  }
  return undefined;
}

const clients = {};

/**
 * A JSON object from an SSM parameter (with decryption) or a Secrets Manager secret, within the
 * time given. Errors are SettingErrors naming the variable; the value itself is never quoted.
 */
export async function fetchJsonSetting({ variable, source, name }, timeoutMs) {
  const abortSignal = AbortSignal.timeout(Math.max(1, Math.floor(timeoutMs)));
  const what = source === 'ssm' ? `parameter "${name}"` : `secret "${name}"`;
  let text;
  try {
    if (source === 'ssm') {
      const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
      clients.ssm ??= new SSMClient({});
      text = (await clients.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }), { abortSignal })).Parameter?.Value;
    } else {
      const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
      clients.secrets ??= new SecretsManagerClient({});
      text = (await clients.secrets.send(new GetSecretValueCommand({ SecretId: name }), { abortSignal })).SecretString;
    }
  } catch (err) {
    const why = err?.name === 'TimeoutError' || err?.name === 'AbortError' ? `no answer within ${Math.floor(timeoutMs)} ms` : `${err?.name ?? 'Error'}: ${err?.message ?? err}`;
    throw new SettingError(variable, `could not read ${what} (${why})`);
  }
  if (typeof text !== 'string') throw new SettingError(variable, `${what} has no string value`);
  const problems = [];
  const value = parseJsonObject(text, variable, problems, what);
  if (problems.length) throw new SettingError(variable, problems[0].slice(variable.length + 2));
  return value;
}

function parseJsonObject(text, variable, problems, what = 'the value') {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    problems.push(`${variable}: ${what} is not valid JSON`);
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${variable}: ${what} must be a JSON object`);
    return undefined;
  }
  return value;
}

function readSeconds(get, name, problems) {
  const value = get(name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 60 || Number(value) > 86_400) {
    problems.push(`${name}: must be a whole number of seconds from 60 to 86400 (got "${value.slice(0, 20)}")`);
    return undefined;
  }
  return Number(value);
}

// A URL or a JSON document pasted where a name belongs would be echoed by AWS errors: refuse it.
function readName(get, name, expected, problems) {
  const value = get(name);
  if (value === undefined) return undefined;
  if (value.includes('://') || value.includes('hooks.slack') || value.startsWith('{')) {
    problems.push(`${name}: give the ${expected} that holds the value, not the value itself`);
    return undefined;
  }
  return value;
}

const shown = (s) => String(s).slice(0, 80).replace(/[^\x20-\x7e]/g, '?');

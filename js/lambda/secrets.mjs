// The webhook URL from SSM Parameter Store (SecureString) or Secrets Manager. Read on the first
// invocation, then again once it is older than SLACK_WEBHOOK_CACHE_SECONDS, and at once when the
// caller forces it (Slack said the webhook is gone): a rotated webhook reaches warm containers.
// A failed first read is not cached (the next invocation tries again); a failed re-read keeps the
// last good URL and is logged. The URL passes the same allowlist as SLACK_WEBHOOK_URL.
// The AWS SDK v3 clients come with the Lambda Node.js runtime, so they are imported only when
// needed and are not in the deployment zip.

import { parseWebhookUrl } from 'sgnotify/deliver';

export class WebhookSourceError extends Error {
  constructor(variable, problem) {
    super(`${variable}: ${problem}`);
    this.name = 'WebhookSourceError';
    this.variable = variable;
  }
}

// After a failed re-read, the last good URL is used this long before the source is asked again,
// so that an unreachable SSM does not cost every invocation a timeout.
const RETRY_AFTER_FAILURE_MS = 30_000;

/**
 * @param {{ variable: string, source: "env"|"ssm"|"secretsmanager", url?: URL, name?: string,
 *   allowedHosts?: object[], cacheMs?: number }} webhook as readConfig() returns it
 * @param {{ onUrl?: (url: URL) => void, log?: { info: Function, warn: Function }, timeoutMs?: number, now?: () => number }} [options]
 *   onUrl sees every distinct URL once, when first read (to register a redactor for it)
 * @returns {(remainingMs?: number, options?: { force?: boolean }) => Promise<URL>}
 */
export function createWebhookResolver(webhook, { onUrl, log, timeoutMs = 5000, now = Date.now } = {}) {
  if (webhook.source === 'env') return async () => webhook.url;
  const cacheMs = webhook.cacheMs ?? 300_000;
  const seen = new Set();
  let current; // the last URL read successfully
  let readAgainAt = 0;
  let pending; // one read at a time, shared by concurrent callers

  const read = (remainingMs) => {
    pending ??= fetchUrl(webhook, Math.max(1, Math.floor(Math.min(timeoutMs, remainingMs))))
      .then(
        (url) => {
          if (!seen.has(url.href)) {
            seen.add(url.href);
            onUrl?.(url);
          }
          if (current && current.href !== url.href) log?.info('webhook URL replaced at its source: using the new one', { variable: webhook.variable });
          current = url;
          readAgainAt = now() + cacheMs;
          return url;
        },
        (err) => {
          if (!current) throw err;
          readAgainAt = now() + Math.min(cacheMs, RETRY_AFTER_FAILURE_MS);
          log?.warn('could not read the webhook URL again: keeping the last good one', { variable: webhook.variable, error: err });
          return current;
        },
      )
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };

  return (remainingMs = Infinity, { force = false } = {}) => {
    if (current && !force && now() < readAgainAt) return Promise.resolve(current);
    return read(remainingMs);
  };
}

const clients = {};

async function fetchUrl({ variable, source, name, allowedHosts }, timeoutMs) {
  const abortSignal = AbortSignal.timeout(timeoutMs);
  let text;
  try {
    if (source === 'ssm') {
      const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
      clients.ssm ??= new SSMClient({});
      const out = await clients.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }), { abortSignal });
      text = out.Parameter?.Value;
    } else {
      const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
      clients.secrets ??= new SecretsManagerClient({});
      const out = await clients.secrets.send(new GetSecretValueCommand({ SecretId: name }), { abortSignal });
      if (out.SecretString === undefined) throw new WebhookSourceError(variable, `secret "${name}" has no SecretString (binary secrets are not supported)`);
      text = urlFromSecretString(out.SecretString, variable);
    }
  } catch (err) {
    if (err instanceof WebhookSourceError) throw err;
    const what = source === 'ssm' ? `parameter "${name}"` : `secret "${name}"`;
    const why = err?.name === 'TimeoutError' || err?.name === 'AbortError' ? `no answer within ${timeoutMs} ms` : `${err?.name ?? 'Error'}: ${err?.message ?? err}`;
    throw new WebhookSourceError(variable, `could not read ${what} (${why})`);
  }
  try {
    return parseWebhookUrl(text, variable, { allowedHosts });
  } catch (err) {
    const what = source === 'ssm' ? `parameter "${name}"` : `secret "${name}"`;
    throw new WebhookSourceError(variable, `the URL in ${what} ${err.message.slice(variable.length + 2)}`);
  }
}

/**
 * A Secrets Manager secret holds the URL itself, or a JSON object with the URL under "url" or
 * "webhookUrl" (the shape the console's key/value editor produces).
 */
export function urlFromSecretString(secret, variable = 'SLACK_WEBHOOK_SECRET_ID') {
  const text = secret.trim();
  if (!text.startsWith('{')) return text;
  let obj;
  try {
    obj = JSON.parse(text);
  } catch {
    throw new WebhookSourceError(variable, 'the secret looks like JSON but does not parse');
  }
  const url = obj?.url ?? obj?.webhookUrl;
  if (typeof url !== 'string') throw new WebhookSourceError(variable, 'the secret is JSON without a string "url" or "webhookUrl" key');
  return url;
}

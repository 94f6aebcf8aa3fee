// The webhook URL from SSM Parameter Store (SecureString) or Secrets Manager, fetched on the first
// invocation and kept for the life of the container. A failed fetch is not cached: the next
// invocation tries again. The AWS SDK v3 clients come with the Lambda Node.js runtime, so they are
// imported only when needed and are not in the deployment zip.

import { parseWebhookUrl } from 'sgnotify/deliver';

export class WebhookSourceError extends Error {
  constructor(variable, problem) {
    super(`${variable}: ${problem}`);
    this.name = 'WebhookSourceError';
    this.variable = variable;
  }
}

/**
 * @param {{ variable: string, source: "env"|"ssm"|"secretsmanager", url?: URL, name?: string }} webhook
 * @param {{ onUrl?: (url: URL) => void, timeoutMs?: number }} [options] onUrl sees the URL once fetched (to register a redactor)
 * @returns {(remainingMs?: number) => Promise<URL>}
 */
export function createWebhookResolver(webhook, { onUrl, timeoutMs = 5000 } = {}) {
  if (webhook.source === 'env') return async () => webhook.url;
  let cached;
  return (remainingMs = Infinity) => {
    cached ??= fetchUrl(webhook, Math.max(1, Math.floor(Math.min(timeoutMs, remainingMs)))).then(
      (url) => {
        onUrl?.(url);
        return url;
      },
      (err) => {
        cached = undefined;
        throw err;
      },
    );
    return cached;
  };
}

const clients = {};

async function fetchUrl({ variable, source, name }, timeoutMs) {
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
    return parseWebhookUrl(text, variable);
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

// The policy and the Slack destinations. POLICY and SLACK_WEBHOOKS are checked when the module
// loads (org-config.mjs); POLICY_SSM_PARAMETER and SLACK_WEBHOOKS_SECRET_ID are read on the first
// invocation, checked the same way (the core on the policy, every route's destination against the
// webhooks) and kept for the container. A failed read fails that invocation by name and is tried
// again on the next one.

import { SELF_TEST_EVENT } from './config.mjs';
import { SettingError, fetchJsonSetting, parseWebhookMap, routeProblem } from './org-config.mjs';

/**
 * @param {ReturnType<typeof import('./org-config.mjs').readOrgSettings>} settings
 * @param {{ formatEvent: Function, defaultResolver: (remainingMs?: number, o?: { force?: boolean }) => Promise<URL|undefined>,
 *   onUrl?: (url: URL) => void, fetchTimeoutMs?: number }} deps
 */
export function createRouting(settings, { formatEvent, defaultResolver, onUrl, fetchTimeoutMs = 5000 }) {
  let urls = settings.webhooks.source === 'env' ? settings.webhooks.urls : undefined;
  let urlsRead;
  let policy;
  let policyRead;
  for (const url of urls?.values() ?? []) onUrl?.(url);

  const readWebhooks = (remainingMs, force) => {
    if (force) urlsRead = undefined;
    urlsRead ??= fetchJsonSetting({ variable: 'SLACK_WEBHOOKS_SECRET_ID', source: 'secretsmanager', name: settings.webhooks.name }, Math.min(fetchTimeoutMs, remainingMs)).then(
      (map) => {
        let parsed;
        try {
          parsed = parseWebhookMap(map, 'SLACK_WEBHOOKS_SECRET_ID', settings.webhooks.allowedHosts);
        } catch (err) {
          throw new SettingError('SLACK_WEBHOOKS_SECRET_ID', `secret "${settings.webhooks.name}": ${err.message.replace(/^SLACK_WEBHOOKS_SECRET_ID\.?/, '')}`);
        }
        for (const url of parsed.values()) onUrl?.(url);
        urls = parsed;
        return parsed;
      },
      (err) => {
        urlsRead = undefined;
        throw err;
      },
    );
    return urlsRead;
  };

  // Once per container (again after a failure): the policy from SSM checked by the core, and the
  // routes of any policy checked against webhooks that were not known at start.
  const readPolicy = (remainingMs) => {
    policyRead ??= (async () => {
      const variable = settings.policy.parameter ? 'POLICY_SSM_PARAMETER' : 'POLICY';
      let value = settings.policy.value;
      if (settings.policy.parameter) {
        value = await fetchJsonSetting({ variable, source: 'ssm', name: settings.policy.parameter }, Math.min(fetchTimeoutMs, remainingMs));
        try {
          formatEvent(SELF_TEST_EVENT, { policy: value });
        } catch (err) {
          throw new SettingError(variable, `rejected by sgnotify (${err.message})`);
        }
      }
      if (value !== undefined) {
        const webhooks = urls ?? (await readWebhooks(remainingMs));
        const where = settings.webhooks.source === 'env' ? 'SLACK_WEBHOOKS' : `secret "${settings.webhooks.name}" (SLACK_WEBHOOKS_SECRET_ID)`;
        const problem = routeProblem(value, webhooks, where);
        if (problem) throw new SettingError(variable, problem);
      }
      policy = value;
      return value;
    })().catch((err) => {
      policyRead = undefined;
      throw err;
    });
    return policyRead;
  };

  return {
    /** What this invocation adds to the core's options: the policy when it lives in SSM. Throws a SettingError naming the variable. */
    async optionsFor(remainingMs) {
      const value = policy ?? (await readPolicy(remainingMs));
      return settings.policy.parameter && value !== undefined ? { policy: value } : {};
    },

    /** The webhook URL of a destination ("default": the existing webhook setting); `force` reads the source again. */
    async resolveWebhook(remainingMs, { destination = 'default', force = false } = {}) {
      if (destination === 'default') return defaultResolver(remainingMs, { force });
      const map = settings.webhooks.source === 'secretsmanager' && (force || !urls) ? await readWebhooks(remainingMs, force) : urls;
      const url = map.get(destination);
      if (!url) throw new SettingError(settings.webhooks.source === 'env' ? 'SLACK_WEBHOOKS' : 'SLACK_WEBHOOKS_SECRET_ID', `no webhook for destination "${destination}"`);
      return url;
    },
  };
}

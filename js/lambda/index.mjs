// sgnotify's Lambda: security group changes (EventBridge, SNS or SQS events carrying CloudTrail
// records) to Slack messages. Configuration is read and checked here, once per container; a bad
// setting makes the import throw, naming the variable. The handler itself stays thin.

import { formatBodies, formatEvent, Formatter } from 'sgnotify';
import { createRedactor } from 'sgnotify/deliver';
import { accountIdsIn, createAccountDirectory } from './accounts.mjs';
import { readConfig } from './config.mjs';
import { addRedactor, log, redact, setLogContext } from './log.mjs';
import { createApp } from './app.mjs';
import { createHandler } from './notify.mjs';
import { createTokenRedactor } from './slack-api.mjs';
import { createRouting } from './routing.mjs';
import { createWebhookResolver } from './secrets.mjs';

const config = readConfig(process.env, { formatEvent });
if (config.webhook?.url) addRedactor(createRedactor(config.webhook.url));

const onUrl = (url) => addRedactor(createRedactor(url));
const defaultResolver = config.webhook ? createWebhookResolver(config.webhook, { onUrl, log }) : async () => undefined;
const routing = createRouting(config.org, { formatEvent, defaultResolver, onUrl });
const directory = createAccountDirectory(config.org.accounts, { formatEvent, staticAccounts: config.formatOptions.accounts, log });
const needsAccounts = config.org.accounts.source === 'organizations' || config.org.accounts.parameter !== undefined;

// App mode: the bot token is redacted from every log line, whether set or read from Secrets Manager.
if (config.app?.token) addRedactor(createTokenRedactor(config.app.token));
const app = config.app ? createApp(config, { log, onToken: (token) => addRedactor(createTokenRedactor(token)) }) : undefined;

const run = createHandler(config, { formatBodies, Formatter, resolveWebhook: routing.resolveWebhook, log, setLogContext, app });

export const handler = async (event, context) => {
  try {
    // Invocations of one container never overlap: the options are set for this one in place.
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 30_000;
    Object.assign(config.formatOptions, await routing.optionsFor(remaining));
    if (needsAccounts) config.formatOptions.accounts = await directory.accountsFor(remaining, accountIdsIn(event));
    return await run(event, context);
  } catch (err) {
    // The last guard: whatever failed, the error the runtime prints carries no part of the URL.
    if (err instanceof Error) {
      err.message = redact(err.message);
      if (err.stack) err.stack = redact(err.stack);
    }
    throw err;
  }
};

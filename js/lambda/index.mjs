// sgnotify's Lambda: security group changes (EventBridge, SNS or SQS events carrying CloudTrail
// records) to Slack messages. Configuration is read and checked here, once per container; a bad
// setting makes the import throw, naming the variable. The handler itself stays thin.

import { formatEvent, threadFacts, threadSummary } from 'sgnotify';
import { createRedactor } from 'sgnotify/deliver';
import { readConfig } from './config.mjs';
import { addRedactor, log, redact, setLogContext } from './log.mjs';
import { createApp } from './app.mjs';
import { createHandler } from './notify.mjs';
import { createTokenRedactor } from './slack-api.mjs';
import { createWebhookResolver } from './secrets.mjs';

const config = readConfig(process.env, { formatEvent });
if (config.webhook?.url) addRedactor(createRedactor(config.webhook.url));

const resolveWebhook = config.webhook
  ? createWebhookResolver(config.webhook, { onUrl: (url) => addRedactor(createRedactor(url)), log })
  : async () => undefined;

// App mode: the bot token is redacted from every log line, whether set or read from Secrets Manager.
if (config.app?.token) addRedactor(createTokenRedactor(config.app.token));
const app = config.app ? createApp(config, { threadFacts, threadSummary, log, onToken: (token) => addRedactor(createTokenRedactor(token)) }) : undefined;

const run = createHandler(config, { formatEvent, resolveWebhook, log, setLogContext, app });

export const handler = async (event, context) => {
  try {
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

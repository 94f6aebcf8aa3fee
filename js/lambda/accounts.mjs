// Account names, OU paths and tags for the core's `accounts` option. With
// ACCOUNT_NAMES_SOURCE=organizations they come from AWS Organizations (through
// ORGANIZATIONS_ROLE_ARN when set), cached for the container; ACCOUNT_NAMES and
// ACCOUNT_NAMES_SSM_PARAMETER fill in what Organizations does not give. A lookup never blocks
// delivery: it runs in the background, each invocation waits for it a bounded time, and a failure
// is logged and leaves the static names (and the bare id) in place.

import { SELF_TEST_EVENT } from './config.mjs';
import { errorFields } from './log.mjs';
import { SettingError, fetchJsonSetting } from './org-config.mjs';

/** At most one lookup starts in this interval, whatever asks for it (expiry, unknown id, retry after a failure). */
export const MIN_REFRESH_MS = 5 * 60_000;
// Lookups of accounts and OUs in flight at once; the SDK's standard retry backs off on throttling
// (exponential, jittered). Not its adaptive mode: after one throttle it slows every later call of
// the container to as little as one per 2 s.
const CONCURRENCY = 4;

/**
 * @param {{ source: "static"|"organizations", roleArn?: string, cacheSeconds: number, parameter?: string }} settings
 * @param {{ formatEvent: Function, staticAccounts?: Record<string, unknown>, log: typeof import('./log.mjs').log,
 *   now?: () => number, organizations?: { send: Function } }} deps organizations: a client to use instead of the SDK's (tests)
 */
export function createAccountDirectory(settings, { formatEvent, staticAccounts = {}, log, now = Date.now, organizations }) {
  const ttlMs = settings.cacheSeconds * 1000;
  let fromParameter; // ACCOUNT_NAMES_SSM_PARAMETER, once read
  let parameterRead;
  let org; // { accounts: Map<id, { entry, fetchedAt }>, loadedAt }
  let loading;
  let lastAttemptAt;
  const ous = new Map(); // OU id -> { name, parent, fetchedAt }: kept across refreshes, the costly part
  let client = organizations;

  const readParameter = (remainingMs) => {
    parameterRead ??= fetchJsonSetting({ variable: 'ACCOUNT_NAMES_SSM_PARAMETER', source: 'ssm', name: settings.parameter }, Math.min(5000, remainingMs)).then(
      (value) => {
        try {
          formatEvent(SELF_TEST_EVENT, { accounts: value });
        } catch (err) {
          throw new SettingError('ACCOUNT_NAMES_SSM_PARAMETER', `rejected by sgnotify (${err.message})`);
        }
        fromParameter = value;
      },
      (err) => {
        parameterRead = undefined;
        throw err;
      },
    );
    return parameterRead;
  };

  const startLookup = (why) => {
    lastAttemptAt = now();
    const started = now();
    const previous = org?.accounts;
    loading = lookUpOrganization({ client: (client ??= makeClient(settings.roleArn)), previous, ous, now, ttlMs })
      .then(({ accounts, calls }) => {
        org = { accounts, loadedAt: now() };
        log.info('account lookup done', { source: 'organizations', why, accounts: accounts.size, ous: ous.size, calls, ms: now() - started });
      })
      .catch((err) => {
        const httpStatus = err?.$metadata?.httpStatusCode;
        log.warn('account lookup failed: using ACCOUNT_NAMES and the ids', { source: 'organizations', why, error: errorFields(err), ...(httpStatus ? { httpStatus } : {}), ms: now() - started, retryInMs: MIN_REFRESH_MS });
      })
      .finally(() => (loading = undefined));
    return loading;
  };

  return {
    /**
     * The accounts map for this invocation. Waits for a lookup at most a fifth of `remainingMs`
     * (10 s while nothing is known yet, 2 s for a refresh); throws only when
     * ACCOUNT_NAMES_SSM_PARAMETER cannot be read, naming it.
     * @param {number} remainingMs
     * @param {string[]} [accountIds] the ids the event names: one unknown to Organizations asks for a refresh
     */
    async accountsFor(remainingMs, accountIds = []) {
      if (settings.parameter && !fromParameter) await readParameter(remainingMs);
      if (settings.source === 'organizations') {
        const t = now();
        const due = !org || t - org.loadedAt >= ttlMs || accountIds.some((id) => !org.accounts.has(id));
        if (due && !loading && (lastAttemptAt === undefined || t - lastAttemptAt >= MIN_REFRESH_MS)) {
          startLookup(!org ? 'first lookup' : t - org.loadedAt >= ttlMs ? 'cache expired' : 'unknown account');
        }
        if (loading) {
          const waitMs = Math.max(0, Math.min(org ? 2000 : 10_000, remainingMs / 5));
          let timer;
          const timedOut = await Promise.race([loading.then(() => false), new Promise((r) => (timer = setTimeout(() => r(true), waitMs)))]);
          clearTimeout(timer);
          if (timedOut) log.info('account lookup still running: this invocation uses what is known', { source: 'organizations', waitedMs: Math.round(waitMs), known: org?.accounts.size ?? 0 });
        }
      }
      // Organizations first; then ACCOUNT_NAMES, then ACCOUNT_NAMES_SSM_PARAMETER, for accounts it does not know.
      const found = org ? Object.fromEntries([...org.accounts].map(([id, a]) => [id, a.entry])) : {};
      return { ...fromParameter, ...staticAccounts, ...found };
    },
  };
}

/**
 * The 12-digit account ids an event names (recipientAccountId, accountId), wherever they sit:
 * SNS and SQS carry the CloudTrail record as a JSON string, hence the optional escapes.
 */
export function accountIdsIn(event) {
  const text = typeof event === 'string' ? event : JSON.stringify(event) ?? '';
  const ids = new Set();
  for (const m of text.matchAll(/"(?:recipientAccountId|accountId|account)\\*"\s*:\s*\\*"(\d{12})\\*"/g)) ids.add(m[1]);
  return [...ids];
}

function makeClient(roleArn) {
  return {
    async send(command, options) {
      const { OrganizationsClient } = await import('@aws-sdk/client-organizations');
      this.client ??= new OrganizationsClient({
        retryMode: 'standard',
        maxAttempts: 6,
        requestHandler: { connectionTimeout: 3000, requestTimeout: 5000 },
        ...(roleArn ? { credentials: assumedRole(roleArn) } : {}),
      });
      return this.client.send(command, options);
    },
  };
}

// Temporary credentials of ORGANIZATIONS_ROLE_ARN, renewed by the SDK when they are about to expire.
function assumedRole(roleArn) {
  let sts;
  return async () => {
    const { STSClient, AssumeRoleCommand } = await import('@aws-sdk/client-sts');
    sts ??= new STSClient({ requestHandler: { connectionTimeout: 3000, requestTimeout: 5000 } });
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'sgnotify-account-names', DurationSeconds: 3600 }));
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  };
}

/**
 * Every account: id -> { entry: { name, ou: "Root/Prod/Web", tags? }, fetchedAt }. Accounts in `previous` whose
 * data is younger than the TTL keep it (a refresh for a new account costs the ListAccounts pages
 * and that account's calls); OU names and parents come from `ous` while younger than the TTL.
 */
export async function lookUpOrganization({ client, previous, ous, now, ttlMs }) {
  const { ListAccountsCommand, ListParentsCommand, DescribeOrganizationalUnitCommand, ListTagsForResourceCommand } = await import('@aws-sdk/client-organizations');
  let calls = 0;
  const send = (command) => {
    calls += 1;
    return client.send(command);
  };

  const listed = [];
  let NextToken;
  do {
    const page = await send(new ListAccountsCommand({ NextToken }));
    listed.push(...(page.Accounts ?? []));
    NextToken = page.NextToken;
  } while (NextToken);

  const parentOf = async (childId) => (await send(new ListParentsCommand({ ChildId: childId }))).Parents?.[0];
  // One lookup per OU even when many accounts ask for it at once.
  const pendingOus = new Map();
  const ouPath = async (parent) => {
    if (!parent || parent.Type === 'ROOT') return 'Root';
    const cached = ous.get(parent.Id);
    if (cached && now() - cached.fetchedAt < ttlMs) return `${await ouPath(cached.parent)}/${cached.name}`;
    if (!pendingOus.has(parent.Id)) {
      pendingOus.set(parent.Id, (async () => {
        const [described, grandParent] = await Promise.all([send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: parent.Id })), parentOf(parent.Id)]);
        ous.set(parent.Id, { name: described.OrganizationalUnit?.Name ?? parent.Id, parent: grandParent, fetchedAt: now() });
      })());
    }
    await pendingOus.get(parent.Id);
    const entry = ous.get(parent.Id);
    return `${await ouPath(entry.parent)}/${entry.name}`;
  };
  const tagsOf = async (id) => {
    const tags = {};
    let token;
    do {
      const page = await send(new ListTagsForResourceCommand({ ResourceId: id, NextToken: token }));
      for (const t of page.Tags ?? []) tags[t.Key] = t.Value;
      token = page.NextToken;
    } while (token);
    return tags;
  };

  const accounts = new Map();
  const queue = [...listed];
  const worker = async () => {
    for (let a = queue.shift(); a; a = queue.shift()) {
      const known = previous?.get(a.Id);
      if (known && now() - known.fetchedAt < ttlMs) {
        accounts.set(a.Id, { ...known, entry: { ...known.entry, name: a.Name ?? known.entry.name } });
        continue;
      }
      const [ou, tags] = await Promise.all([parentOf(a.Id).then(ouPath), tagsOf(a.Id)]);
      accounts.set(a.Id, { entry: { name: a.Name ?? a.Id, ou, ...(Object.keys(tags).length ? { tags } : {}) }, fetchedAt: now() });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { accounts, calls };
}

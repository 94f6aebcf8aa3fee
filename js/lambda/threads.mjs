// Thread state for Slack app mode: one item per burst (one principal in one account) in
// STATE_TABLE, next to the delivery claims, with the same TTL attribute. The item says which
// Slack message is the burst's parent (`ts`) and what the burst holds so far, so that every
// invocation and every instance replies into the same thread. All writes are conditional:
//  - opening a thread is a claim (`state: opening`) that exactly one instance wins; the others
//    wait for its `ts`, and take over only when the winner's claim has run out;
//  - a reply is counted once per message key (the set `counted`), under a version check;
//  - `shown` is the version the parent last displayed, so the parent is edited only when behind.
// Without STATE_TABLE the same operations run on a Map: threads then live per container.

import { DELIVERED_TTL_SECONDS } from './state.mjs';

const FIELDS = {
  state: 'S', owner: 'S', claimUntil: 'N', startEpoch: 'N', ts: 'S', channel: 'S', account: 'S', principal: 'S',
  principalType: 'S', changes: 'N', severity: 'S', groups: 'L', groupCount: 'N', firstTime: 'S', lastTime: 'S',
  version: 'N', shown: 'N', counted: 'SS', expiresAt: 'N',
};

function toItem(obj) {
  const item = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || k === 'id') continue;
    const t = FIELDS[k];
    if (t === 'S') item[k] = { S: String(v) };
    else if (t === 'N') item[k] = { N: String(v) };
    else if (t === 'L') item[k] = { L: v.map((s) => ({ S: String(s) })) };
    else if (t === 'SS' && v.length) item[k] = { SS: [...v] };
  }
  return item;
}

function fromItem(item) {
  if (!item) return undefined;
  const obj = { id: item.id?.S };
  for (const [k, t] of Object.entries(FIELDS)) {
    const v = item[k];
    if (!v) continue;
    if (t === 'S') obj[k] = v.S;
    else if (t === 'N') obj[k] = Number(v.N);
    else if (t === 'L') obj[k] = v.L.map((x) => x.S);
    else if (t === 'SS') obj[k] = v.SS;
  }
  obj.counted ??= [];
  return obj;
}

/** The TTL of a thread item: as long as a delivered mark, so a retried event finds its thread. */
export const threadExpiry = () => Math.floor(Date.now() / 1000) + DELIVERED_TTL_SECONDS;

/**
 * @param {{ tableName?: string, timeoutMs?: number, client?: object }} options no tableName: in memory
 * @returns {ThreadStore} get, create, opened, abandon, count, markShown; each resolves, or throws
 *   an Error whose message names the table (the caller decides what a failure means)
 */
export function createThreadStore({ tableName, timeoutMs = 2000, client } = {}) {
  return tableName ? dynamoStore(tableName, timeoutMs, client) : memoryStore();
}

function dynamoStore(tableName, timeoutMs, client) {
  let sdk;
  const send = async (make) => {
    if (!sdk) {
      const m = await import('@aws-sdk/client-dynamodb');
      sdk = { m, client: client ?? new m.DynamoDBClient({ maxAttempts: 2 }) };
    }
    try {
      return await sdk.client.send(make(sdk.m), { abortSignal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      if (err?.name === 'ConditionalCheckFailedException') return false;
      const why = err?.name === 'TimeoutError' || err?.name === 'AbortError' ? `no answer within ${timeoutMs} ms` : `${err?.name ?? 'Error'}: ${String(err?.message ?? err).slice(0, 200)}`;
      throw new Error(`state table ${tableName}: ${why}`);
    }
  };
  const Key = (id) => ({ id: { S: id } });
  const ok = (out) => out !== false;

  return {
    async get(id) {
      const out = await send((m) => new m.GetItemCommand({ TableName: tableName, Key: Key(id), ConsistentRead: true }));
      return fromItem(out.Item);
    },
    // Free, or the burst before this one (`replacing` its startEpoch), or an opening claim that ran out.
    async create(thread, replacing) {
      const values = { ':opening': { S: 'opening' }, ':now': { N: String(Date.now()) } };
      let condition = 'attribute_not_exists(id) OR (#s = :opening AND claimUntil < :now)';
      if (replacing !== undefined) {
        condition += ' OR startEpoch = :prev';
        values[':prev'] = { N: String(replacing) };
      }
      return ok(await send((m) => new m.PutItemCommand({
        TableName: tableName,
        Item: { id: { S: thread.id }, ...toItem(thread) },
        ConditionExpression: condition,
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: values,
      })));
    },
    async opened(id, owner, ts, channel) {
      return ok(await send((m) => new m.UpdateItemCommand({
        TableName: tableName,
        Key: Key(id),
        UpdateExpression: 'SET #s = :open, ts = :ts, channel = :ch REMOVE claimUntil',
        ConditionExpression: '#s = :opening AND #o = :me',
        ExpressionAttributeNames: { '#s': 'state', '#o': 'owner' },
        ExpressionAttributeValues: { ':open': { S: 'open' }, ':opening': { S: 'opening' }, ':me': { S: owner }, ':ts': { S: ts }, ':ch': { S: channel } },
      })));
    },
    async abandon(id, owner) {
      return ok(await send((m) => new m.DeleteItemCommand({
        TableName: tableName,
        Key: Key(id),
        ConditionExpression: '#s = :opening AND #o = :me',
        ExpressionAttributeNames: { '#s': 'state', '#o': 'owner' },
        ExpressionAttributeValues: { ':opening': { S: 'opening' }, ':me': { S: owner } },
      })));
    },
    // The burst with one more reply, if the item is still at `version` and has not counted `key`.
    async count(id, key, burst, version) {
      return ok(await send((m) => new m.UpdateItemCommand({
        TableName: tableName,
        Key: Key(id),
        UpdateExpression: 'SET changes = :c, severity = :sev, groups = :g, groupCount = :gc, firstTime = :f, lastTime = :l, version = :next, expiresAt = :exp ADD counted :k',
        ConditionExpression: 'version = :v AND NOT contains(counted, :key)',
        ExpressionAttributeValues: {
          ':c': { N: String(burst.changes) },
          ':sev': { S: burst.severity },
          ':g': { L: burst.groups.map((s) => ({ S: s })) },
          ':gc': { N: String(burst.groupCount) },
          ':f': { S: burst.firstTime ?? '' },
          ':l': { S: burst.lastTime ?? '' },
          ':next': { N: String(version + 1) },
          ':v': { N: String(version) },
          ':exp': { N: String(threadExpiry()) },
          ':k': { SS: [key] },
          ':key': { S: key },
        },
      })));
    },
    async markShown(id, version) {
      return ok(await send((m) => new m.UpdateItemCommand({
        TableName: tableName,
        Key: Key(id),
        UpdateExpression: 'SET shown = :v',
        ConditionExpression: 'attribute_exists(id) AND (attribute_not_exists(shown) OR shown < :v)',
        ExpressionAttributeValues: { ':v': { N: String(version) } },
      })));
    },
  };
}

function memoryStore() {
  const items = new Map();
  const copy = (x) => (x ? structuredClone(x) : undefined);
  return {
    async get(id) {
      return copy(items.get(id));
    },
    async create(thread, replacing) {
      const cur = items.get(thread.id);
      const free = !cur || (cur.state === 'opening' && cur.claimUntil < Date.now()) || (replacing !== undefined && cur.startEpoch === replacing);
      if (free) items.set(thread.id, { counted: [], ...copy(thread) });
      return free;
    },
    async opened(id, owner, ts, channel) {
      const cur = items.get(id);
      if (cur?.state !== 'opening' || cur.owner !== owner) return false;
      Object.assign(cur, { state: 'open', ts, channel, claimUntil: undefined });
      return true;
    },
    async abandon(id, owner) {
      const cur = items.get(id);
      if (cur?.state !== 'opening' || cur.owner !== owner) return false;
      items.delete(id);
      return true;
    },
    async count(id, key, burst, version) {
      const cur = items.get(id);
      if (!cur || cur.version !== version || cur.counted.includes(key)) return false;
      Object.assign(cur, copy(burst), { version: version + 1, counted: [...cur.counted, key] });
      return true;
    },
    async markShown(id, version) {
      const cur = items.get(id);
      if (!cur || (cur.shown ?? -1) >= version) return false;
      cur.shown = version;
      return true;
    },
  };
}

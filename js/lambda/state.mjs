// Exactly-once posting across retries: one DynamoDB item per Slack message (STATE_TABLE, partition
// key `id`, TTL attribute `expiresAt`). A message is claimed with a conditional write before it is
// posted, marked delivered after a 2xx, and its claim is released when the instance gives up on it.
// A claim expires, so an instance that dies between claim and mark blocks nobody for long.
// The AWS SDK comes with the Lambda runtime: imported only when a table is configured.

import { createHash } from 'node:crypto';

/** How long a delivered mark is kept: longer than SQS keeps a message (14 days) and than Lambda retries an event. */
export const DELIVERED_TTL_SECONDS = 15 * 24 * 3600;

/**
 * @param {{ tableName: string, owner?: () => string, timeoutMs?: number, client?: object }} options
 * @returns {{ claim(key: string, untilMs: number): Promise<"claimed"|"delivered"|"busy"|"unavailable">,
 *   markDelivered(key: string): Promise<boolean>, release(key: string): Promise<boolean>, lastError?: string }}
 */
export function createStateStore({ tableName, owner = () => 'unknown', timeoutMs = 2000, client }) {
  let sdk;
  const load = async () => {
    if (!sdk) {
      const m = await import('@aws-sdk/client-dynamodb');
      sdk = { m, client: client ?? new m.DynamoDBClient({ maxAttempts: 2 }) };
    }
    return sdk;
  };
  const send = async (make) => {
    const { m, client: c } = await load();
    return c.send(make(m), { abortSignal: AbortSignal.timeout(timeoutMs) });
  };
  const store = {
    lastError: undefined,
    async claim(key, untilMs) {
      const now = Math.floor(Date.now() / 1000);
      try {
        await send((m) => new m.PutItemCommand({
          TableName: tableName,
          Item: { id: { S: key }, state: { S: 'claimed' }, owner: { S: owner() }, expiresAt: { N: String(Math.ceil(untilMs / 1000)) } },
          // Free, or a claim whose holder's time is over. TTL deletes expired items late (hours),
          // so the expiry is compared here rather than trusted to have removed the item.
          ConditionExpression: 'attribute_not_exists(id) OR (#s = :claimed AND expiresAt < :now)',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':claimed': { S: 'claimed' }, ':now': { N: String(now) } },
        }));
        return 'claimed';
      } catch (err) {
        if (err?.name !== 'ConditionalCheckFailedException') return unavailable(err);
      }
      try {
        const out = await send((m) => new m.GetItemCommand({ TableName: tableName, Key: { id: { S: key } }, ConsistentRead: true }));
        return out.Item?.state?.S === 'delivered' ? 'delivered' : 'busy';
      } catch (err) {
        return unavailable(err);
      }
    },
    async markDelivered(key) {
      try {
        await send((m) => new m.PutItemCommand({
          TableName: tableName,
          Item: { id: { S: key }, state: { S: 'delivered' }, deliveredAt: { N: String(Date.now()) }, expiresAt: { N: String(Math.floor(Date.now() / 1000) + DELIVERED_TTL_SECONDS) } },
        }));
        return true;
      } catch (err) {
        unavailable(err);
        return false;
      }
    },
    async release(key) {
      try {
        await send((m) => new m.DeleteItemCommand({
          TableName: tableName,
          Key: { id: { S: key } },
          ConditionExpression: '#s = :claimed AND #o = :me',
          ExpressionAttributeNames: { '#s': 'state', '#o': 'owner' },
          ExpressionAttributeValues: { ':claimed': { S: 'claimed' }, ':me': { S: owner() } },
        }));
        return true;
      } catch (err) {
        if (err?.name !== 'ConditionalCheckFailedException') unavailable(err);
        return false;
      }
    },
  };
  function unavailable(err) {
    const why = err?.name === 'TimeoutError' || err?.name === 'AbortError' ? `no answer within ${timeoutMs} ms` : `${err?.name ?? 'Error'}: ${String(err?.message ?? err).slice(0, 200)}`;
    store.lastError = `state table ${tableName}: ${why}`;
    return 'unavailable';
  }
  return store;
}

/**
 * Stable keys for the messages of one formatted event: the CloudTrail event id, the message's
 * position among that event's messages, and a hash of its summary (the core formats the same event
 * the same way every time). The hash keeps two different changes apart even when their event ids
 * collide, as they do in anonymised samples; a collision would skip an alert, a lost message.
 */
export function messageKeys(messages) {
  const seen = new Map();
  return messages.map((m) => {
    const n = seen.get(m.eventId) ?? 0;
    seen.set(m.eventId, n + 1);
    const digest = createHash('sha256').update(String(m.summary)).digest('hex').slice(0, 16);
    return `msg#${m.eventId}#${n}#${digest}`;
  });
}

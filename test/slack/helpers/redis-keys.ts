/** Test runs share the machine's queue Redis: each one finds and removes only its own keys. */
import type { Redis } from 'ioredis';

/** Keys under a prefix, by SCAN (bounded); the prefix holds no glob characters ({ and } are literal). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  for (let i = 0; i < 10_000; i++) {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
    if (cursor === '0') break;
  }
  return found;
}

/** Deletes what a test run wrote to the shared queue Redis: its keys only, never FLUSHALL. */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  const all = await keysUnder(redis, prefix);
  for (let i = 0; i < all.length; i += 500) await redis.del(...all.slice(i, i + 500));
}

/** Every key under the prefix with its contents as text (strings, hashes — BullMQ jobs —, lists, sets, zsets, streams): what a secret must never be in. */
export async function dumpKeysUnder(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of await keysUnder(redis, prefix)) {
    const type = await redis.type(key);
    let value: unknown;
    if (type === 'string') value = await redis.get(key);
    else if (type === 'hash') value = await redis.hgetall(key);
    else if (type === 'list') value = await redis.lrange(key, 0, -1);
    else if (type === 'set') value = await redis.smembers(key);
    else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'stream') value = await redis.xrange(key, '-', '+');
    // 'none': removed between SCAN and TYPE (a job BullMQ just cleaned up).
    if (value !== undefined && value !== null) out.set(key, JSON.stringify(value));
  }
  return out;
}

/** The audit stream under a prefix (stores/audit-log.ts), oldest first, each entry's fields as a record. */
export async function auditRecords(redis: Redis, prefix: string): Promise<Record<string, string>[]> {
  return (await redis.xrange(`${prefix}:store:audit-log`, '-', '+'))
    .map(([, f]) => Object.fromEntries(f.flatMap((_, i) => (i % 2 === 0 ? [[f[i]!, f[i + 1]!]] : []))) as Record<string, string>);
}

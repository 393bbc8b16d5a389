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

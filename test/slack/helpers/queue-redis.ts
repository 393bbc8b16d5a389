/**
 * For store tests on the machine's queue Redis: a front-end connection and a
 * unique key prefix, ready before the first test; afterwards the prefix's
 * keys are deleted (never FLUSHALL: the queue Redis is shared) and the
 * connection closed. Call inside a describe().
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect } from 'vitest';
import { createFrontEndRedis, waitReady } from '../../../src/jobs/connections.js';
import { QUEUE_REDIS, uniquePrefix } from './harness.js';
import { deleteKeysUnder } from './redis-keys.js';

export function useQueueRedis(): { redis: Redis; prefix: string } {
  const prefix = uniquePrefix();
  const redis = createFrontEndRedis(QUEUE_REDIS);
  beforeAll(async () => {
    expect(await waitReady(redis, 2000)).toBe(true);
  });
  afterAll(async () => {
    try {
      await deleteKeysUnder(redis, prefix);
    } finally {
      redis.disconnect();
    }
  });
  return { redis, prefix };
}

/**
 * The monitor's job schedulers on the real queue Redis: one per shard of the
 * targets, made to match the config at start (added, interval or shard count
 * changed, removed; per-target schedulers of the former design removed), with
 * fixed offsets so every worker computes the same schedule.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createWorkerRedis } from '../../src/jobs/connections.js';
import { MonitorQueue, schedulerId, shardCount, shardOffset, splitShards, SHARD_SIZE } from '../../src/jobs/monitor-queue.js';
import { tickTime } from '../../src/jobs/monitor-worker.js';
import { QUEUE_REDIS, uniquePrefix } from '../slack/helpers/harness.js';
import { deleteKeysUnder } from '../slack/helpers/redis-keys.js';

describe('monitor job schedulers', () => {
  const prefix = uniquePrefix();
  const redis = createWorkerRedis(QUEUE_REDIS);
  const queue = new MonitorQueue(redis, prefix);
  afterAll(async () => {
    try {
      await queue.close();
      await deleteKeysUnder(redis, prefix);
    } finally {
      redis.disconnect();
    }
  });

  const schedulers = async () => (await queue.queue.getJobSchedulers(0, -1)).map((s) => ({ id: s.key, every: s.every, offset: s.offset })).sort((a, b) => a.id.localeCompare(b.id));
  const names = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);

  it('adds one scheduler per shard, leaves them alone when nothing changed, and replaces them when the shard count or interval changes', async () => {
    // A per-target scheduler left by the former design: removed, its target named.
    await queue.queue.upsertJobScheduler('probe-old', { every: 10_000, offset: 5 }, { name: 'probe', data: { target: 'old' } as never });
    const first = await queue.sync(['a', 'b', 'c'], 10_000);
    expect(first).toEqual({ upserted: [schedulerId(0, 1)], removed: ['probe-old'], removedTargets: ['old'], shards: 1 });
    expect(await schedulers()).toEqual([{ id: 'shard-0-of-1', every: 10_000, offset: 1 }]);
    // A second worker starting with the same config changes nothing.
    expect(await queue.sync(['a', 'c', 'b'], 10_000)).toEqual({ upserted: [], removed: [], removedTargets: [], shards: 1 });
    // More targets: more shards, the old one gone; a new interval.
    const many = names(SHARD_SIZE * 2 + 1);
    const r = await queue.sync(many, 5_000);
    expect(r.shards).toBe(3);
    expect(r.removed).toEqual(['shard-0-of-1']);
    expect((await schedulers()).map((s) => [s.id, s.every, s.offset])).toEqual([0, 1, 2].map((i) => [schedulerId(i, 3), 5000, shardOffset(i, 3, 5000)]));
    // Each scheduler has exactly one next job waiting (delayed), at its offset.
    const delayed = await queue.queue.getDelayed();
    expect(delayed.map((j) => j.data.shard).sort()).toEqual([0, 1, 2]);
    for (const j of delayed) expect(tickTime(j) % 5000).toBe(shardOffset(j.data.shard, 3, 5000));
    // No alerts section: no schedulers at all.
    expect((await queue.sync([], 5_000)).removed.sort()).toEqual([0, 1, 2].map((i) => schedulerId(i, 3)));
    expect(await schedulers()).toEqual([]);
    expect(await queue.queue.getDelayed()).toEqual([]);
  });

  it('puts every target in exactly one shard, the same in every process, shards of about SHARD_SIZE', () => {
    const all = names(10_000);
    const n = shardCount(all.length);
    expect(n).toBe(40);
    const split = splitShards(all, n);
    expect(split.flat().sort()).toEqual([...all].sort());
    expect(splitShards([...all].reverse(), n)).toEqual(split);
    for (const s of split) {
      expect(s.length).toBeGreaterThan(SHARD_SIZE * 0.8);
      expect(s.length).toBeLessThan(SHARD_SIZE * 1.2);
    }
    const offsets = Array.from({ length: n }, (_, i) => shardOffset(i, n, 10_000));
    expect(offsets[0]).toBe(1);
    expect(Math.max(...offsets)).toBeLessThan(10_000);
  });
});

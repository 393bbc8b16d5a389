/**
 * The monitor's job schedulers on the real queue Redis: one per target, made
 * to match the config at start (added, interval changed, removed), with a
 * fixed per-target offset so every worker computes the same schedule.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createWorkerRedis } from '../../src/jobs/connections.js';
import { MonitorQueue, schedulerId, schedulerOffset } from '../../src/jobs/monitor-queue.js';
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

  const schedulers = async () => (await queue.queue.getJobSchedulers(0, -1)).map((s) => ({ id: s.key, every: s.every, offset: s.offset, target: s.template?.data?.target })).sort((a, b) => a.id.localeCompare(b.id));

  it('adds one scheduler per target, leaves them alone when nothing changed, and removes what the config no longer has', async () => {
    expect(await queue.sync(['a', 'b', 'c'], 10_000)).toEqual({ upserted: ['a', 'b', 'c'], removed: [], kept: 0 });
    expect(await schedulers()).toEqual(['a', 'b', 'c'].map((t) => ({ id: schedulerId(t), every: 10_000, offset: schedulerOffset(t, 10_000), target: t })));
    // A second worker starting with the same config changes nothing.
    expect(await queue.sync(['a', 'b', 'c'], 10_000)).toEqual({ upserted: [], removed: [], kept: 3 });
    // b removed, d added, interval changed: no leftovers.
    expect(await queue.sync(['a', 'c', 'd'], 5_000)).toEqual({ upserted: ['a', 'c', 'd'], removed: ['b'], kept: 0 });
    expect((await schedulers()).map((s) => [s.id, s.every])).toEqual([['probe-a', 5000], ['probe-c', 5000], ['probe-d', 5000]]);
    // Each scheduler has exactly one next job waiting (delayed), none for b.
    const delayed = await queue.queue.getDelayed();
    expect(delayed.map((j) => j.data.target).sort()).toEqual(['a', 'c', 'd']);
    for (const j of delayed) expect(tickTime(j) % 5000).toBe(schedulerOffset(j.data.target, 5000));
    // No alerts section: no schedulers at all.
    expect((await queue.sync([], 5_000)).removed.sort()).toEqual(['a', 'c', 'd']);
    expect(await schedulers()).toEqual([]);
    expect(await queue.queue.getDelayed()).toEqual([]);
  });

  it('spreads targets over the interval', () => {
    const offsets = Array.from({ length: 1000 }, (_, i) => schedulerOffset(`t${i}`, 10_000));
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...offsets)).toBeLessThan(10_000);
    const perSecond = new Array(10).fill(0) as number[];
    for (const o of offsets) perSecond[Math.floor(o / 1000)]! += 1;
    for (const n of perSecond) expect(n).toBeGreaterThan(60);
  });
});

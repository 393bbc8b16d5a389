/**
 * The bot's own Redis goes down (issue #8): the monitor cannot run, and the
 * web process says so in alerts.channel — once, after the debounce (a blip
 * posts nothing) — and says once that it resumed, in the paused message's
 * thread. The queue Redis here is a redis-server of this test, stopped and
 * started again (empty: its schedulers are made again when it is back).
 */
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { blockIds, textOf } from '../slack/helpers/slack-double.js';
import { nextTick, Switchable } from './helpers.js';

const CHANNEL = 'C0ALERTS';
const PAUSE_AFTER_MS = 2500;

describe('monitoring paused while the queue Redis is down', () => {
  let queue: Switchable;
  let target: RedisServer;
  let h: Harness;
  let q: Redis;

  beforeAll(async () => {
    [queue, target] = await Promise.all([Switchable.start(), startRedis()]);
    q = new Redis(`redis://127.0.0.1:${queue.port}`, { maxRetriesPerRequest: 1, retryStrategy: () => 200, lazyConnect: false });
    q.on('error', () => undefined);
    h = await startHarness({
      redisUrl: `redis://127.0.0.1:${queue.port}`,
      config: `targets:\n  - { name: steady, url: "redis://127.0.0.1:${target.port}" }\nalerts:\n  channel: ${CHANNEL}\n  intervalSeconds: 5\n`,
      bot: { monitor: { pauseAfterMs: PAUSE_AFTER_MS, resumeAfterMs: 1000, retryMs: 200 } },
    });
  });
  afterAll(async () => {
    await h?.stop();
    q?.disconnect();
    await Promise.all([queue?.stop(), target?.stop()]);
  });

  const notices = (id: string) => h.double.ok('chat.postMessage').filter((c) => blockIds(c)[0] === id);

  it('posts nothing for a blip, one paused message for an outage, one resumed reply, and monitoring goes on', async () => {
    await nextTick(q, h.prefix, 'steady', undefined);

    // A blip shorter than the debounce.
    await queue.down();
    await sleep(500);
    await queue.restart();
    await sleep(PAUSE_AFTER_MS + 1500);
    expect(notices('monitor-paused')).toHaveLength(0);

    // An outage.
    await queue.down();
    const downAt = Date.now();
    await h.double.waitFor('the paused message', () => notices('monitor-paused').length > 0, 15_000);
    const paused = notices('monitor-paused')[0]!;
    expect(Date.now() - downAt).toBeGreaterThanOrEqual(PAUSE_AFTER_MS - 200);
    expect(paused.body.channel).toBe(CHANNEL);
    expect(paused.body.thread_ts).toBeUndefined();
    expect(textOf(paused)).toContain('Monitoring is paused');
    expect(textOf(paused)).toMatch(/ECONNREFUSED|connection/);
    await sleep(2000);
    expect(notices('monitor-paused')).toHaveLength(1);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(503);

    // Back (empty: no schedulers, no states).
    await queue.restart();
    await h.double.waitFor('the resumed reply', () => notices('monitor-resumed').length > 0, 20_000);
    const resumed = notices('monitor-resumed')[0]!;
    expect(resumed.body.thread_ts).toBe(paused.ts);
    expect(textOf(resumed)).toContain('Monitoring resumed');
    await h.double.waitFor('the paused message marked over', (calls) => calls.some((c) => c.method === 'chat.update' && c.body.ts === paused.ts && textOf(c).includes('was paused')));
    // The schedule is made again in the fresh Redis: the target is probed again.
    await nextTick(q, h.prefix, 'steady', undefined);
    await sleep(1500);
    expect(notices('monitor-paused')).toHaveLength(1);
    expect(notices('monitor-resumed')).toHaveLength(1);
  }, 90_000);
});

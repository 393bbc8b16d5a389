/**
 * The batch monitor's shards across worker processes (issue #20 scale): a
 * job per shard per tick (jobs/monitor-queue.ts), taken by whichever worker
 * is free. Two workers share the shards; one is SIGKILLed mid-tick: its
 * shards' next ticks go to the other, so no target goes unprobed for more than
 * about two intervals, and the incident open at the time is neither lost nor
 * posted twice (its state continues in the queue Redis).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerChild, SHORT_STALLS, type WorkerChild } from '../faults/helpers/worker-child.js';
import { stopProcess } from '../lab/procs.js';
import { pollUntil } from '../lab/poll.js';
import { freePort } from '../lab/ports.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { alertsOf, stateKey, Switchable } from './helpers.js';

const CHANNEL = 'C0ALERTS';
const INTERVAL_S = 5;
const HEALTHY = 24;
/** 25 targets in shards of 4: 7 shards to share. */
const SHARD_SIZE = 4;

describe('the batch monitor: shards move to the worker that is left', () => {
  let server: Switchable;
  let web: Harness;
  const workers: WorkerChild[] = [];
  const names = [...Array.from({ length: HEALTHY }, (_, i) => `t${i}`), 'gone'];

  beforeAll(async () => {
    server = await Switchable.start();
    const refused = await freePort();
    web = await startHarness({
      config: [
        'targets:',
        ...Array.from({ length: HEALTHY }, (_, i) => `  - { name: t${i}, url: "redis://127.0.0.1:${server.port}" }`),
        `  - { name: gone, url: "redis://127.0.0.1:${refused}" }`,
        'alerts:',
        `  channel: ${CHANNEL}`,
        `  intervalSeconds: ${INTERVAL_S}`,
      ].join('\n'),
      env: { REDIS_DOCTOR_INLINE_WORKER: 'false' },
    });
  });
  afterAll(async () => {
    for (const w of workers) await stopProcess(w.child, 0).catch(() => undefined);
    await web?.stop();
    await server?.stop();
  });

  const start = async () => {
    const w = await startWorkerChild(web.env, { bot: { stalls: SHORT_STALLS, monitor: { shardSize: SHARD_SIZE, leaseMs: 3000 } }, env: { LOG_LEVEL: 'debug' } });
    workers.push(w);
    return w;
  };
  const ticked = (w: WorkerChild) => new Set(w.lines().flatMap((l) => [...l.matchAll(/"msg":"monitor tick","target":"([a-z0-9-]+)"/g)].map((m) => m[1]!)));
  const lastTicks = async () => {
    const pipe = web.redis.pipeline();
    for (const n of names) pipe.hget(stateKey(web.prefix, n), 't');
    return ((await pipe.exec()) ?? []).map(([, t]) => Number(t ?? 0));
  };

  it('two workers share the shards; one killed: every target probed again within two intervals, one alert', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    // Both workers take shards, and together they probe every target; the refused one alerts once.
    await pollUntil(async () => (ticked(a).size > 0 && ticked(b).size > 0 && names.every((n) => ticked(a).has(n) || ticked(b).has(n)) ? true : undefined), { what: 'both workers probing, every target probed', timeoutMs: 60_000, intervalMs: 250 });
    await web.double.waitFor('the alert', () => alertsOf(web.double, 'gone').length > 0, 30_000);
    const shards = (await web.redis.zrange(`${web.prefix}:monitor:repeat`, 0, -1)).filter((k) => k.startsWith('shard-'));
    expect(shards.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `shard-${i}-of-7`).sort());

    // Every 100 ms, each target's last counted tick: the gaps around the kill are measured on them.
    const history = names.map(() => [] as number[]);
    const record = async () => (await lastTicks()).forEach((t, i) => { if (t && history[i]!.at(-1) !== t) history[i]!.push(t); });
    await record();
    const killedAt = Date.now();
    await a.kill();
    for (let i = 0; i < 200 && Date.now() - killedAt < 4 * INTERVAL_S * 1000; i++) {
      await record();
      await new Promise((r) => setTimeout(r, 100));
    }
    await record();
    for (const [i, ticks] of history.entries()) {
      const before = ticks.filter((t) => t <= killedAt).at(-1) ?? 0;
      const after = ticks.find((t) => t > killedAt);
      expect(after, `${names[i]} probed again after the kill`).toBeDefined();
      // One interval is the schedule; the second covers a shard whose tick was under way in the killed worker.
      expect(after! - before, `${names[i]}: the gap between two counted ticks`).toBeLessThanOrEqual(2 * INTERVAL_S * 1000 + 1500);
    }
    // The worker left probes every target now, and the incident open when its peer died is still the one alert.
    expect(names.every((n) => ticked(b).has(n))).toBe(true);
    expect(alertsOf(web.double, 'gone')).toHaveLength(1);
    const state = JSON.parse((await web.redis.hget(stateKey(web.prefix, 'gone'), 's'))!) as { status: string; incident?: { id: string } };
    expect(state.status).toBe('down');
    const alertId = JSON.stringify(alertsOf(web.double, 'gone')[0]!.body.blocks).match(/"ack:i\.([^"]+)"/)?.[1];
    expect(state.incident?.id).toBe(alertId);
  }, 150_000);
});

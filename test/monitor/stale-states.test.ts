/**
 * A target removed from the config while the shard count stays the same: its
 * stored state is deleted when the monitor's schedule is synced (at start and
 * whenever the queue Redis comes back), bounded and batched
 * (MonitorStore.removeStatesExcept). Real queue Redis and BullMQ; the Monitor
 * itself is not needed for the sync and is a stand-in.
 */
import { afterAll, expect, it } from 'vitest';
import { MonitorComponent } from '../../src/components/monitor.js';
import { createWorkerRedis } from '../../src/jobs/connections.js';
import { Logger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import type { Monitor } from '../../src/monitor/monitor.js';
import type { TargetState } from '../../src/monitor/state-machine.js';
import { MonitorStore } from '../../src/stores/monitor-store.js';
import { pollUntil } from '../lab/poll.js';
import { QUEUE_REDIS, uniquePrefix } from '../slack/helpers/harness.js';
import { deleteKeysUnder } from '../slack/helpers/redis-keys.js';

const prefix = uniquePrefix();
const redis = createWorkerRedis(QUEUE_REDIS);
const store = new MonitorStore(redis, prefix);
let component: MonitorComponent | undefined;

afterAll(async () => {
  await component?.stop().catch(() => undefined);
  await deleteKeysUnder(redis, prefix).catch(() => undefined);
  redis.disconnect();
});

const up = (at: number): TargetState => ({ status: 'up', since: at, failures: 0, successes: 1, recent: [at], lastTick: at });

it('deletes the states of targets no longer configured at sync, keeps the others', async () => {
  const now = Date.now();
  // Names with glob characters: the SCAN pattern is escaped, the names taken as they are.
  const names = ['keep-1', 'keep-[2]', 'gone-1', 'gone-*', ...Array.from({ length: 1200 }, (_, i) => `gone-many-${i}`)];
  for (let i = 0; i < names.length; i += 200) await store.casStates(names.slice(i, i + 200).map((target) => ({ target, version: 0, state: up(now), tick: now })));
  expect((await store.readState('gone-1')).state).toBeDefined();
  expect((await store.readState('gone-many-1199')).state).toBeDefined();

  const stub = { lastTickSeen: () => undefined, prime: async () => undefined, tick: async () => ({ kind: 'duplicate' }) } as unknown as Monitor;
  component = new MonitorComponent({
    redisUrl: QUEUE_REDIS, prefix, targets: ['keep-1', 'keep-[2]'], intervalSeconds: 30, concurrency: 10,
    monitor: stub, store, metrics: new Metrics(), log: new Logger('error'),
  });
  await component.start();
  await pollUntil(async () => ((await store.readState('gone-many-1199')).state === undefined ? true : undefined), { what: 'the removed targets\' states deleted', timeoutMs: 20_000, intervalMs: 100 });
  const left = await store.readStates(names);
  expect([...left].filter(([, s]) => s.state !== undefined).map(([n]) => n).sort()).toEqual(['keep-1', 'keep-[2]']);
});

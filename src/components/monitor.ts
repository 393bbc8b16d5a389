/**
 * The monitor as a component, started after the diagnose worker wherever
 * workers run: its own connection to the queue Redis for BullMQ (the worker's
 * blocking connection is duplicated from it), the shard schedulers made to
 * match the config whenever that Redis is (again) reachable, and a BullMQ
 * Worker on the `monitor` queue running each shard's tick: Monitor.tick for
 * each of its targets, spread over the interval (monitor/batch.ts), at most
 * `concurrency` probes in flight in the process. Without an `alerts:` section it
 * only removes the schedulers a previous config left.
 */
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueRedis } from '../jobs/connections.js';
import { MonitorQueue, splitShards } from '../jobs/monitor-queue.js';
import { createMonitorWorker } from '../jobs/monitor-worker.js';
import { batchSpanMs, Limit, runBatch } from '../monitor/batch.js';
import type { StallOptions } from '../jobs/worker.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Monitor } from '../monitor/monitor.js';
import { reportsUp } from '../monitor/latency.js';
import { OVERLOADED_SHARE } from '../monitor/loop-lag.js';
import type { MonitorStore } from '../stores/monitor-store.js';
import { ScheduleSync } from './schedule-sync.js';
import { WorkerComponent } from './worker.js';

/**
 * Each tick sets its target's gauge in the process that ran it; with several
 * workers, this refresh makes every process show every target, at most this
 * old. (A Prometheus scrape interval is typically 15-60 s.)
 */
const GAUGE_REFRESH_MS = 30_000;

export interface MonitorComponentOptions {
  redisUrl: QueueRedis;
  prefix: string;
  /** The monitored config target names ([] without `alerts:`). */
  targets: string[];
  intervalSeconds: number;
  /** Probes in flight in this process at most. */
  concurrency: number;
  /** The bound of one probe (the batch's probes end this long before the next tick, at most). Default 2000. */
  timeoutMs?: number;
  /** Undefined without `alerts:`: nothing is probed. */
  monitor: Monitor | undefined;
  store: MonitorStore;
  metrics: Metrics;
  log: Logger;
  stalls?: StallOptions;
  /** Targets per shard (default SHARD_SIZE); every worker must be given the same. */
  shardSize?: number;
  /** Location-only targets: counted as their outcomes arrive (location-probes.ts); the scheduled tick only notices their silence. */
  onlySilent?: ReadonlySet<string>;
}

/** A WorkerComponent (connection, worker made once ready, stop order) with the schedulers and gauges as its hooks. */
export class MonitorComponent extends WorkerComponent {
  private queue: MonitorQueue | undefined;
  private readonly schedule: ScheduleSync;
  private refresh: NodeJS.Timeout | undefined;

  constructor(private readonly o: MonitorComponentOptions) {
    super('monitor', o.redisUrl, (connection) => monitorWorker(o, connection), o.log);
    this.schedule = new ScheduleSync(() => this.sync(), 'monitor schedule', o.log);
  }

  protected override opened(connection: Redis): void {
    const { o } = this;
    this.queue = new MonitorQueue(connection, o.prefix);
    if (o.monitor) {
      this.refresh = setInterval(() => void this.refreshGauges(), Math.max(GAUGE_REFRESH_MS, o.intervalSeconds * 1000));
      this.refresh.unref();
    }
  }

  protected override connectionReady(): void {
    if (!this.stopping) this.schedule.run();
  }

  private async sync(): Promise<void> {
    const { o } = this;
    const r = await this.queue!.sync(o.monitor ? o.targets : [], o.intervalSeconds * 1000, o.shardSize);
    if (r.removedTargets.length > 0) await o.store.removeStates(r.removedTargets).catch(() => undefined);
    // Targets removed from the config (the shard count may be the same): their states go too (bounded, batched).
    // Only with `alerts:`: a worker without it has no list of what to keep.
    if (o.monitor) {
      const removed = await o.store.removeStatesExcept(new Set(o.targets)).catch(() => []);
      if (removed.length > 0) o.log.log('info', 'monitor states of targets no longer configured removed', { count: removed.length, targets: removed.slice(0, 10) });
    }
    if (r.upserted.length > 0 || r.removed.length > 0) {
      o.log.log('info', 'monitor schedule updated', { targets: o.targets.length, shards: r.shards, intervalSeconds: o.intervalSeconds, upserted: r.upserted.length, removed: r.removed.length });
    }
  }

  private async refreshGauges(): Promise<void> {
    // The targets this process ticked within the period have their gauge already: only the others are read.
    const since = Date.now() - Math.max(GAUGE_REFRESH_MS, this.o.intervalSeconds * 1000) - this.o.intervalSeconds * 1000;
    const others = this.o.targets.filter((t) => (this.o.monitor?.lastTickSeen(t) ?? 0) < since);
    if (others.length === 0) return;
    try {
      const states = await this.o.store.states(others);
      for (const [target, s] of states) this.o.metrics.targetUp.set({ target }, reportsUp(s) ? 1 : 0);
    } catch {
      // The queue Redis is down: the gauges keep their last values (the web process says monitoring paused).
    }
  }

  protected override stopStarted(): void {
    this.schedule.stop();
    clearInterval(this.refresh);
  }

  /** After the running ticks finished (the bound is stopAll's). */
  protected override async workerClosed(): Promise<void> {
    await this.schedule.settled();
    await this.queue?.close().catch(() => undefined);
  }
}

/** The `monitor` queue's worker, once its Redis is ready (components/worker.ts); none without `alerts:`. */
function monitorWorker(o: MonitorComponentOptions, connection: Redis): Worker | undefined {
  const monitor = o.monitor;
  if (!monitor) return undefined;
  const limit = new Limit(o.concurrency);
  const spanMs = batchSpanMs(o.intervalSeconds * 1000, o.timeoutMs ?? 2000);
  const split = new Map<number, string[][]>();
  // Logged once per target until it ticks fine again: a target failing every tick would otherwise log every interval.
  const failing = new Set<string>();
  let overloadLoggedAt = 0;
  return createMonitorWorker({
    connection, prefix: o.prefix, log: o.log,
    ...(o.stalls ? { stalls: o.stalls } : {}),
    batch: async ({ shard, shards }, tickAt, stopped) => {
      let shardsOf = split.get(shards);
      if (!shardsOf) split.set(shards, shardsOf = splitShards(o.targets, shards));
      // A shard count this config does not make (before sync replaced the schedulers) still covers its targets.
      const names = shardsOf[shard] ?? [];
      await monitor.prime(names).catch(() => undefined);
      let inconclusive = 0;
      const ran = await runBatch({
        names, tickAt, spanMs, limit, stopped,
        run: async (name, at) => {
          if ((await monitor.tick(name, at, o.onlySilent?.has(name) ? { onlySilent: true } : {})).kind === 'inconclusive') inconclusive += 1;
          if (failing.delete(name)) o.log.log('info', 'monitor tick succeeds again', { target: name });
        },
        onError: (name, err) => {
          if (!failing.has(name)) o.log.log('warn', 'monitor tick failed', { target: name, error: err.message });
          failing.add(name);
        },
      });
      // Never silently: a batch many of whose probes were starved says the monitor is overloaded (at most once a minute).
      const overloaded = ran.started > 0 && inconclusive / ran.started >= OVERLOADED_SHARE;
      o.metrics.monitorOverloaded.set(overloaded ? 1 : 0);
      if (overloaded && Date.now() - overloadLoggedAt >= 60_000) {
        overloadLoggedAt = Date.now();
        o.log.log('warn', 'monitor overloaded: this process\'s event loop is blocked, its timed-out probes are inconclusive and cannot alert', { shard, shards, probes: ran.started, inconclusive });
      }
      return ran;
    },
  });
}

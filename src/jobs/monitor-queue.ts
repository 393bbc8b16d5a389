/**
 * The BullMQ queue `monitor`, under the same prefix as `diagnose`: one job
 * scheduler per monitored target (`probe-<target>`), each making one `probe`
 * job every `alerts.intervalSeconds`. Any number of workers share the jobs and
 * each job is taken by one of them, so no target is probed twice per interval
 * (a job run again after its worker died is counted once: Monitor.tick).
 *
 * BullMQ adds a scheduler's next job when a worker picks up the current one,
 * so jobs do not pile up while no worker runs. Each scheduler gets a fixed
 * offset inside the interval, derived from the target name, so 1,000 targets
 * are probed evenly over the interval instead of all at the same instant, and
 * every worker computes the same schedule.
 *
 * sync() makes the schedulers exactly the configured ones: missing or changed
 * ones are upserted, any other `probe-…` scheduler (a target removed from the
 * config) is removed. It runs at start and whenever the queue Redis comes back
 * (a Redis that lost its data has no schedulers).
 */
import { createHash } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';

export const MONITOR_QUEUE = 'monitor';
export const PROBE_JOB = 'probe';
const SCHEDULER_PREFIX = 'probe-';
const BATCH = 50;

export interface ProbeJobData {
  /** A config target name: the worker resolves it (credentials, TLS) from its own config. */
  target: string;
}

/** A tick is never retried: the next tick is the retry. Nothing of it is kept once it ran. */
export const PROBE_JOB_OPTIONS: JobsOptions = { attempts: 1, removeOnComplete: true, removeOnFail: true };

export function schedulerId(target: string): string {
  return `${SCHEDULER_PREFIX}${target}`;
}

/** 1 … every-1 ms, from the name: BullMQ only honours an offset above 0. */
export function schedulerOffset(target: string, everyMs: number): number {
  const h = createHash('sha256').update(target).digest().readUInt32BE(0);
  return 1 + (h % Math.max(1, everyMs - 1));
}

export interface SyncResult {
  upserted: string[];
  removed: string[];
  kept: number;
}

export class MonitorQueue {
  readonly queue: Queue<ProbeJobData>;

  constructor(connection: Redis, prefix: string) {
    this.queue = new Queue<ProbeJobData>(MONITOR_QUEUE, { connection, prefix });
    this.queue.on('error', () => { /* reported by the connection's watcher (watchRedis) */ });
  }

  async sync(targets: readonly string[], everyMs: number): Promise<SyncResult> {
    const existing = new Map<string, { every?: number; offset?: number }>();
    for (const s of await this.queue.getJobSchedulers(0, -1)) existing.set(s.key, { ...(s.every !== undefined ? { every: s.every } : {}), ...(s.offset !== undefined ? { offset: s.offset } : {}) });
    const wanted = new Set(targets.map(schedulerId));
    const upsert = targets.filter((t) => {
      const s = existing.get(schedulerId(t));
      return !s || s.every !== everyMs || s.offset !== schedulerOffset(t, everyMs);
    });
    const remove = [...existing.keys()].filter((id) => id.startsWith(SCHEDULER_PREFIX) && !wanted.has(id));
    for (let i = 0; i < upsert.length; i += BATCH) {
      await Promise.all(upsert.slice(i, i + BATCH).map((t) => this.queue.upsertJobScheduler(
        schedulerId(t),
        { every: everyMs, offset: schedulerOffset(t, everyMs) },
        { name: PROBE_JOB, data: { target: t }, opts: PROBE_JOB_OPTIONS },
      )));
    }
    for (let i = 0; i < remove.length; i += BATCH) await Promise.all(remove.slice(i, i + BATCH).map((id) => this.queue.removeJobScheduler(id)));
    return { upserted: upsert, removed: remove.map((id) => id.slice(SCHEDULER_PREFIX.length)), kept: targets.length - upsert.length };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/**
 * The BullMQ queue `monitor`, under the same prefix as `diagnose`: one job
 * scheduler per shard of the monitored targets (`shard-<i>-of-<n>`), each
 * making one `batch` job every `alerts.intervalSeconds`. A batch job is one
 * tick of its shard: the worker that takes it probes the shard's targets,
 * spread over the interval (monitor/batch.ts). Any number of workers share the
 * jobs and each job is taken by one of them, so no target is probed twice per
 * interval (a job run again after its worker died counts each target's tick
 * once: Monitor.tick).
 *
 * Why shards and not a job per target (bench/README.md "Monitor"): a BullMQ job
 * costs a few Lua scripts in the queue Redis and their round trips in the
 * worker (add the next job, move to active, lock, complete), more than the
 * probe itself; at 10,000 targets every 10 s that is 1,000 jobs a second. A
 * job per shard per tick is 4 a second at 10,000 targets, and shards still
 * move between workers the BullMQ way: BullMQ adds a scheduler's next job when
 * a worker picks up the current one, so the next tick of a shard goes to
 * whichever worker is alive; a job whose worker died comes back through
 * BullMQ's stalled check.
 *
 * A target's shard is a hash of its name, so every worker computes the same
 * shards from the same config. Shards get evenly spread offsets inside the
 * interval. sync() makes the schedulers exactly the wanted ones: missing or
 * changed ones are upserted, any other scheduler (per-target `probe-<target>`
 * ones of the former design, another shard count) is removed. It runs at start
 * and whenever the queue Redis comes back (a Redis that lost its data has no
 * schedulers).
 */
import { createHash } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';

export const MONITOR_QUEUE = 'monitor';
export const BATCH_JOB = 'batch';
/** Targets per shard, about: a shard is what moves between workers. */
export const SHARD_SIZE = 250;
export const MAX_SHARDS = 64;
const SHARD_PREFIX = 'shard-';
/** The former design's per-target schedulers, removed by sync(). */
const TARGET_PREFIX = 'probe-';
const BATCH = 50;

export interface BatchJobData {
  shard: number;
  shards: number;
}

/** A tick is never retried: the next tick is the retry. Nothing of it is kept once it ran. */
export const BATCH_JOB_OPTIONS: JobsOptions = { attempts: 1, removeOnComplete: true, removeOnFail: true };

export function shardCount(targets: number, shardSize = SHARD_SIZE): number {
  return Math.min(MAX_SHARDS, Math.max(1, Math.ceil(targets / Math.max(1, shardSize))));
}

export function shardOf(target: string, shards: number): number {
  return createHash('sha256').update(target).digest().readUInt32BE(0) % shards;
}

/** Each shard's targets, sorted (every worker the same), for this shard count. */
export function splitShards(targets: readonly string[], shards: number): string[][] {
  const out: string[][] = Array.from({ length: shards }, () => []);
  for (const t of [...new Set(targets)].sort()) out[shardOf(t, shards)]!.push(t);
  return out;
}

export function schedulerId(shard: number, shards: number): string {
  return `${SHARD_PREFIX}${shard}-of-${shards}`;
}

/** 1 … every-1 ms, evenly spread by shard: BullMQ only honours an offset above 0. */
export function shardOffset(shard: number, shards: number, everyMs: number): number {
  return 1 + Math.floor((shard * Math.max(1, everyMs - 1)) / shards);
}

/** Is this job's data a batch (a job of a former per-target scheduler is not)? */
export function isBatch(data: unknown): data is BatchJobData {
  const d = data as Partial<BatchJobData> | null;
  return !!d && Number.isInteger(d.shard) && Number.isInteger(d.shards) && d.shards! >= 1 && d.shards! <= MAX_SHARDS && d.shard! >= 0 && d.shard! < d.shards!;
}

export interface SyncResult {
  upserted: string[];
  removed: string[];
  /** Targets of removed per-target schedulers (the former design): their states can go. */
  removedTargets: string[];
  shards: number;
}

export class MonitorQueue {
  readonly queue: Queue<BatchJobData>;

  constructor(connection: Redis, prefix: string) {
    this.queue = new Queue<BatchJobData>(MONITOR_QUEUE, { connection, prefix });
    this.queue.on('error', () => { /* reported by the connection's watcher (watchRedis) */ });
  }

  /** No targets: no schedulers at all. */
  async sync(targets: readonly string[], everyMs: number, shardSize = SHARD_SIZE): Promise<SyncResult> {
    const shards = shardCount(targets.length, shardSize);
    const existing = new Map<string, { every?: number; offset?: number }>();
    for (const s of await this.queue.getJobSchedulers(0, -1)) existing.set(s.key, { ...(s.every !== undefined ? { every: s.every } : {}), ...(s.offset !== undefined ? { offset: s.offset } : {}) });
    const wanted = targets.length === 0 ? [] : Array.from({ length: shards }, (_, i) => i);
    const wantedIds = new Set(wanted.map((i) => schedulerId(i, shards)));
    const upsert = wanted.filter((i) => {
      const s = existing.get(schedulerId(i, shards));
      return !s || s.every !== everyMs || s.offset !== shardOffset(i, shards, everyMs);
    });
    const remove = [...existing.keys()].filter((id) => (id.startsWith(SHARD_PREFIX) || id.startsWith(TARGET_PREFIX)) && !wantedIds.has(id));
    for (let i = 0; i < upsert.length; i += BATCH) {
      await Promise.all(upsert.slice(i, i + BATCH).map((shard) => this.queue.upsertJobScheduler(
        schedulerId(shard, shards),
        { every: everyMs, offset: shardOffset(shard, shards, everyMs) },
        { name: BATCH_JOB, data: { shard, shards }, opts: BATCH_JOB_OPTIONS },
      )));
    }
    for (let i = 0; i < remove.length; i += BATCH) await Promise.all(remove.slice(i, i + BATCH).map((id) => this.queue.removeJobScheduler(id)));
    return {
      upserted: upsert.map((i) => schedulerId(i, shards)),
      removed: remove,
      removedTargets: remove.filter((id) => id.startsWith(TARGET_PREFIX)).map((id) => id.slice(TARGET_PREFIX.length)),
      shards,
    };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/**
 * The worker of the `monitor` queue: each `batch` job is one tick of one
 * shard of the targets (jobs/monitor-queue.ts, monitor/batch.ts). A failed
 * tick is logged and not retried — the next tick is the retry — so, unlike
 * diagnosis jobs, there is nobody to tell. A batch whose worker died mid-run
 * comes back once through BullMQ's stalled check; Monitor.tick counts a
 * target's tick it has seen already as a duplicate.
 *
 * A batch job lasts about an interval (its probes are spread over it), so a
 * worker takes every shard at once if it is alone: its concurrency is in
 * batches; the probes in flight are bounded by the caller (batch.ts Limit).
 */
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { isBatch, MAX_SHARDS, MONITOR_QUEUE, type BatchJobData } from './monitor-queue.js';
import { stallSettings, type StallOptions } from './worker.js';

export interface MonitorWorkerOptions {
  connection: Redis;
  prefix: string;
  /** One tick of one shard; what it returns is the job's return value. */
  batch: (data: BatchJobData, tickAt: number, stopped: () => boolean, job: Job<BatchJobData>) => Promise<unknown>;
  log: Logger;
  stalls?: StallOptions;
  /** Names the worker in CLIENT LIST (getWorkers). */
  name?: string;
  queue?: string;
}

/** Batches one worker runs at once: every shard, and the next tick of each while the last one's probes finish. */
export const BATCH_CONCURRENCY = 2 * MAX_SHARDS;

/** The tick's scheduled time: BullMQ keeps it as the job's prevMillis (its id is `repeat:<scheduler>:<millis>`). */
export function tickTime(job: Job): number {
  const prev = (job.opts as { prevMillis?: number }).prevMillis;
  if (typeof prev === 'number' && prev > 0) return prev;
  const fromId = Number(/:(\d+)$/.exec(job.id ?? '')?.[1]);
  return Number.isFinite(fromId) && fromId > 0 ? fromId : job.timestamp;
}

export function createMonitorWorker(o: MonitorWorkerOptions): Worker<BatchJobData> {
  const worker: Worker<BatchJobData> = new Worker<BatchJobData>(o.queue ?? MONITOR_QUEUE, async (job: Job<BatchJobData>): Promise<unknown> => {
    // A job of a former per-target scheduler (before sync removed it): nothing to do.
    if (!isBatch(job.data)) return undefined;
    return o.batch(job.data, tickTime(job), () => worker.closing !== undefined, job);
  }, {
    connection: o.connection,
    prefix: o.prefix,
    concurrency: BATCH_CONCURRENCY,
    ...(o.name ? { name: o.name } : {}),
    ...stallSettings(o.stalls, 1),
  });
  // Without a listener an 'error' event would end the process; Redis outages are expected here.
  worker.on('error', (err: Error) => o.log.log('warn', 'monitor worker error', { error: err.message }));
  return worker;
}

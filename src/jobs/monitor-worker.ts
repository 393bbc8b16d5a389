/**
 * The worker of the `monitor` queue: each `probe` job is one tick of one
 * target (monitor/monitor.ts). A failed tick is logged and not retried — the
 * next tick is the retry — so, unlike diagnosis jobs, there is nobody to tell.
 * A tick whose worker died mid-run comes back once through BullMQ's stalled
 * check; Monitor.tick counts a tick it has seen already as a duplicate.
 */
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { MONITOR_QUEUE, type ProbeJobData } from './monitor-queue.js';
import { stallSettings, type StallOptions } from './worker.js';

export interface MonitorWorkerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  tick: (target: string, tickAt: number) => Promise<unknown>;
  log: Logger;
  stalls?: StallOptions;
}

/** The tick's scheduled time: BullMQ keeps it as the job's prevMillis (its id is `repeat:<scheduler>:<millis>`). */
export function tickTime(job: Job<ProbeJobData>): number {
  const prev = (job.opts as { prevMillis?: number }).prevMillis;
  if (typeof prev === 'number' && prev > 0) return prev;
  const fromId = Number(/:(\d+)$/.exec(job.id ?? '')?.[1]);
  return Number.isFinite(fromId) && fromId > 0 ? fromId : job.timestamp;
}

export function createMonitorWorker(o: MonitorWorkerOptions): Worker<ProbeJobData> {
  // Logged once per target until it ticks fine again: a target failing every tick would otherwise log every interval.
  const failing = new Set<string>();
  const worker = new Worker<ProbeJobData>(MONITOR_QUEUE, async (job) => {
    const target = job.data.target;
    try {
      await o.tick(target, tickTime(job));
      if (failing.delete(target)) o.log.log('info', 'monitor tick succeeds again', { target });
    } catch (err) {
      if (!failing.has(target)) o.log.log('warn', 'monitor tick failed', { target, jobId: job.id, error: (err as Error).message });
      failing.add(target);
      throw err;
    }
  }, {
    connection: o.connection,
    prefix: o.prefix,
    concurrency: o.concurrency,
    ...stallSettings(o.stalls, 1),
  });
  // Without a listener an 'error' event would end the process; Redis outages are expected here.
  worker.on('error', (err) => o.log.log('warn', 'monitor worker error', { error: err.message }));
  return worker;
}

/**
 * A BullMQ worker with the failure policy every queue of the bot shares.
 * Transient failures (a Slack 5xx, a network error, a crash) are retried with
 * the job's backoff; permanent ones (a CodedError that is not retryable: a
 * refused target, a config mistake, Slack's `not_in_channel` …) end at once.
 * Either way the last attempt tells the failure before the job is marked failed.
 *
 * A job whose worker dies mid-run never reaches that code: BullMQ's stalled
 * check puts it back in the queue, up to maxStalledCount times, then the next
 * worker to pick it up fails it without running the processor. That worker's
 * 'failed' event tells it; FailureNotices keeps it to one message, whichever
 * process wins.
 */
import { UnrecoverableError, Worker, type Job, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { CodedError, isPermanent } from '../util/errors.js';
import type { FailureNotices } from './failure-notices.js';

/** BullMQ's lockDuration, stalledInterval and maxStalledCount; tests shorten them. */
export interface StallOptions {
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
}

/** StallOptions as BullMQ Worker options; `maxStalledCount` unless the options say otherwise. */
export function stallSettings(s: StallOptions = {}, maxStalledCount: number): Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'maxStalledCount'> {
  return {
    maxStalledCount: s.maxStalledCount ?? maxStalledCount,
    ...(s.lockDurationMs !== undefined ? { lockDuration: s.lockDurationMs } : {}),
    ...(s.stalledIntervalMs !== undefined ? { stalledInterval: s.stalledIntervalMs } : {}),
  };
}

export type JobOutcome = 'completed' | 'retried' | 'failed';

/** What the diagnose and remediate workers are given alike (their options add their own parts). */
export interface JobWorkerBase {
  connection: Redis;
  prefix: string;
  concurrency: number;
  notices: FailureNotices;
  log: Logger;
  stalls?: StallOptions;
}

export interface JobWorkerOptions<D, R> extends JobWorkerBase {
  queueName: string;
  /** Names the job kind in log lines ("diagnosis job attempt failed"). */
  kind: string;
  process: (job: Job<D, R>) => Promise<R>;
  /** Tells a job's final failure to whoever asked; called at most once per job across processes. */
  tellFailure: (data: D, reason: string, attempts: number) => Promise<void>;
  onOutcome?: (outcome: JobOutcome) => void;
}

/** What a user may read: our own error messages, not stack traces. */
export function reasonOf(err: unknown): string {
  const e = err as Error;
  return err instanceof CodedError ? e.message : `internal error: ${e.message ?? String(err)}`;
}

/** Why BullMQ failed a job it did not run: its worker died mid-run more often than allowed. */
function stalledReason(job: Job, err: Error): string | undefined {
  // BullMQ 5 stores "job stalled more than allowable limit" as the job's deferred failure.
  if (!job.deferredFailure || err.message !== job.deferredFailure) return undefined;
  const n = job.stalledCounter;
  return `its worker stopped mid-run (killed, out of memory or blocked) ${n === 1 ? 'once' : `${n} times`} and the job was given up (${err.message})`;
}

export function withFailurePolicy<D, R>(o: Pick<JobWorkerOptions<D, R>, 'kind' | 'process' | 'tellFailure' | 'notices' | 'log'>) {
  return async (job: Job<D, R>): Promise<R> => {
    const id = job.id!;
    try {
      return await o.process(job);
    } catch (err) {
      const permanent = isPermanent(err);
      const attempt = job.attemptsMade + 1;
      const final = permanent || attempt >= (job.opts.attempts ?? 1);
      o.log.log(final ? 'error' : 'warn', `${o.kind} job attempt failed`, { jobId: id, attempt, final, error: (err as Error).message });
      if (final && (await o.notices.claim(id))) await o.tellFailure(job.data, reasonOf(err), attempt);
      if (permanent) throw new UnrecoverableError((err as Error).message);
      throw err;
    }
  };
}

export function createJobWorker<D, R>(o: JobWorkerOptions<D, R>): Worker<D, R> {
  const worker = new Worker<D, R>(o.queueName, withFailurePolicy(o), {
    connection: o.connection,
    prefix: o.prefix,
    concurrency: o.concurrency,
    // A job whose worker died mid-run goes back to the queue twice before it fails.
    ...stallSettings(o.stalls, 2),
  });
  worker.on('completed', () => o.onOutcome?.('completed'));
  worker.on('failed', (job, err) => {
    const retrying = job !== undefined && err.name !== 'UnrecoverableError' && job.attemptsMade < (job.opts.attempts ?? 1);
    o.onOutcome?.(retrying ? 'retried' : 'failed');
    if (retrying) return;
    if (!job?.id) {
      o.log.log('error', `a ${o.kind} job failed and cannot be reported: BullMQ gave no job`, { error: err.message });
      return;
    }
    // Usually the processor's last attempt has reported already and holds the marker: then nothing happens here.
    const jobId = job.id;
    const reason = stalledReason(job, err) ?? reasonOf(err);
    const attempts = job.deferredFailure ? job.stalledCounter : job.attemptsMade;
    void o.notices.claim(jobId).then(async (mine) => {
      if (!mine) return;
      o.log.log('error', `${o.kind} job failed outside the processor`, { jobId, attempts, error: err.message });
      await o.tellFailure(job.data, reason, attempts);
    }).catch((e: Error) => o.log.log('error', 'could not report the failed job', { jobId, error: e.message }));
  });
  // Without a listener an 'error' event would end the process; Redis outages are expected here.
  worker.on('error', (err) => o.log.log('warn', 'worker error', { error: err.message }));
  return worker;
}

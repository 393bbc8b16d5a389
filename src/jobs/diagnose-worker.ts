/**
 * The BullMQ worker of the `diagnose` queue. Transient failures (Slack 5xx,
 * network errors, an engine crash) are retried with backoff from the
 * checkpoint the last attempt saved; permanent ones (refused or unknown
 * target, Slack `not_in_channel` …) end at once. Either way the last attempt
 * reports the failure in Slack before the job is marked failed.
 *
 * A job whose worker dies mid-run never reaches that code: BullMQ's stalled
 * check puts it back in the queue, up to maxStalledCount times, then the next
 * worker to pick it up fails it without running the processor. That worker's
 * 'failed' event reports it; FailureNotices keeps it to one message.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ConfigError } from '../config/load.js';
import { ResolveError } from '../config/resolve-target.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { FailureNotices } from './failure-notices.js';
import { SlackPostError } from '../slack/reporter.js';
import { RefusedTargetError } from '../slack/resolve.js';
import { QUEUE_NAME, type DiagnoseJobData } from './queue.js';
import type { DiagnosisRunner } from './run-diagnosis.js';

export interface JobResult {
  verdict: string;
  primaryCause: string | null;
  findings: number;
}

function isPermanent(err: unknown): boolean {
  if (err instanceof SlackPostError) return !err.transient;
  return err instanceof RefusedTargetError || err instanceof ResolveError || err instanceof ConfigError;
}

/** What a user may read: our own error messages, not stack traces. */
function reasonOf(err: unknown): string {
  const e = err as Error;
  return isPermanent(err) || err instanceof SlackPostError ? e.message : `internal error: ${e.message ?? String(err)}`;
}

/** Why BullMQ failed a job it did not run: its worker died mid-run more often than allowed. */
function stalledReason(job: Job<DiagnoseJobData, JobResult>, err: Error): string | undefined {
  // BullMQ 5 stores "job stalled more than allowable limit" as the job's deferred failure.
  if (!job.deferredFailure || err.message !== job.deferredFailure) return undefined;
  const n = job.stalledCounter;
  return `its worker stopped mid-run (killed, out of memory or blocked) ${n === 1 ? 'once' : `${n} times`} and the job was given up (${err.message})`;
}

export function createDiagnoseProcessor(runner: DiagnosisRunner, log: Logger, notices: FailureNotices) {
  return async (job: Job<DiagnoseJobData, JobResult>): Promise<JobResult> => {
    const id = job.id!;
    try {
      const d = await runner.run(id, job.data, async (state) => {
        await job.updateData({ ...job.data, state });
      });
      return { verdict: d.verdict, primaryCause: d.primaryCause, findings: d.findings.length };
    } catch (err) {
      const permanent = isPermanent(err);
      const attempt = job.attemptsMade + 1;
      const final = permanent || attempt >= (job.opts.attempts ?? 1);
      log.log(final ? 'error' : 'warn', 'diagnosis job attempt failed', { jobId: id, attempt, final, error: (err as Error).message });
      if (final && (await notices.claim(id))) await runner.reportFailure(job.data, reasonOf(err), attempt);
      if (permanent) throw new UnrecoverableError((err as Error).message);
      throw err;
    }
  };
}

export interface WorkerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  runner: DiagnosisRunner;
  notices: FailureNotices;
  metrics: Metrics;
  log: Logger;
  /** BullMQ's lockDuration, stalledInterval and maxStalledCount; tests shorten them. */
  stalls?: StallOptions;
}

export interface StallOptions {
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
}

export function createDiagnoseWorker(o: WorkerOptions): Worker<DiagnoseJobData, JobResult> {
  const s = o.stalls ?? {};
  const worker = new Worker<DiagnoseJobData, JobResult>(QUEUE_NAME, createDiagnoseProcessor(o.runner, o.log, o.notices), {
    connection: o.connection,
    prefix: o.prefix,
    concurrency: o.concurrency,
    // A job whose worker died mid-run goes back to the queue twice before it fails.
    maxStalledCount: s.maxStalledCount ?? 2,
    ...(s.lockDurationMs !== undefined ? { lockDuration: s.lockDurationMs } : {}),
    ...(s.stalledIntervalMs !== undefined ? { stalledInterval: s.stalledIntervalMs } : {}),
  });
  worker.on('completed', () => o.metrics.jobs.inc({ outcome: 'completed' }));
  worker.on('failed', (job, err) => {
    const retrying = job !== undefined && err.name !== 'UnrecoverableError' && job.attemptsMade < (job.opts.attempts ?? 1);
    o.metrics.jobs.inc({ outcome: retrying ? 'retried' : 'failed' });
    if (retrying) return;
    if (!job?.id) {
      o.log.log('error', 'a diagnosis job failed and cannot be reported: BullMQ gave no job', { error: err.message });
      return;
    }
    // Usually the processor's last attempt has reported already and holds the marker: then nothing happens here.
    const jobId = job.id;
    const reason = stalledReason(job, err) ?? reasonOf(err);
    const attempts = job.deferredFailure ? job.stalledCounter : job.attemptsMade;
    void o.notices.claim(jobId).then(async (mine) => {
      if (!mine) return;
      o.log.log('error', 'diagnosis job failed outside the processor', { jobId, attempts, error: err.message });
      await o.runner.reportFailure(job.data, reason, attempts);
    }).catch((e: Error) => o.log.log('error', 'could not report the failed job', { jobId, error: e.message }));
  });
  // Without a listener an 'error' event would end the process; Redis outages are expected here.
  worker.on('error', (err) => o.log.log('warn', 'worker error', { error: err.message }));
  return worker;
}

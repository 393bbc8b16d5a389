/**
 * The BullMQ worker of the `diagnose` queue. Transient failures (Slack 5xx,
 * network errors, an engine crash) are retried with backoff from the
 * checkpoint the last attempt saved; permanent ones (refused or unknown
 * target, Slack `not_in_channel` …) end at once. Either way the last attempt
 * reports the failure in Slack before the job is marked failed.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ConfigError } from '../config/load.js';
import { ResolveError } from '../config/resolve-target.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
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

export function createDiagnoseProcessor(runner: DiagnosisRunner, log: Logger) {
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
      if (final) await runner.reportFailure(job.data, reasonOf(err), attempt);
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
  metrics: Metrics;
  log: Logger;
}

export function createDiagnoseWorker(o: WorkerOptions): Worker<DiagnoseJobData, JobResult> {
  const worker = new Worker<DiagnoseJobData, JobResult>(QUEUE_NAME, createDiagnoseProcessor(o.runner, o.log), {
    connection: o.connection,
    prefix: o.prefix,
    concurrency: o.concurrency,
    // A job whose worker died mid-run goes back to the queue twice before it fails.
    maxStalledCount: 2,
  });
  worker.on('completed', () => o.metrics.jobs.inc({ outcome: 'completed' }));
  worker.on('failed', (job, err) => {
    const retrying = job !== undefined && err.name !== 'UnrecoverableError' && job.attemptsMade < (job.opts.attempts ?? 1);
    o.metrics.jobs.inc({ outcome: retrying ? 'retried' : 'failed' });
  });
  // Without a listener an 'error' event would end the process; Redis outages are expected here.
  worker.on('error', (err) => o.log.log('warn', 'worker error', { error: err.message }));
  return worker;
}

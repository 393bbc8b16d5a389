/**
 * The worker of the `diagnose` queue: each job runs one diagnosis through the
 * DiagnosisRunner, checkpointing the reporter's state in the job so a retry
 * resumes instead of telling twice. Retry, stall and failure policy: worker.ts.
 */
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { FailureNotices } from './failure-notices.js';
import { QUEUE_NAME, type DiagnoseJobData } from './queue.js';
import type { DiagnosisRunner } from './run-diagnosis.js';
import type { RunClaims } from './run-claims.js';
import { createJobWorker, type StallOptions } from './worker.js';

export interface JobResult {
  verdict: string;
  primaryCause: string | null;
  findings: number;
}

export interface DiagnoseWorkerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  runner: DiagnosisRunner;
  notices: FailureNotices;
  /** One run per job: a job the web process ran while the queue stalled is not run again. */
  claims: RunClaims;
  metrics: Metrics;
  log: Logger;
  stalls?: StallOptions;
}

export function createDiagnoseWorker(o: DiagnoseWorkerOptions): Worker<DiagnoseJobData, JobResult> {
  return createJobWorker<DiagnoseJobData, JobResult>({
    queueName: QUEUE_NAME,
    kind: 'diagnosis',
    connection: o.connection,
    prefix: o.prefix,
    concurrency: o.concurrency,
    notices: o.notices,
    log: o.log,
    ...(o.stalls ? { stalls: o.stalls } : {}),
    onOutcome: (outcome) => o.metrics.jobs.inc({ outcome }),
    process: async (job: Job<DiagnoseJobData, JobResult>) => {
      if (!(await o.claims.forWorker(job.id!))) {
        o.log.log('info', 'job already diagnosed in the web process while the queue was stalled: not run again', { jobId: job.id });
        return { verdict: 'ran-in-web-process', primaryCause: null, findings: 0 };
      }
      const d = await o.runner.run(job.id!, job.data, async (state) => {
        await job.updateData({ ...job.data, state });
      });
      return { verdict: d.verdict, primaryCause: d.primaryCause, findings: d.findings.length };
    },
    tellFailure: (data, reason, attempts) => o.runner.reportFailure(data, reason, attempts),
  });
}

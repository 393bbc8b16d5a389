/**
 * The worker of the `diagnose` queue: each job runs one diagnosis through the
 * DiagnosisRunner, checkpointing the reporter's state in the job so a retry
 * resumes instead of telling twice. Retry, stall and failure policy: worker.ts.
 */
import type { Job, Worker } from 'bullmq';
import type { Metrics } from '../metrics.js';
import { QUEUE_NAME, type DiagnoseJobData } from './queue.js';
import type { DiagnosisRunner } from './run-diagnosis.js';
import type { RunClaims } from './run-claims.js';
import { createJobWorker, type JobWorkerBase } from './worker.js';

export interface JobResult {
  verdict: string;
  primaryCause: string | null;
  findings: number;
}

export interface DiagnoseWorkerOptions extends JobWorkerBase {
  runner: DiagnosisRunner;
  /** One run per job: a job the web process ran while the queue stalled is not run again. */
  claims: RunClaims;
  metrics: Metrics;
}

export function createDiagnoseWorker({ runner, claims, metrics, ...base }: DiagnoseWorkerOptions): Worker<DiagnoseJobData, JobResult> {
  return createJobWorker<DiagnoseJobData, JobResult>({
    ...base,
    queueName: QUEUE_NAME,
    kind: 'diagnosis',
    onOutcome: (outcome) => metrics.jobs.inc({ outcome }),
    process: async (job: Job<DiagnoseJobData, JobResult>) => {
      if (!(await claims.forWorker(job.id!))) {
        base.log.log('info', 'job already diagnosed in the web process while the queue was stalled: not run again', { jobId: job.id });
        return { verdict: 'ran-in-web-process', primaryCause: null, findings: 0 };
      }
      const d = await runner.run(job.id!, job.data, async (state) => {
        await job.updateData({ ...job.data, state });
      });
      return { verdict: d.verdict, primaryCause: d.primaryCause, findings: d.findings.length };
    },
    tellFailure: (data, reason, attempts) => runner.reportFailure(data, reason, attempts),
  });
}

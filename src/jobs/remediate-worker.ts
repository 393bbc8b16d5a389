/**
 * The worker of the `remediate` queue: each job is one approved request, run
 * by the RemediationRunner (at most once: see run-remediation.ts), with the
 * reporter's progress checkpointed in the job. Retry, stall and failure
 * policy: worker.ts — a job whose worker died mid-run is picked up again,
 * finds `running` in the ledger and ends `unknown` without sending.
 */
import type { Job, Worker } from 'bullmq';
import { REMEDIATE_QUEUE_NAME, type RemediateJobData } from './remediate-queue.js';
import type { RemediationRunner } from './run-remediation.js';
import { createJobWorker, type JobWorkerBase } from './worker.js';

export interface RemediateJobResult {
  state: string;
  sent: boolean;
}

export interface RemediateWorkerOptions extends JobWorkerBase {
  runner: RemediationRunner;
}

export function createRemediateWorker({ runner, ...base }: RemediateWorkerOptions): Worker<RemediateJobData, RemediateJobResult> {
  return createJobWorker<RemediateJobData, RemediateJobResult>({
    ...base,
    queueName: REMEDIATE_QUEUE_NAME,
    kind: 'remediation',
    process: async (job: Job<RemediateJobData, RemediateJobResult>) => {
      const ledger = await runner.run(job.id!, job.attemptsMade + 1, job.data, async (state) => {
        await job.updateData({ ...job.data, state });
      });
      return { state: ledger.state, sent: ledger.sent ?? false };
    },
    tellFailure: (data, reason) => runner.reportFailure(data, reason),
  });
}

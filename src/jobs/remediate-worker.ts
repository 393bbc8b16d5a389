/**
 * The worker of the `remediate` queue: each job is one approved request, run
 * by the RemediationRunner (at most once: see run-remediation.ts), with the
 * reporter's progress checkpointed in the job. Retry, stall and failure
 * policy: worker.ts — a job whose worker died mid-run is picked up again,
 * finds `running` in the ledger and ends `unknown` without sending.
 */
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { FailureNotices } from './failure-notices.js';
import { REMEDIATE_QUEUE_NAME, type RemediateJobData } from './remediate-queue.js';
import type { RemediationRunner } from './run-remediation.js';
import { createJobWorker, type StallOptions } from './worker.js';

export interface RemediateJobResult {
  state: string;
  sent: boolean;
}

export interface RemediateWorkerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  runner: RemediationRunner;
  notices: FailureNotices;
  log: Logger;
  stalls?: StallOptions;
}

export function createRemediateWorker(o: RemediateWorkerOptions): Worker<RemediateJobData, RemediateJobResult> {
  return createJobWorker<RemediateJobData, RemediateJobResult>({
    queueName: REMEDIATE_QUEUE_NAME,
    kind: 'remediation',
    connection: o.connection,
    prefix: o.prefix,
    concurrency: o.concurrency,
    notices: o.notices,
    log: o.log,
    ...(o.stalls ? { stalls: o.stalls } : {}),
    process: async (job: Job<RemediateJobData, RemediateJobResult>) => {
      const ledger = await o.runner.run(job.id!, job.attemptsMade + 1, job.data, async (state) => {
        await job.updateData({ ...job.data, state });
      });
      return { state: ledger.state, sent: ledger.sent ?? false };
    },
    tellFailure: (data, reason) => o.runner.reportFailure(data, reason),
  });
}

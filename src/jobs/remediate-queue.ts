/**
 * The BullMQ queue `remediate`, beside `diagnose` under the same prefix (one
 * hash tag, one Cluster slot). A job is one approved request: its data is the
 * request id and where to tell the outcome — references only; the command,
 * the target and its credentials are looked up by the worker (the ledger, its
 * own config and environment).
 *
 * The job id is derived from the request id, so queueing the same approval
 * twice (an approver clicking again after the queue hiccuped) is one job.
 * BullMQ retries a failed attempt with backoff; the processor only throws
 * when nothing was sent (run-remediation.ts), so a retry never sends twice.
 */
import { Job, Queue } from 'bullmq';
import { withTimeout } from '../util/timeout.js';
import type { Redis } from 'ioredis';
import type { Origin } from './origin.js';
import { boundedAdd, JOB_OPTIONS, type ReportState } from './queue.js';

export const REMEDIATE_QUEUE_NAME = 'remediate';

export interface RemediateJobData {
  requestId: string;
  origin: Origin;
  /** Who approved (a Slack user id), for the logs. */
  approvedBy: string;
  queuedAt: number;
  /** What the origin's reporter has told so far (a retry resumes instead of telling twice). */
  state?: ReportState;
}

/** `x-<request id>`: request ids are [A-Za-z0-9_-] (no ':', which BullMQ refuses in custom ids). */
export function remediateJobId(requestId: string): string {
  return `x-${requestId}`;
}

export class RemediateQueue {
  readonly queue: Queue<RemediateJobData>;

  constructor(private readonly redis: Redis, readonly prefix: string) {
    // The diagnose queue's options: only attempts that sent nothing fail and are retried, after 1 s, then 2 s.
    this.queue = new Queue<RemediateJobData>(REMEDIATE_QUEUE_NAME, { connection: redis, prefix, defaultJobOptions: JOB_OPTIONS });
    this.queue.on('error', () => { /* reported by the connection's watcher (watchRedis) */ });
  }

  /**
   * Throws QueueDownError when the queue Redis cannot take it now. A finished
   * job of the same request that left it `approved` (no worker served its
   * location: nothing claimed, nothing sent) is removed first, so an
   * approver's click queues it again; any other job of it stands (one job).
   */
  async enqueue(data: RemediateJobData): Promise<string> {
    const jobId = remediateJobId(data.requestId);
    const old = await withTimeout(Job.fromId(this.queue, jobId), 1000, 'reading the earlier job').catch(() => undefined);
    if (old?.finishedOn && (old.returnvalue as { state?: unknown } | null)?.state === 'approved') await old.remove().catch(() => undefined);
    const job = await boundedAdd(this.redis, () => this.queue.add('remediate', data, { jobId }), 'adding the remediation job');
    return job.id ?? jobId;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

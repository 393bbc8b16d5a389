/**
 * Exactly one failure message per job. A job can end in failure from two
 * places: the processor's last attempt (it reports before throwing) and the
 * worker's 'failed' event, which alone sees the jobs BullMQ fails without
 * running the processor — a job "stalled more than allowable limit" (its
 * worker died mid-run more than maxStalledCount times) is failed by the next
 * worker that picks it up. Both claim a marker keyed by job id with SET NX;
 * only the winner posts, whichever process it runs in.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { storeKey } from '../stores/keys.js';
import { withTimeout } from '../util/timeout.js';
import { FAILED_JOB_KEEP_S } from './queue.js';

/** As long as BullMQ keeps a failed job (JOB_OPTIONS.removeOnFail). */
const MARKER_TTL_S = FAILED_JOB_KEEP_S;
const REDIS_MS = 1000;

export class FailureNotices {
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly log: Logger) {}

  key(jobId: string): string {
    return storeKey(this.prefix, 'failure-reported', jobId);
  }

  /**
   * True when this caller is the one to report the job's failure. When Redis
   * cannot say, the answer is true as well: a message twice is better than none.
   */
  async claim(jobId: string): Promise<boolean> {
    try {
      const won = await withTimeout(this.redis.set(this.key(jobId), String(process.pid), 'EX', MARKER_TTL_S, 'NX'), REDIS_MS, 'claiming the failure report');
      return won === 'OK';
    } catch (err) {
      this.log.log('warn', 'failure report marker unavailable: reporting anyway', { jobId, error: (err as Error).message });
      return true;
    }
  }
}

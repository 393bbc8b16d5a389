/**
 * One diagnosis per command, whatever the queue Redis does. When the queue
 * Redis stalls (SIGSTOP, a long fork, a network hiccup), an add that timed out
 * on our side is still in flight and lands when Redis resumes: the web
 * process runs the diagnosis itself meanwhile, and the worker that later
 * takes the landed job must not run it a second time.
 *
 * The claim is `SET <prefix>:store:run:<job id> inline|worker NX`. The web
 * process sends its claim on the same connection right behind the timed-out
 * add: Redis executes a client's pipelined commands in order, and a worker
 * blocked on the queue can only claim the job with a command it sends after
 * the add woke it — so the web's claim always lands first. The web runs
 * inline when its claim is won, or when Redis cannot say (still stalled: the
 * claim is queued behind the add); it does not when a worker already holds it.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { storeKey } from '../stores/keys.js';
import { withTimeout } from '../util/timeout.js';
import { FAILED_JOB_KEEP_S } from './queue.js';

/** As long as BullMQ keeps a job (JOB_OPTIONS.removeOnFail). */
const CLAIM_TTL_S = FAILED_JOB_KEEP_S;
const WORKER_CLAIM_MS = 2000;

export type InlineClaim = 'mine' | 'theirs' | 'unknown';

export class RunClaims {
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly log: Logger) {}

  key(jobId: string): string {
    return storeKey(this.prefix, 'run', jobId);
  }

  /** For the web process, right after an add of `jobId` timed out. */
  async forInline(jobId: string, waitMs: number): Promise<InlineClaim> {
    const key = this.key(jobId);
    try {
      const won = await withTimeout(this.redis.set(key, 'inline', 'EX', CLAIM_TTL_S, 'NX'), waitMs, 'claiming the run');
      if (won === 'OK') return 'mine';
      const holder = await withTimeout(this.redis.get(key), waitMs, 'reading the run claim');
      return holder === 'inline' ? 'mine' : 'theirs';
    } catch {
      return 'unknown';
    }
  }

  /**
   * For a worker about to run `jobId`: false when the web process ran it already.
   * When Redis cannot say, true: a diagnosis twice is better than none.
   */
  async forWorker(jobId: string): Promise<boolean> {
    const key = this.key(jobId);
    try {
      const won = await withTimeout(this.redis.set(key, 'worker', 'EX', CLAIM_TTL_S, 'NX'), WORKER_CLAIM_MS, 'claiming the run');
      if (won === 'OK') return true;
      return (await withTimeout(this.redis.get(key), WORKER_CLAIM_MS, 'reading the run claim')) !== 'inline';
    } catch (err) {
      this.log.log('warn', 'run claim unavailable: running the job', { jobId, error: (err as Error).message });
      return true;
    }
  }
}

/**
 * Hands a diagnosis to the queue, or runs it in this process when the queue
 * Redis is unreachable: a Redis doctor must still work when Redis is the
 * problem. In-process runs are bounded in number and deduplicated like
 * queued ones.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { DEDUP_WINDOW_MS, dedupKey, QueueDownError, type DiagnoseJobData, type DiagnoseQueue } from './queue.js';
import type { JobWatch } from './job-watch.js';
import type { RunClaims } from './run-claims.js';
import type { DiagnosisRunner } from './run-diagnosis.js';

export type Submitted =
  | { via: 'queue'; id: string; deduplicated: boolean }
  | { via: 'inline'; id: string; deduplicated: boolean; queueError: string }
  /** Nothing was sent to the queue and this process runs as many as it may: try again. */
  | { via: 'busy'; queueError: string }
  /** The add timed out and may still land; this process is too busy to run it meanwhile: it runs when it lands. */
  | { via: 'pending'; id: string; queueError: string };

/** How long the web process waits for its run claim after a timed-out add before running anyway. */
const CLAIM_WAIT_MS = 1500;

const INLINE_NOTE = 'The job queue (REDIS_URL) is unreachable: this diagnosis ran inside the web process.';

export class Dispatcher {
  private readonly running = new Set<Promise<void>>();
  private readonly recent = new Map<string, { id: string; until: number }>();

  constructor(
    private readonly queue: DiagnoseQueue,
    private readonly runner: DiagnosisRunner,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly maxInline: number,
    private readonly claims: RunClaims,
    /** The jobs this process accepted, until they end (job-watch.ts). */
    private readonly watch?: JobWatch,
  ) {}

  async submit(data: DiagnoseJobData, requestId?: string): Promise<Submitted> {
    try {
      const { jobId, deduplicated } = await this.queue.enqueue(data, requestId);
      this.watch?.add(jobId, data);
      return { via: 'queue', id: jobId, deduplicated };
    } catch (err) {
      if (!(err instanceof QueueDownError)) throw err;
      this.log.log('warn', 'queue unreachable: diagnosing in process', { error: err.message });
      // An add that timed out may still land: the run is claimed first, under the job's own id (run-claims.ts).
      if (err.inFlight) return this.runInFlight(data, err.inFlight, err.message);
      return this.runInline(data, err.message);
    }
  }

  private async runInFlight(data: DiagnoseJobData, jobId: string, queueError: string): Promise<Submitted> {
    if (this.busy()) {
      this.watch?.add(jobId, data);
      return { via: 'pending', id: jobId, queueError };
    }
    const claim = await this.claims.forInline(jobId, CLAIM_WAIT_MS);
    if (claim === 'theirs') {
      this.watch?.add(jobId, data);
      return { via: 'queue', id: jobId, deduplicated: false };
    }
    return this.runInline(data, queueError, jobId);
  }

  private busy(): boolean {
    return this.running.size >= this.maxInline;
  }

  private runInline(data: DiagnoseJobData, queueError: string, jobId?: string): Submitted {
    const key = dedupKey(data);
    const now = Date.now();
    for (const [k, v] of this.recent) if (v.until <= now) this.recent.delete(k);
    const earlier = this.recent.get(key);
    if (earlier) return { via: 'inline', id: earlier.id, deduplicated: true, queueError };
    if (this.busy()) {
      if (!jobId) return { via: 'busy', queueError };
      this.watch?.add(jobId, data);
      return { via: 'pending', id: jobId, queueError };
    }

    const id = jobId ?? `i-${randomBytes(12).toString('hex')}`;
    this.recent.set(key, { id, until: now + DEDUP_WINDOW_MS });
    const run = this.runner
      .run(id, data, async (state) => { data.state = state; }, INLINE_NOTE)
      .then(
        () => { this.metrics.jobs.inc({ outcome: 'inline-completed' }); },
        async (err: Error) => {
          this.metrics.jobs.inc({ outcome: 'inline-failed' });
          this.log.log('error', 'in-process diagnosis failed', { id, error: err.message });
          await this.runner.reportFailure(data, err.message, 1);
        },
      )
      .finally(() => this.running.delete(run));
    this.running.add(run);
    return { via: 'inline', id, deduplicated: false, queueError };
  }

  /** Resolves when every in-process diagnosis has finished (graceful shutdown). */
  async drain(): Promise<void> {
    this.watch?.stop();
    await Promise.allSettled([...this.running]);
  }
}

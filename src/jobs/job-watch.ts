/**
 * Every accepted command ends with a result or a message that it must be
 * sent again — never silence — even when the queue Redis restarts mid-flight
 * and, without persistence, forgets its jobs. The web process that accepted a
 * job keeps a note of it until it has ended; every few seconds it looks the
 * job up. A job that has ended (completed, failed: its worker told the user)
 * is forgotten. A job the queue no longer knows, with no stored diagnosis
 * either, for longer than a diagnosis can take (a worker may still be running
 * it from memory, and will store and post its result), was lost: its origin's
 * reporter tells the user to send it again. While the queue Redis cannot be
 * asked, nothing is decided.
 *
 * Bounded: at most MAX_WATCHED jobs, each for at most MAX_AGE_MS (Slack's
 * response_url, the way back to the user, lives 30 minutes).
 */
import type { Queue } from 'bullmq';
import type { Logger } from '../log.js';
import type { DiagnosisStore } from '../stores/diagnosis-store.js';
import { withTimeout } from '../util/timeout.js';
import type { DiagnoseJobData } from './queue.js';

export const WATCH_INTERVAL_MS = 5000;
const MAX_WATCHED = 1000;
const MAX_AGE_MS = 25 * 60 * 1000;
const LOOKUP_MS = 1000;

interface Watched {
  data: DiagnoseJobData;
  since: number;
  /** When the queue was first seen not to know the job (undefined: it knows it). */
  missingSince?: number;
}

export class JobWatch {
  private readonly jobs = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly queue: Queue<DiagnoseJobData>,
    private readonly store: DiagnosisStore,
    private readonly tellLost: (data: DiagnoseJobData, reason: string) => Promise<void>,
    private readonly log: Logger,
    /** Longer than any diagnosis runs (pipeline and SSH bounds): a job missing this long is not running anywhere. */
    private readonly lostAfterMs: number,
    private readonly intervalMs = WATCH_INTERVAL_MS,
  ) {}

  add(jobId: string, data: DiagnoseJobData): void {
    if (this.jobs.has(jobId)) return;
    if (this.jobs.size >= MAX_WATCHED) this.jobs.delete(this.jobs.keys().next().value as string);
    this.jobs.set(jobId, { data, since: Date.now() });
    this.timer ??= setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const [id, w] of [...this.jobs]) {
        if (Date.now() - w.since > MAX_AGE_MS) {
          this.jobs.delete(id);
          continue;
        }
        let state: string;
        try {
          state = await withTimeout(this.queue.getJobState(id), LOOKUP_MS, 'looking up the job');
        } catch {
          return; // The queue Redis cannot be asked now: decide nothing, look again later.
        }
        if (state === 'completed' || state === 'failed') {
          this.jobs.delete(id);
        } else if (state === 'unknown') {
          const stored = await this.store.get(id).catch(() => undefined);
          if (stored) {
            this.jobs.delete(id);
          } else if (Date.now() - (w.missingSince ??= Date.now()) >= this.lostAfterMs) {
            this.jobs.delete(id);
            this.log.log('warn', 'an accepted job is gone from the queue (did the queue Redis restart?): telling the requester', { jobId: id, input: w.data.input });
            await this.tellLost(w.data, 'the job queue (the bot\'s own Redis, REDIS_URL) lost this request, most likely in a restart: please send it again').catch((err: Error) => this.log.log('error', 'could not tell a lost job', { jobId: id, error: err.message }));
          }
        } else {
          delete w.missingSince;
        }
      }
    } finally {
      this.checking = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

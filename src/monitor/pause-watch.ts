/**
 * While the bot's own Redis is down the monitor cannot run (its schedule,
 * states and incidents live there), and would fall silent exactly when
 * something is wrong. The web process watches the queue Redis as /readyz
 * does and says so in `alerts.channel`: one "paused" message once it has been
 * down for `pauseAfterMs` (a blip of a second posts nothing), and one
 * "resumed" reply once it has been back for `resumeAfterMs`.
 *
 * The posts are retried a bounded number of times (the Web API client retries
 * each of them too); a resumed notice is only posted when the paused one was.
 * With several web processes each says it once: they cannot agree through the
 * Redis that is down.
 */
import type { Logger } from '../log.js';
import type { PauseInfo, PauseSink } from './alert-sink.js';

export interface PauseWatchOptions {
  pauseAfterMs?: number;
  resumeAfterMs?: number;
  /** Attempts per post, and the wait before the first retry (doubled each time). */
  attempts?: number;
  retryMs?: number;
  now?: () => number;
}

export type QueueCheck = () => Promise<{ up: true } | { up: false; reason: string }>;

export const PAUSE_AFTER_MS = 10_000;
export const RESUME_AFTER_MS = 5_000;

export class PauseWatch {
  private downSince: number | undefined;
  private upSince: number | undefined;
  private reason = '';
  /** The pause being told: its info and the post (settles to the ts, or undefined when it could not be posted). */
  private paused: { info: PauseInfo; posted: Promise<string | undefined> } | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly o: Required<PauseWatchOptions>;

  constructor(private readonly check: QueueCheck, private readonly sink: PauseSink, private readonly channel: string, private readonly log: Logger, options: PauseWatchOptions = {}) {
    this.o = {
      pauseAfterMs: options.pauseAfterMs ?? PAUSE_AFTER_MS,
      resumeAfterMs: options.resumeAfterMs ?? RESUME_AFTER_MS,
      attempts: options.attempts ?? 5,
      retryMs: options.retryMs ?? 2000,
      now: options.now ?? Date.now,
    };
  }

  /** True while a paused notice is out (or being posted) and no resumed one has followed. */
  get isPaused(): boolean {
    return this.paused !== undefined;
  }

  /** One look at the queue Redis; the component calls it every second. */
  async poll(): Promise<void> {
    const r = await this.check().catch((err: Error) => ({ up: false as const, reason: err.message }));
    const now = this.o.now();
    if (!r.up) {
      this.reason = r.reason;
      this.upSince = undefined;
      this.downSince ??= now;
      if (!this.paused && now - this.downSince >= this.o.pauseAfterMs) {
        const info = { since: this.downSince, reason: this.reason };
        this.log.log('warn', 'monitoring paused: the queue Redis is unreachable', { since: new Date(info.since).toISOString(), reason: info.reason });
        const posted = this.enqueue(() => this.withRetries('paused', () => this.sink.paused(this.channel, info)));
        this.paused = { info, posted };
      }
      return;
    }
    this.downSince = undefined;
    if (!this.paused) return;
    this.upSince ??= now;
    if (now - this.upSince < this.o.resumeAfterMs) return;
    const { info, posted } = this.paused;
    this.paused = undefined;
    const until = this.upSince;
    this.upSince = undefined;
    this.log.log('info', 'monitoring resumed: the queue Redis is reachable again', { downMs: until - info.since });
    this.enqueue(async () => {
      const ts = await posted;
      // Nobody was told it paused: a "resumed" out of nowhere would only confuse.
      if (ts === undefined) return;
      await this.withRetries('resumed', () => this.sink.resumed(this.channel, ts, { ...info, until }));
    });
  }

  /** Posts one after the other, in order: a resumed notice waits for its paused one. */
  private enqueue<T>(work: () => Promise<T>): Promise<T | undefined> {
    const run = this.tail.then(work, work).catch(() => undefined);
    this.tail = run;
    return run;
  }

  private async withRetries<T>(what: string, post: () => Promise<T>): Promise<T | undefined> {
    let wait = this.o.retryMs;
    for (let attempt = 1; attempt <= this.o.attempts; attempt++) {
      try {
        return await post();
      } catch (err) {
        const last = attempt === this.o.attempts;
        this.log.log(last ? 'error' : 'warn', `could not post the monitoring ${what} notice`, { attempt, final: last, error: (err as Error).message });
        if (last || this.closed) return undefined;
        await this.nap(wait);
        if (this.closed) return undefined;
        wait *= 2;
      }
    }
    return undefined;
  }

  /** Shutdown: no retry is started after this (a post under way still completes). */
  close(): void {
    this.closed = true;
    this.wake?.();
  }

  private nap(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Resolves when the posts started so far have settled (tests, shutdown). */
  async settled(): Promise<void> {
    await this.tail;
  }
}

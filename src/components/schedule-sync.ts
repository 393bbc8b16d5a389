/**
 * Makes a queue's job schedulers match the config, whenever the queue Redis
 * is (again) ready, and again every SYNC_RETRY_MS until it succeeds: one run
 * at a time, none after stop(). Shared by the monitor and a location's
 * monitor (their `sync` differs: what they do with removed targets).
 */
import type { Logger } from '../log.js';

const SYNC_RETRY_MS = 5000;

export class ScheduleSync {
  private running: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  /** `what`: the log's words (`monitor schedule`); `fields`: added to the retry's log line. */
  constructor(private readonly sync: () => Promise<void>, private readonly what: string, private readonly log: Logger, private readonly fields: Record<string, unknown> = {}) {}

  /** The connection is ready: sync now unless a run is under way. */
  run(): void {
    if (this.stopped) return;
    this.running ??= this.once().finally(() => { this.running = undefined; });
  }

  private async once(): Promise<void> {
    try {
      await this.sync();
    } catch (err) {
      if (this.stopped) return;
      this.log.log('warn', `${this.what} not updated yet: retrying`, { ...this.fields, error: (err as Error).message });
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.run(), SYNC_RETRY_MS);
      this.retry.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
  }

  /** Resolves once a run under way has ended. */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
  }
}

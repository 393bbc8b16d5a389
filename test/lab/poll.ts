/** Bounded polling: the lab waits on conditions, never on fixed sleeps. */
import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  /** What is awaited, for the error message. */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
  /** Errors for which retrying is pointless (the process died): rethrown at once. */
  stopOn?: (error: unknown) => boolean;
}

/**
 * Calls `probe` until it returns a value other than undefined (or throws
 * something other than a retryable error) — at most timeoutMs (default 10 s).
 * A probe that throws is retried (unless stopOn says otherwise); the last
 * error is reported on timeout.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let attempt = 0; attempt < Math.ceil(timeoutMs / intervalMs) + 1; attempt++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = undefined;
    } catch (error) {
      if (options.stopOn?.(error)) throw error;
      last = error;
    }
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  const why = last instanceof Error ? `: ${last.message}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what}${why}`);
}

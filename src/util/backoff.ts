/** Capped exponential backoff: `initialMs` before the second attempt, doubling each time, never above `maxMs`. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/** The wait after failed attempt number `attempt` (1-based). */
export function backoffDelay(attempt: number, { initialMs, maxMs }: Backoff): number {
  return Math.min(maxMs, initialMs * 2 ** (attempt - 1));
}

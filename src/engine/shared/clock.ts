/** Time helpers shared by the probes: durations for evidence, and abortable bounds. */
import { performance } from 'node:perf_hooks';

export function now(): number {
  return performance.now();
}

/** Milliseconds since `start`, rounded to 0.1 ms so JSON stays short. */
export function since(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

/**
 * Runs `onTimeout` after `ms`, or at once when `signal` aborts; `clear()`
 * releases both. Every probe owns exactly one of these, so no socket can
 * outlive its bound.
 */
export function bound(ms: number, signal: AbortSignal | undefined, onTimeout: (reason: 'timeout' | 'aborted') => void): { clear(): void } {
  let done = false;
  const fire = (reason: 'timeout' | 'aborted') => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    onTimeout(reason);
  };
  const onAbort = () => fire('aborted');
  const timer = setTimeout(() => fire('timeout'), Math.max(0, ms));
  if (signal?.aborted) queueMicrotask(onAbort);
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    clear() {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

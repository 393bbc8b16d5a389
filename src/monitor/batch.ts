/**
 * One tick of one shard (jobs/monitor-queue.ts): its targets probed one after
 * another, spread evenly over `spanMs` from the tick's time (from when the
 * batch starts, if later; catching up at twice the pace at most), at most `limit`
 * probes in flight in the process (shared by every batch it runs). Target i
 * of n gets the tick time `tickAt + floor(i * spanMs / n)`: its own, so a tick
 * counted once stays counted once (Monitor.tick), and the next interval's is
 * later by exactly the interval. One timer at a time per batch, not one per
 * probe (probes due within QUANTUM_MS start together). Used alike by the monitor and a location's probes.
 */

/** A counting semaphore: the process's probes in flight. */
export class Limit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  acquire(): Promise<void> | undefined {
    if (this.active < this.max) {
      this.active += 1;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active -= 1;
  }
}

export interface BatchRun {
  names: readonly string[];
  tickAt: number;
  spanMs: number;
  limit: Limit;
  run: (name: string, tickAt: number) => Promise<unknown>;
  onError: (name: string, err: Error) => void;
  /** Checked before each probe: true ends the batch early (the worker is closing). */
  stopped?: () => boolean;
  now?: () => number;
}

/** The tick time of target i of n. */
export function dueAt(tickAt: number, spanMs: number, i: number, n: number): number {
  return tickAt + Math.floor((i * spanMs) / Math.max(1, n));
}

/** Probes due within this much of each other start together: one wake-up per quantum, not per probe. */
const QUANTUM_MS = 100;

const sleep = (ms: number) => new Promise<void>((resolve) => { setTimeout(resolve, ms); });

/** Resolves when every probe it started has finished; the count of those that threw. */
export async function runBatch(b: BatchRun): Promise<{ started: number; failed: number }> {
  const now = b.now ?? Date.now;
  const n = b.names.length;
  let started = 0;
  let failed = 0;
  let inFlight = 0;
  let allDone: (() => void) | undefined;
  const finished = () => {
    b.limit.release();
    inFlight -= 1;
    if (inFlight === 0) allDone?.();
  };
  // A batch that starts late (its worker was busy, stopped, or took a dead worker's shard over) spreads its
  // probes from when it starts, and a batch that falls behind catches up at twice its pace at most: never all
  // of its overdue probes at once (a burst whose replies would wait behind each other past the probe's bound).
  const start = Math.max(b.tickAt, now());
  const minGap = b.spanMs / Math.max(1, n) / 2;
  let slot = -Infinity;
  for (let i = 0; i < n; i++) {
    if (b.stopped?.()) break;
    const due = dueAt(b.tickAt, b.spanMs, i, n);
    slot = Math.max(due - b.tickAt + start, slot + minGap);
    const wait = slot - now();
    if (wait > 0) await sleep(Math.max(wait, QUANTUM_MS));
    const acquiring = b.limit.acquire();
    if (acquiring) await acquiring;
    const name = b.names[i]!;
    inFlight += 1;
    started += 1;
    b.run(name, due).then(finished, (err: Error) => {
      failed += 1;
      b.onError(name, err);
      finished();
    });
  }
  if (inFlight > 0) await new Promise<void>((resolve) => { allDone = resolve; });
  return { started, failed };
}

/**
 * The part of the interval a batch spreads its probes over: they end (each
 * bounded by `timeoutMs`) about a second before the next tick, and never use
 * less than half of the interval.
 */
export function batchSpanMs(everyMs: number, timeoutMs: number): number {
  return Math.max(Math.floor(everyMs / 2), everyMs - timeoutMs - 1000);
}

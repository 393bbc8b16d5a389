/**
 * How long this process's event loop was blocked, and when (issue #20: at
 * load 17–26 on 2 cores the bot's own probes of healthy targets waited on a
 * starved loop past their bound, and 4,073 healthy targets went `down`). A
 * timer fires every SAMPLE_MS; each firing that comes late records the
 * blocked span [fired - lateness, fired]. blockedMs(from, to) is how much of
 * a window those spans cover — plus the span still going on (a timer that is
 * overdue right now: the probe's own timer can fire before this one does in
 * the same turn of the loop). Bounded: the spans of the last KEEP_MS only.
 * A stopped process (SIGSTOP, a cgroup's cpu.max) counts the same: its timers
 * fire late.
 */
const SAMPLE_MS = 50;
/** Lateness under this is the loop's ordinary jitter, not a block. */
const JITTER_MS = 20;
const KEEP_MS = 120_000;
const MAX_SPANS = 4096;

export class LoopLag {
  /** [start, end] of each blocked span, oldest first. */
  private readonly spans: [number, number][] = [];
  private expected = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  start(): this {
    if (this.timer) return this;
    this.expected = this.now() + SAMPLE_MS;
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sample(): void {
    const now = this.now();
    const late = now - this.expected;
    if (late > JITTER_MS) {
      this.spans.push([now - late, now]);
      if (this.spans.length > MAX_SPANS) this.spans.shift();
    }
    this.expected = now + SAMPLE_MS;
    while (this.spans.length > 0 && this.spans[0]![1] < now - KEEP_MS) this.spans.shift();
  }

  /** The ms of [from, to] during which the loop was blocked (0 when not started). */
  blockedMs(from: number, to: number): number {
    if (!this.timer || to <= from) return 0;
    let total = 0;
    for (let i = this.spans.length - 1; i >= 0; i--) {
      const [s, e] = this.spans[i]!;
      if (e <= from) break;
      total += Math.max(0, Math.min(e, to) - Math.max(s, from));
    }
    // Blocked right now: the sampling timer is overdue and has not fired yet.
    const overdue = this.now() - this.expected;
    if (overdue > JITTER_MS) total += Math.max(0, Math.min(this.now(), to) - Math.max(this.expected, from));
    return Math.min(total, to - from);
  }
}

/** Failure codes that say "no answer in time": the only ones a blocked loop can cause (a refusal is real whatever the load). */
export function timeoutClass(code: string | undefined): boolean {
  return code === 'TIMEOUT' || code === 'ETIMEDOUT' || code === 'ETIMEOUT' || code === 'SLOW';
}

let shared: LoopLag | undefined;

/** The process's one LoopLag, started on first use. */
export function processLoopLag(): LoopLag {
  shared ??= new LoopLag().start();
  return shared;
}

/** A failed probe whose window was blocked beyond this share of its bound is inconclusive (Monitor.tick). */
export const DEFAULT_LAG_FRACTION = 0.25;
/** A batch whose inconclusive probes are at least this share of its probes: the monitor says it is overloaded. */
export const OVERLOADED_SHARE = 0.1;

/**
 * Was this failed probe starved? Its window [start, end] overlapped loop lag
 * beyond `fraction` of its bound, or it ended that much past its own bound
 * (its timer fired late: the loop could not run it).
 */
export function starved(lag: LoopLag, start: number, end: number, timeoutMs: number, fraction: number): { blockedMs: number } | undefined {
  const limit = fraction * timeoutMs;
  const blockedMs = Math.max(lag.blockedMs(start, end), end - start - timeoutMs);
  return blockedMs > limit ? { blockedMs: Math.round(blockedMs) } : undefined;
}

/**
 * On the handshake's still-open connection (resp.ts keepOpen): SLOWLOG GET 32
 * and PINGs timed one by one — what a client's request meets, which a single
 * PING does not show.
 *
 * The choice: PINGs go one at a time (a client waits for each reply before the
 * next request, so each round trip is what an application's request meets,
 * queueing behind a slow command included); pipelined PINGs would be answered
 * in one burst and measure the burst. SLOWLOG GET rides in the first write,
 * with a warm-up PING that is not counted (its time includes SLOWLOG's reply).
 * SAMPLE_PINGS round trips on loopback cost about a millisecond or two; the
 * whole sample is bounded by min(step budget, SAMPLE_MAX_MS), and a PING that
 * does not come back ends it (`stopped`), the connection then closed.
 */
import type { LatencySample, SlowlogObservation } from '../model/types.js';
import type { RespConnection } from './resp-connection.js';
import { now, since } from '../shared/clock.js';
import { parseSlowlog, slowlogError, SLOWLOG_ENTRIES } from './slowlog.js';

export const SAMPLE_PINGS = 20;
export const SAMPLE_MAX_MS = 1500;

export interface SlowSampleOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Ask SLOWLOG GET too (not on a Sentinel, which has no SLOWLOG). */
  slowlog: boolean;
  /** INFO server_time_usec, when INFO had it: the clock SLOWLOG timestamps are compared with. */
  serverTimeUsec?: number;
}

export interface SlowSampleResult {
  latency?: LatencySample;
  slowlog?: SlowlogObservation;
}

/** Nearest-rank percentile of sorted values: with 20 samples p99 is the slowest, said as it is. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarize(samplesMs: number[], stopped?: LatencySample['stopped']): LatencySample | undefined {
  if (samplesMs.length === 0) return undefined;
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const maxMs = sorted[sorted.length - 1]!;
  const sample: LatencySample = { samplesMs, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs, slowest: samplesMs.indexOf(maxMs) };
  if (stopped) sample.stopped = stopped;
  return sample;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export async function sampleSlowness(conn: RespConnection, options: SlowSampleOptions): Promise<SlowSampleResult> {
  const started = now();
  const limit = Math.min(options.timeoutMs, SAMPLE_MAX_MS);
  const left = () => Math.max(1, limit - since(started));
  const result: SlowSampleResult = {};
  const first = [...(options.slowlog ? [{ label: `SLOWLOG GET ${SLOWLOG_ENTRIES}`, args: ['SLOWLOG', 'GET', String(SLOWLOG_ENTRIES)] }] : []), { label: 'PING', args: ['PING'] }];
  const warm = await conn.exchange(first, left(), options.signal);
  if (options.slowlog) {
    const reply = warm.replies[0]?.reply;
    const server = options.serverTimeUsec !== undefined && options.serverTimeUsec > 0;
    const slowlog: SlowlogObservation = {
      entries: parseSlowlog(reply),
      nowSec: server ? Math.floor(options.serverTimeUsec! / 1e6) : Math.floor(Date.now() / 1000),
      clock: server ? 'server' : 'local',
    };
    const error = slowlogError(reply);
    if (error !== undefined) slowlog.error = error;
    if (reply) result.slowlog = slowlog;
  }
  const samples: number[] = [];
  let stopped: LatencySample['stopped'];
  if (warm.timedOut || warm.closed || warm.nonResp) stopped = warm.timedOut ? 'timeout' : 'closed';
  while (!stopped && samples.length < SAMPLE_PINGS && since(started) < limit) {
    const ping = await conn.exchange([{ label: 'PING', args: ['PING'] }], left(), options.signal);
    const reply = ping.replies[0];
    if (ping.timedOut) stopped = 'timeout';
    else if (ping.closed || ping.nonResp || !reply?.reply) stopped = 'closed';
    else if (reply.reply.kind !== 'status') stopped = 'error';
    else samples.push(round(reply.durationMs));
  }
  const latency = summarize(samples, stopped);
  if (latency) result.latency = latency;
  return result;
}

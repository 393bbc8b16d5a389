/**
 * After the handshake, on its still-open connection (the target only, not a
 * node followed one hop away): the latency sample and SLOWLOG GET
 * (probes/slow-sample.ts), reported as the `latency-sample` and `slowlog`
 * checks. The check lines quote what was measured; whether it is a cause
 * is the slow-commands rule's business.
 */
import type { LatencySample, SlowlogObservation } from '../model/types.js';
import type { RespConnection } from '../probes/resp-connection.js';
import { sampleSlowness } from '../probes/slow-sample.js';
import { infoField } from '../probes/info.js';
import { now, since } from '../shared/clock.js';
import type { CheckOutcome } from './steps.js';
import type { ProbeContext } from './network-probes.js';

const f = (ms: number) => `${ms < 10 ? ms.toFixed(2) : Math.round(ms)} ms`;

export function latencyCheck(latency: LatencySample | undefined, timeoutMs: number): CheckOutcome {
  if (!latency) return { status: 'warn', detail: `no PING answered on the open connection within ${Math.round(timeoutMs)} ms` };
  const n = latency.samplesMs.length;
  const stopped = latency.stopped ? `; stopped after ${n}: ${latency.stopped === 'timeout' ? 'a PING went unanswered' : latency.stopped === 'error' ? 'a PING got an error' : 'the connection closed'}` : '';
  return {
    status: latency.stopped ? 'warn' : 'pass',
    detail: `${n} PINGs one at a time: p50 ${f(latency.p50Ms)}, p99 ${f(latency.p99Ms)}, max ${f(latency.maxMs)} (PING #${latency.slowest + 1})${stopped}`,
  };
}

export function slowlogCheck(slowlog: SlowlogObservation): CheckOutcome {
  if (slowlog.error !== undefined) return { status: 'skip', detail: `SLOWLOG GET → ${slowlog.error}` };
  const n = slowlog.entries.length;
  if (n === 0) return { status: 'pass', detail: 'SLOWLOG is empty' };
  const slowest = slowlog.entries.reduce((a, b) => (b.durationUs > a.durationUs ? b : a));
  return { status: 'pass', detail: `${n} entries; the slowest ${slowest.command} ${f(slowest.durationUs / 1000)}` };
}

export async function runSlowPhase(ctx: ProbeContext, conn: RespConnection): Promise<void> {
  const { obs } = ctx;
  const sentinel = infoField(obs.info?.sections, 'redis_mode') === 'sentinel';
  const usec = Number(infoField(obs.info?.sections, 'server_time_usec') ?? '');
  const timeoutMs = ctx.budget();
  const started = now();
  const result = await sampleSlowness(conn, {
    timeoutMs,
    signal: ctx.signal,
    slowlog: !sentinel,
    ...(Number.isFinite(usec) && usec > 0 ? { serverTimeUsec: usec } : {}),
  });
  if (result.latency) obs.latency = result.latency;
  ctx.steps.note('latency-sample', latencyCheck(result.latency, Math.min(timeoutMs, since(started))), since(started));
  if (result.slowlog) {
    obs.slowlog = result.slowlog;
    ctx.steps.note('slowlog', slowlogCheck(result.slowlog), 0);
  }
}

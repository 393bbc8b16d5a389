/**
 * Slow is a failure too (issue 18, `alerts.latencyMs`). Each tick's probe
 * times LATENCY_PINGS PINGs one by one on its connection (engine
 * probes/up-sample.ts); the p99 of those (nearest rank: with a handful of
 * PINGs, the slowest one) is the tick's latency. With `alerts.latencyMs` set,
 * a tick whose p99 is above it counts as a failed probe with code `SLOW` —
 * so the state machine treats it exactly like a failure: an incident after
 * `failuresBeforeAlert` in a row (or flapping), resolved after
 * `successesBeforeRecovery` ticks under the threshold, one incident however
 * often it comes and goes, a note when the failure turns into another code.
 *
 * What stays different: a slow target answers, so `redis_doctor_target_up`
 * stays 1 while the latest failure is `SLOW` (reportsUp), and
 * `redis_doctor_target_latency_p99_ms` shows the tick's p99. Pure.
 */
import type { LatencySample, UpResult } from '../engine/index.js';
import { countsAsUp, WINDOW, type LatencyState, type ProbeOutcome, type TargetState } from './state-machine.js';

export const SLOW_CODE = 'SLOW';
/** PINGs per tick: a few round trips on the open connection (bench/README.md "Monitor latency (issue 18)"). */
export const LATENCY_PINGS = 5;

export function fmtMs(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : String(Math.round(ms));
}

/** The failure text of a slow tick: the measured p99 and the threshold, said as they are. */
export function slowText(sample: LatencySample, thresholdMs: number): string {
  const n = sample.samplesMs.length;
  const unanswered = sample.stopped === 'timeout' ? '; the last PING got no reply within the probe\'s bound (at least that slow)' : '';
  return `slow: p99 ${fmtMs(sample.p99Ms)} ms over ${fmtMs(thresholdMs)} ms (alerts.latencyMs), ${n} PING${n === 1 ? '' : 's'} one at a time, the slowest ${fmtMs(sample.maxMs)} ms${unanswered}`;
}

export function isSlow(probe: Pick<UpResult, 'up' | 'latency'>, latencyMs: number | undefined): boolean {
  return latencyMs !== undefined && probe.up && probe.latency !== undefined && probe.latency.p99Ms > latencyMs;
}

/** What the state machine counts of one probe: up, down with its code, or SLOW (up but over the threshold). */
export function outcomeOf(probe: UpResult, at: number, latencyMs: number | undefined, redact: (text: string) => string): ProbeOutcome {
  if (!probe.up) return { ok: false, at, code: probe.code ?? 'ERROR', ...(probe.detail ? { error: redact(probe.detail) } : {}) };
  if (isSlow(probe, latencyMs)) return { ok: false, at, code: SLOW_CODE, error: slowText(probe.latency!, latencyMs!) };
  return { ok: true, at };
}

/** The state with this probe's p99 kept (the last WINDOW of them); unchanged when the probe had no sample. */
export function withLatency(state: TargetState, probe: Pick<UpResult, 'latency'>, at: number): TargetState {
  if (!probe.latency) return state;
  const p99Ms = probe.latency.p99Ms;
  const latency: LatencyState = { p99Ms, at, recent: [...(state.latency?.recent ?? []), p99Ms].slice(-WINDOW) };
  return { ...state, latency };
}

/**
 * `redis_doctor_target_up`: 1 unless an incident is open for a failure other than slowness (a slow target answers).
 * `probeUp`: whether the latest probe answered; from a stored state, a latest failure `SLOW` says it did.
 */
export function reportsUp(state: TargetState, probeUp = state.lastFailure?.code === SLOW_CODE): boolean {
  return countsAsUp(state.status) || (probeUp && state.lastFailure?.code === SLOW_CODE);
}

/** The alert's words for an incident opened by slowness, when its diagnosis names no cause. */
export function isSlowCode(code: string | undefined): boolean {
  return code === SLOW_CODE;
}

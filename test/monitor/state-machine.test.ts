/**
 * The monitor's state machine, driven by literal sequences of probe results
 * ('+' good, '-' failed; one probe every 5 s from t = 0).
 */
import { describe, expect, it } from 'vitest';
import { FLAP_CHANGES, flapHoldMs, incidentId, isFlapping, transition, WINDOW, type MonitorEvent, type TargetState, type Thresholds } from '../../src/monitor/state-machine.js';

const DEFAULTS: Thresholds = { failuresBeforeAlert: 2, successesBeforeRecovery: 2 };
const STEP = 5000;
const T0 = 1_700_000_000_000;

interface Step {
  state: TargetState;
  events: MonitorEvent[];
}

/** Runs `sequence` from no state; failed probes say ECONNREFUSED unless `codes` names another code for that index. */
function run(sequence: string, t: Thresholds = DEFAULTS, codes: Record<number, string> = {}, start?: TargetState): Step[] {
  let state = start;
  const steps: Step[] = [];
  [...sequence].forEach((c, i) => {
    const at = T0 + i * STEP;
    const ok = c === '+';
    const r = transition(state, ok ? { ok, at } : { ok, at, code: codes[i] ?? 'ECONNREFUSED', error: 'connect ECONNREFUSED 10.0.0.5:6379' }, t, 'cache', at);
    state = r.next;
    steps.push({ state: r.next, events: r.events });
  });
  return steps;
}

const statuses = (steps: Step[]) => steps.map((s) => s.state.status);
const kinds = (steps: Step[]) => steps.flatMap((s) => s.events.map((e) => e.kind));

describe('monitor state machine', () => {
  it('stays up through a single failed probe: suspect, then up again, no incident', () => {
    const steps = run('++-++');
    expect(statuses(steps)).toEqual(['up', 'up', 'suspect', 'up', 'up']);
    expect(kinds(steps)).toEqual([]);
    expect(steps.at(-1)!.state.incident).toBeUndefined();
    expect(steps.at(-1)!.state.firstFailure).toBeUndefined();
  });

  it('opens one incident after failuresBeforeAlert failures in a row and resolves it after successesBeforeRecovery good ones', () => {
    const steps = run('++---+-++++');
    expect(statuses(steps)).toEqual(['up', 'up', 'suspect', 'down', 'down', 'recovering', 'down', 'recovering', 'up', 'up', 'up']);
    expect(kinds(steps)).toEqual(['opened', 'flapped', 'resolved']);
    const opened = steps[3]!.events[0] as Extract<MonitorEvent, { kind: 'opened' }>;
    expect(opened.incident).toMatchObject({
      id: incidentId('cache', T0 + 3 * STEP), openedAt: T0 + 3 * STEP, reason: 'down',
      // What changed: the last good probe, the first failed one and its error.
      lastOkAt: T0 + STEP, firstFailure: { at: T0 + 2 * STEP, code: 'ECONNREFUSED', error: 'connect ECONNREFUSED 10.0.0.5:6379' },
    });
    expect(steps[6]!.state.incident!.flaps).toBe(1);
    const resolved = steps[8]!.events[0] as Extract<MonitorEvent, { kind: 'resolved' }>;
    // Down from the first failed probe to the first of the two good ones.
    expect(resolved.closed).toEqual({ id: opened.incident.id, openedAt: T0 + 3 * STEP, resolvedAt: T0 + 7 * STEP, downtimeMs: 5 * STEP });
    expect(steps[8]!.state.closed).toEqual(resolved.closed);
    expect(steps[8]!.state.incident).toBeUndefined();
    expect(steps[8]!.state.lastOkAt).toBe(T0 + 8 * STEP);
  });

  it('honours other thresholds: 1 failure alerts at once, 3 successes to recover', () => {
    const steps = run('+-++++', { failuresBeforeAlert: 1, successesBeforeRecovery: 3 });
    expect(statuses(steps)).toEqual(['up', 'down', 'recovering', 'recovering', 'up', 'up']);
    expect(kinds(steps)).toEqual(['opened', 'resolved']);
    const s3 = run('---', { failuresBeforeAlert: 3, successesBeforeRecovery: 1 });
    expect(statuses(s3)).toEqual(['suspect', 'suspect', 'down']);
    // Never answered since monitoring began: no last good probe.
    expect((s3[2]!.events[0] as Extract<MonitorEvent, { kind: 'opened' }>).incident.lastOkAt).toBeUndefined();
  });

  it('gives a target failing every other probe one incident, reason flapping, and keeps it open while it flaps', () => {
    const steps = run('+-+-+-+-+-+-+-+-');
    const opened = steps.flatMap((s, i) => s.events.filter((e) => e.kind === 'opened').map(() => i));
    expect(opened).toEqual([5]);
    const incident = steps[5]!.state.incident!;
    expect(incident.reason).toBe('flapping');
    // The trouble began with the earliest failure in the window; the last good probe was the one before it.
    expect(incident.firstFailure.at).toBe(T0 + STEP);
    expect(incident.lastOkAt).toBe(T0);
    expect(statuses(steps).slice(5)).toEqual(['down', 'recovering', 'down', 'recovering', 'down', 'recovering', 'down', 'recovering', 'down', 'recovering', 'down']);
    expect(kinds(steps).filter((k) => k === 'resolved')).toEqual([]);
    expect(steps.at(-1)!.state.incident!.id).toBe(incident.id);
  });

  it('resolves a flapping incident once the target holds, and starts the flap window afresh', () => {
    const steps = run('+-+-+-++-+');
    expect(kinds(steps)).toEqual(['opened', 'resolved']);
    expect(steps[7]!.state.recent).toEqual([T0 + 7 * STEP]);
    // One failure after the recovery is a blip again, not a new flapping incident.
    expect(statuses(steps).slice(-3)).toEqual(['up', 'suspect', 'up']);
  });

  it('reports a change of failure code while down, once per change', () => {
    const steps = run('+----', DEFAULTS, { 3: 'NOAUTH', 4: 'NOAUTH' });
    expect(kinds(steps)).toEqual(['opened', 'failure-changed']);
    expect(steps[3]!.events[0]).toEqual({ kind: 'failure-changed', from: 'ECONNREFUSED', to: 'NOAUTH' });
    expect(steps[4]!.state.lastFailure!.code).toBe('NOAUTH');
    expect(steps[4]!.state.incident!.firstFailure.code).toBe('ECONNREFUSED');
  });

  it('keeps a state across a restart: the stored state continues the sequence', () => {
    const before = run('+-').at(-1)!.state;
    // A second worker (or this one restarted) reads the stored JSON and carries on.
    const restored = JSON.parse(JSON.stringify(before)) as TargetState;
    const after = run('-', DEFAULTS, {}, restored);
    expect(after[0]!.state.status).toBe('down');
    expect(after[0]!.events.map((e) => e.kind)).toEqual(['opened']);
  });

  it('keeps the last WINDOW results and says flapping only with enough changes and failures', () => {
    expect(run('+'.repeat(30)).at(-1)!.state.recent).toHaveLength(WINDOW);
    expect(isFlapping([1, -2, 3, -4, 5], DEFAULTS)).toBe(true);
    expect(isFlapping([1, -2, 3, -4], DEFAULTS)).toBe(false);
    expect(isFlapping([1, -2, 3, -4, 5, -6], { failuresBeforeAlert: 4, successesBeforeRecovery: 2 })).toBe(false);
    expect(FLAP_CHANGES).toBe(4);
  });

  it('records the tick it counted', () => {
    const r = transition(undefined, { ok: true, at: T0 }, DEFAULTS, 'cache', T0 - 3);
    expect(r.next.lastTick).toBe(T0 - 3);
  });
});

/** Probes at explicit times (ms after T0): `[ms, ok]`. */
function runAt(probes: [number, boolean][], t: Thresholds, start?: TargetState): Step[] {
  let state = start;
  return probes.map(([ms, ok]) => {
    const at = T0 + ms;
    const r = transition(state, ok ? { ok, at } : { ok, at, code: 'ECONNREFUSED' }, t, 'cache', at);
    state = r.next;
    return { state: r.next, events: r.events };
  });
}

/** A target down 6 s / up 5 s, probed as scheduled ticks every 5 s, from `fromMs` to `toMs`; extra ticks at `extra` (a restarted worker's late tick). */
function flapping(fromMs: number, toMs: number, extra: number[] = []): [number, boolean][] {
  const times = [...Array.from({ length: Math.floor((toMs - fromMs) / STEP) + 1 }, (_, i) => fromMs + i * STEP), ...extra].sort((a, b) => a - b);
  return times.map((ms) => [ms, ms % 11_000 >= 6000]);
}

describe('flapping holds (issue 21)', () => {
  const T: Thresholds = { failuresBeforeAlert: 2, successesBeforeRecovery: 2, intervalSeconds: 5 };

  it('holds for the whole flap window (WINDOW intervals), in probe time', () => {
    expect(flapHoldMs(T)).toBe(WINDOW * 5000);
    expect(flapHoldMs(DEFAULTS)).toBe(0);
  });

  it('a target down 6 s / up 5 s for 90 s, with a restart landing two probes in one up-window: one incident, resolved only after a whole steady window', () => {
    // A restart: a late tick at 42 s beside the scheduled one at 40 s, both in the up-window 39-44 s.
    const flap = flapping(0, 90_000, [42_000]);
    // Two good probes in one up-window did happen (40 s and 42 s, both in 39-44 s).
    expect(flap.filter(([ms, ok]) => ok && ms >= 39_000 && ms < 44_000)).toHaveLength(2);
    const steady: [number, boolean][] = Array.from({ length: 15 }, (_, i) => [95_000 + i * STEP, true]);
    const steps = runAt([...flap, ...steady], T);
    const all = steps.flatMap((s) => s.events.map((e) => e.kind));
    expect(all.filter((k) => k === 'opened')).toHaveLength(1);
    expect(all.filter((k) => k === 'resolved')).toHaveLength(1);
    const resolvedAt = steps.findIndex((s) => s.events.some((e) => e.kind === 'resolved'));
    const closed = (steps[resolvedAt]!.events.find((e) => e.kind === 'resolved') as Extract<MonitorEvent, { kind: 'resolved' }>).closed;
    // Steady from the first good probe after the last failure; resolved one whole window later.
    const lastFail = Math.max(...flap.filter(([, ok]) => !ok).map(([ms]) => ms));
    const firstGood = [...flap, ...steady].find(([ms, ok]) => ok && ms > lastFail)![0];
    expect(T0 + firstGood + flapHoldMs(T)).toBeLessThanOrEqual(steps[resolvedAt]!.state.lastOkAt!);
    expect(closed.resolvedAt).toBe(T0 + firstGood);
  });

  it('without the hold (no interval) the same probes made two incidents: the bug it fixes', () => {
    const flap = flapping(0, 90_000, [42_000]);
    const kinds2 = runAt(flap, DEFAULTS).flatMap((s) => s.events.map((e) => e.kind));
    expect(kinds2.filter((k) => k === 'opened').length).toBeGreaterThan(1);
  });

  it('keeps the hold across a restart: the stored state continues it', () => {
    const first = runAt(flapping(0, 40_000), T);
    const restored = JSON.parse(JSON.stringify(first.at(-1)!.state)) as TargetState;
    const rest = runAt([...flapping(41_000, 90_000, [42_000]).filter(([ms]) => ms > 40_000)], T, restored);
    const kinds3 = [...first, ...rest].flatMap((s) => s.events.map((e) => e.kind));
    expect(kinds3.filter((k) => k === 'opened')).toHaveLength(1);
    expect(kinds3).not.toContain('resolved');
  });

  it('a gap with no probe (no worker ran) starts the hold again', () => {
    // Flapping incident, then good probes at 0..20 s after it, then nothing for 60 s, then good probes.
    const flap = flapping(0, 30_000);
    const lastFail = Math.max(...flap.filter(([, ok]) => !ok).map(([ms]) => ms));
    const good: [number, boolean][] = [[lastFail + 5000, true], [lastFail + 10_000, true], [lastFail + 80_000, true], [lastFail + 85_000, true]];
    const steps = runAt([...flap, ...good], T);
    // 75 s after the first good probe, but the first 60 s of it unwatched: not yet resolved.
    expect(steps.flatMap((s) => s.events.map((e) => e.kind))).not.toContain('resolved');
    expect(steps.at(-1)!.state.recoveringSince).toBe(T0 + lastFail + 80_000);
  });

  it('an incident that never flapped resolves after successesBeforeRecovery good probes, as before', () => {
    const probes: [number, boolean][] = [[0, true], [5000, false], [10_000, false], [15_000, true], [20_000, true]];
    expect(runAt(probes, T).flatMap((s) => s.events.map((e) => e.kind))).toEqual(['opened', 'resolved']);
  });
});

/**
 * One monitored target's up/down state, as a pure function of the last state
 * and one probe result (no clock, no I/O: a test drives it with a literal
 * sequence of results).
 *
 *            fail (< F in a row)          fail (F in a row, or flapping)
 *   up ─────────────────────────► suspect ───────────────────────────► down  (incident opened: alert)
 *    ▲ ◄──────── ok ────────────────┘                                  │ ▲
 *    │                                                         ok      │ │ fail (a flap: said once per incident)
 *    └──────── ok (S in a row: incident resolved) ◄──────── recovering ◄┘ │
 *                                                              └──────────┘
 *
 * F = failuresBeforeAlert, S = successesBeforeRecovery. The incident stays
 * open from `down` until S good probes in a row, so a target that keeps
 * coming back and failing again is one incident, not one per failure.
 *
 * Flapping from `up`: a target that fails every other probe never fails F in
 * a row, and would never be alerted on although half its clients fail. Like
 * Nagios's flap detection (state changes over a window of recent checks),
 * the last WINDOW results are kept: FLAP_CHANGES changes between good and
 * failed with at least F failures among them open an incident too
 * (reason `flapping`).
 *
 * Flapping holds: an incident that flapped (reason `flapping`, or it failed
 * again while recovering) resolves only once the target has answered every
 * probe for the whole flap window (WINDOW intervals), measured in probe time
 * (`recoveringSince`, kept in the stored state) — not counted in probes. A
 * count is not a duration: a restarted worker runs the tick that was due
 * while it was away at once and the next one on schedule, and two probes then
 * land in one up-window of a target down 6 s / up 5 s (S = 2 reached: resolved,
 * then opened again: two incidents for one trouble). A gap with no probe at
 * all (no worker ran) is not steadiness either: the hold starts again at the
 * first probe after it.
 */
export type Status = 'up' | 'suspect' | 'down' | 'recovering';

export interface Thresholds {
  failuresBeforeAlert: number;
  successesBeforeRecovery: number;
  /** The probe interval: with it, a flapping incident holds for WINDOW intervals (flapHoldMs). */
  intervalSeconds?: number;
}

/** One probe's result, as the state machine needs it. */
export interface ProbeOutcome {
  ok: boolean;
  /** Wall-clock ms of the probe. */
  at: number;
  /** Failure code (ECONNREFUSED, NOAUTH, TIMEOUT …) and one line, redacted. */
  code?: string;
  error?: string;
}

export interface FailureSeen {
  at: number;
  code: string;
  error?: string;
}

export interface OpenIncident {
  /** `<target>-<openedAt base 36>`: deterministic, so every worker names it alike. */
  id: string;
  openedAt: number;
  reason: 'down' | 'flapping';
  /** The first failed probe of the trouble (before the alert), and the last good one before it. */
  firstFailure: FailureSeen;
  lastOkAt?: number;
  /** Times the target answered again and then failed again while the incident was open. */
  flaps: number;
  /** Opened by an external alert (external.ts), not by the probe. */
  source?: 'alertmanager';
}

export interface ClosedIncident {
  id: string;
  resolvedAt: number;
  openedAt: number;
  /** From the first failed probe to the first of the good probes that resolved it. */
  downtimeMs: number;
}

export interface TargetState {
  status: Status;
  /** When this status began (ms). */
  since: number;
  failures: number;
  successes: number;
  lastOkAt?: number;
  /** The first failure of the current run of failures (while suspect or down). */
  firstFailure?: FailureSeen;
  /** The latest failure (code and text). */
  lastFailure?: FailureSeen;
  /** The first good probe of the current run of good probes while recovering. */
  recoveringSince?: number;
  /** The last WINDOW results, oldest first: +ms for good, -ms for failed. */
  recent: number[];
  incident?: OpenIncident;
  /** A resolved incident whose recovery has not yet been told (cleared once it has). */
  closed?: ClosedIncident;
  /** The scheduled time of the last tick counted: a tick seen again (a stalled job run twice) is not. */
  lastTick?: number;
  /** The latest latency sample's p99 and the last few (monitor/latency.ts); the state machine carries it along. */
  latency?: LatencyState;
  /** The run_ids the ticks read and when they changed (monitor/restarts.ts); carried along likewise. */
  runs?: RunHistory;
  /** External alerts firing for this target (external.ts keys): the incident stays open while any fires. */
  alerts?: string[];
  /** External alerts already resolved (the latest few): a late repeat of one opens nothing. */
  alertsEnded?: string[];
}

export interface LatencyState {
  /** The p99 (nearest rank) of the last probe's PINGs, ms. */
  p99Ms: number;
  at: number;
  /** The last WINDOW probes' p99s, oldest first. */
  recent: number[];
}

export interface RunHistory {
  /** The run_id read last, and when. */
  runId: string;
  at: number;
  /** Since when run_ids have been read (the window changes covers). */
  since: number;
  /** Each change seen, oldest first: the new run_id and when it was read (bounded, monitor/restarts.ts). */
  changes: { at: number; runId: string }[];
}

export type MonitorEvent =
  | { kind: 'opened'; incident: OpenIncident }
  | { kind: 'flapped'; incident: OpenIncident }
  | { kind: 'resolved'; closed: ClosedIncident }
  | { kind: 'failure-changed'; from: string; to: string };

export const WINDOW = 10;
export const FLAP_CHANGES = 4;

export function incidentId(target: string, openedAt: number): string {
  return `${target}-${Math.floor(openedAt).toString(36)}`;
}

/** How long a flapping incident must answer every probe before it resolves (0 without an interval). */
export function flapHoldMs(t: Thresholds): number {
  return t.intervalSeconds ? WINDOW * t.intervalSeconds * 1000 : 0;
}

/** Longer than this between two probes: nobody watched, so the steady run starts again (1.5 intervals of slack for a loaded worker). */
function unwatchedGapMs(t: Thresholds): number {
  return t.intervalSeconds ? 2.5 * t.intervalSeconds * 1000 : Infinity;
}

/** Whether an open incident flapped: its resolution then holds for the flap window. */
export function hasFlapped(inc: Pick<OpenIncident, 'flaps' | 'reason'>): boolean {
  return inc.flaps > 0 || inc.reason === 'flapping';
}

function changes(recent: readonly number[]): number {
  let n = 0;
  for (let i = 1; i < recent.length; i++) if ((recent[i]! > 0) !== (recent[i - 1]! > 0)) n++;
  return n;
}

/** Flapping: many changes in the window, and at least F failures among them. */
export function isFlapping(recent: readonly number[], t: Thresholds): boolean {
  return changes(recent) >= FLAP_CHANGES && recent.filter((r) => r < 0).length >= t.failuresBeforeAlert;
}

/** The earliest failure still in the window (the start of a flapping trouble). */
function earliestFailureAt(recent: readonly number[]): number | undefined {
  const first = recent.find((r) => r < 0);
  return first === undefined ? undefined : -first;
}

export function initialState(at: number): TargetState {
  return { status: 'up', since: at, failures: 0, successes: 0, recent: [] };
}

export interface Transition {
  next: TargetState;
  events: MonitorEvent[];
}

export function transition(prev: TargetState | undefined, probe: ProbeOutcome, t: Thresholds, target: string, tick?: number): Transition {
  const s: TargetState = { ...(prev ?? initialState(probe.at)), recent: [...(prev?.recent ?? []), probe.ok ? probe.at : -probe.at].slice(-WINDOW) };
  if (tick !== undefined) s.lastTick = tick;
  const events: MonitorEvent[] = [];
  const enter = (status: Status) => {
    if (s.status !== status) s.since = probe.at;
    s.status = status;
  };

  if (probe.ok) {
    s.lastOkAt = probe.at;
    s.successes += 1;
    s.failures = 0;
    if (s.status === 'up' || s.status === 'suspect') {
      enter('up');
      delete s.firstFailure;
    } else {
      const lastProbeAt = prev?.recent.length ? Math.abs(prev.recent[prev.recent.length - 1]!) : undefined;
      const unwatched = lastProbeAt !== undefined && probe.at - lastProbeAt > unwatchedGapMs(t);
      if (s.status === 'down' || (unwatched && hasFlapped(s.incident!))) s.recoveringSince = probe.at;
      enter('recovering');
      const held = !hasFlapped(s.incident!) || probe.at - (s.recoveringSince ?? probe.at) >= flapHoldMs(t);
      // An external alert still firing holds the incident open whatever the probe says (external.ts).
      if (s.successes >= t.successesBeforeRecovery && held && !s.alerts?.length) {
        const inc = s.incident!;
        const resolvedAt = s.recoveringSince ?? probe.at;
        const closed: ClosedIncident = { id: inc.id, openedAt: inc.openedAt, resolvedAt, downtimeMs: Math.max(0, resolvedAt - inc.firstFailure.at) };
        s.closed = closed;
        delete s.incident;
        delete s.firstFailure;
        delete s.recoveringSince;
        // Flap detection starts afresh: the window's failures belong to the incident just resolved.
        s.recent = [probe.at];
        enter('up');
        events.push({ kind: 'resolved', closed });
      }
    }
    return { next: s, events };
  }

  const failure: FailureSeen = { at: probe.at, code: probe.code ?? 'ERROR', ...(probe.error ? { error: probe.error } : {}) };
  const before = s.lastFailure?.code;
  s.lastFailure = failure;
  s.failures += 1;
  s.successes = 0;
  if (s.status === 'up' || s.status === 'suspect') {
    s.firstFailure ??= failure;
    const flapping = isFlapping(s.recent, t);
    if (s.failures >= t.failuresBeforeAlert || flapping) {
      const reason = s.failures >= t.failuresBeforeAlert ? 'down' : 'flapping';
      // A flapping trouble began with the earliest failure still in the window.
      const startAt = reason === 'flapping' ? (earliestFailureAt(s.recent) ?? probe.at) : s.firstFailure.at;
      const first = reason === 'flapping' && startAt !== s.firstFailure.at ? { at: startAt, code: failure.code } : s.firstFailure;
      const lastOkBefore = reason === 'flapping' ? prevOkBefore(s.recent, startAt) : prev?.lastOkAt;
      const incident: OpenIncident = {
        id: incidentId(target, probe.at), openedAt: probe.at, reason, firstFailure: first, flaps: 0,
        ...(lastOkBefore !== undefined ? { lastOkAt: lastOkBefore } : {}),
      };
      s.incident = incident;
      s.firstFailure = first;
      enter('down');
      events.push({ kind: 'opened', incident });
    } else {
      enter('suspect');
    }
    return { next: s, events };
  }
  if (s.status === 'recovering') {
    const incident = { ...s.incident!, flaps: s.incident!.flaps + 1 };
    s.incident = incident;
    delete s.recoveringSince;
    enter('down');
    events.push({ kind: 'flapped', incident });
    return { next: s, events };
  }
  // Still down.
  if (before !== undefined && before !== failure.code) events.push({ kind: 'failure-changed', from: before, to: failure.code });
  return { next: s, events };
}

/** The last good probe in the window before `at` (a flapping target's last good probe before its trouble). */
function prevOkBefore(recent: readonly number[], at: number): number | undefined {
  let found: number | undefined;
  for (const r of recent) if (r > 0 && r < at) found = r;
  return found;
}

/** Whether the status counts as up for `redis_doctor_target_up` (1): no open incident. */
export function countsAsUp(status: Status): boolean {
  return status === 'up' || status === 'suspect';
}

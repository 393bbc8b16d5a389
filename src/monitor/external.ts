/**
 * Incidents opened and resolved by an external alert (Alertmanager's webhook,
 * src/alertmanager/), in the same target state the monitor keeps: one state
 * per target in the queue Redis, written with compare-and-set, so an alert
 * for a target the monitor also watches joins its open incident instead of
 * opening a second one, and whatever process receives the alert — one bot or
 * several behind a load balancer — the alert is counted once.
 *
 * An alert is a key (its fingerprint and start, hashed): firing adds it to the
 * state's `alerts`, resolved moves it to `alertsEnded`. A key already there is
 * a repeat (Alertmanager resends every repeat_interval, and once per group the
 * alert is in): nothing changes, nothing is posted. While any alert fires the
 * incident stays open whatever the probe says (state-machine.ts). When the
 * last one resolves, a target nobody probes is resolved at once; a monitored
 * one is resolved by its probe, as any monitor incident.
 *
 * The incident then lives exactly like a monitor incident (incidents.ts):
 * diagnosed, one parent message, findings in its thread, ack/snooze/recheck,
 * reminders (sweep() brings unprobed ones up to date), the recovery.
 *
 * Pure transitions (fire, end) and the compare-and-set loop; nothing here
 * knows Alertmanager.
 */
import type { DiagnoseTarget } from '../engine/index.js';
import type { MonitorStore } from '../stores/monitor-store.js';
import { CAS_ATTEMPTS, type IncidentKeeper } from './incidents.js';
import { incidentId, initialState, type ClosedIncident, type TargetState } from './state-machine.js';

/** Keys kept per target: firing ones (past this the oldest is forgotten) and recently ended ones. */
const MAX_FIRING = 100;
const MAX_ENDED = 200;
/** The failure code an externally opened incident shows (its first "probe"). */
export const EXTERNAL_CODE = 'ALERT';

export interface ExternalAlert {
  /** Stable per alert instance (fingerprint + startsAt, hashed by the caller). */
  key: string;
  /** When the alert began (its startsAt), ms. */
  startsAt: number;
  /** One line saying which alert (already made safe by the caller: it is shown escaped). */
  label: string;
}

export type FireOutcome = 'opened' | 'joined' | 'duplicate' | 'ended-before';
export type EndOutcome = 'resolved' | 'ended' | 'duplicate' | 'not-firing';

/** A firing alert on the state (pure): opens an incident unless one is open; a repeat changes nothing. */
export function fire(prev: TargetState | undefined, a: ExternalAlert, now: number, target: string): { next?: TargetState; outcome: FireOutcome } {
  if (prev?.alerts?.includes(a.key)) return { outcome: 'duplicate' };
  if (prev?.alertsEnded?.includes(a.key)) return { outcome: 'ended-before' };
  const s: TargetState = { ...(prev ?? initialState(now)), alerts: [...(prev?.alerts ?? []), a.key].slice(-MAX_FIRING) };
  if (s.incident) return { next: s, outcome: 'joined' };
  const at = Math.min(a.startsAt, now);
  const failure = { at, code: EXTERNAL_CODE, error: a.label };
  s.incident = {
    id: incidentId(target, now), openedAt: now, reason: 'down', firstFailure: failure, flaps: 0, source: 'alertmanager',
    ...(s.lastOkAt !== undefined ? { lastOkAt: s.lastOkAt } : {}),
  };
  s.firstFailure = failure;
  s.lastFailure = failure;
  s.status = 'down';
  s.since = now;
  s.successes = 0;
  delete s.recoveringSince;
  return { next: s, outcome: 'opened' };
}

/**
 * A resolved alert on the state (pure). With no alert left firing, a target
 * nobody probes (`probed` false) has its incident resolved at `endsAt`; a
 * probed one keeps it until its probe says so.
 */
export function end(prev: TargetState | undefined, key: string, endsAt: number, probed: boolean): { next?: TargetState; outcome: EndOutcome; closed?: ClosedIncident } {
  if (!prev?.alerts?.includes(key)) return { outcome: prev?.alertsEnded?.includes(key) ? 'duplicate' : 'not-firing' };
  const s: TargetState = {
    ...prev,
    alerts: prev.alerts.filter((k) => k !== key),
    alertsEnded: [...(prev.alertsEnded ?? []), key].slice(-MAX_ENDED),
  };
  if (s.alerts!.length > 0 || !s.incident || probed) return { next: s, outcome: 'ended' };
  const inc = s.incident;
  const resolvedAt = Math.max(inc.firstFailure.at, endsAt);
  const closed: ClosedIncident = { id: inc.id, openedAt: inc.openedAt, resolvedAt, downtimeMs: Math.max(0, resolvedAt - inc.firstFailure.at) };
  s.closed = closed;
  delete s.incident;
  delete s.firstFailure;
  delete s.recoveringSince;
  s.status = 'up';
  s.since = resolvedAt;
  s.failures = 0;
  return { next: s, outcome: 'resolved', closed };
}

export interface ExternalDeps {
  store: MonitorStore;
  keeper: IncidentKeeper;
  /** Whether the monitor probes this target (then its probe resolves the incident). */
  probed: (target: string) => boolean;
  /** The engine input of a config target, shown on the alert (its address). */
  targetInfo: (target: string) => DiagnoseTarget | undefined;
  now?: () => number;
}

export class ExternalIncidents {
  private readonly now: () => number;

  constructor(private readonly deps: ExternalDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** A firing alert for `target`; the incident is then brought up to date (diagnosis, alert, findings). */
  async fire(target: string, a: ExternalAlert): Promise<FireOutcome> {
    const r = await this.cas(target, (s) => fire(s, a, this.now(), target));
    if (r.state) await this.deps.store.trackExternal(target, true);
    if (r.state?.incident) await this.deps.keeper.reconcile(target, r.state, this.deps.targetInfo(target));
    return r.outcome;
  }

  /** A resolved alert: its incident resolved (and the recovery posted) when it was the last one firing and nobody probes the target. */
  async end(target: string, key: string, endsAt: number): Promise<EndOutcome> {
    const r = await this.cas(target, (s) => end(s, key, endsAt, this.deps.probed(target)));
    if (r.state && (r.state.incident || r.state.closed)) await this.deps.keeper.reconcile(target, r.state, this.deps.targetInfo(target));
    return r.outcome;
  }

  /**
   * Brings the open incidents of targets nobody probes up to date (reminders,
   * findings left undone, a post Slack refused): the monitor's tick does this
   * for probed ones. Run every interval by any number of processes: each step
   * is claimed (incidents.ts).
   */
  async sweep(max: number): Promise<number> {
    const { store, keeper } = this.deps;
    let n = 0;
    for (const target of await store.externalTargets(max)) {
      if (this.deps.probed(target)) continue;
      const { state } = await store.readState(target);
      if (!state?.incident && !state?.closed) {
        if (!state?.alerts?.length) await store.trackExternal(target, false);
        continue;
      }
      await keeper.reconcile(target, state, this.deps.targetInfo(target));
      n += 1;
    }
    return n;
  }

  private async cas<O>(target: string, step: (s: TargetState | undefined) => { next?: TargetState; outcome: O }): Promise<{ outcome: O; state?: TargetState }> {
    const { store } = this.deps;
    let { state, version } = await store.readState(target);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const { next, outcome } = step(state);
      if (!next) return { outcome };
      const cas = await store.casState(target, version, next);
      if (cas.kind === 'written') return { outcome, state: next };
      ({ state, version } = { state: cas.state, version: cas.version });
    }
    throw new Error(`the state of ${target} kept changing (${CAS_ATTEMPTS} attempts)`);
  }
}

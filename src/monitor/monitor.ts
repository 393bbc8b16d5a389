/**
 * One tick of one monitored target, run by whichever worker the `monitor`
 * queue hands it to:
 *
 *   1. the cheap probe (engine probeUp: connect, TLS, AUTH + PING, one deadline);
 *   2. the state machine (state-machine.ts) on the state kept in Redis,
 *      written back with compare-and-set, so a second worker, or this one
 *      restarted, continues the same state;
 *   3. the incident brought up to date (reconcile): whatever it still lacks —
 *      the diagnosis, the parent message, the findings in its thread, a
 *      flapping note, a new cause, a reminder, the recovery — is done now.
 *      Every step is claimed first and recorded after, so each happens once
 *      however many workers tick, and a step a killed worker left undone is
 *      picked up by a later tick.
 *
 * The full diagnosis runs only when the target changes: when an incident
 * opens, and when the probe's failure code changes while it is open. It is
 * given `history.lastAnsweredAt` (the last good probe), so a neighbouring
 * Redis on the same host is not taken for the right port of a target that
 * answered a minute ago.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redactor, type Diagnosis, type DiagnoseTarget, type TargetHistory, type UpOptions, type UpResult } from '../engine/index.js';
import type { ResolvedTarget } from '../config/resolve-target.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { CLOSED_INCIDENT_TTL_MS, type IncidentRecord, type MonitorStore } from '../stores/monitor-store.js';
import type { AlertSink, IncidentView } from './alert-sink.js';
import { BoundedMap } from '../util/bounded-map.js';
import { countsAsUp, transition, type MonitorEvent, type ProbeOutcome, type TargetState } from './state-machine.js';

export interface AlertSettings {
  channel: string;
  intervalSeconds: number;
  failuresBeforeAlert: number;
  successesBeforeRecovery: number;
  remindAfterMinutes: number;
}

export type ProbeFn = (target: DiagnoseTarget, options: UpOptions) => Promise<UpResult>;
/** A full diagnosis of a config target, stored under `diagnosisId` (the remediation buttons find it there). */
export type IncidentDiagnose = (target: string, diagnosisId: string, history: TargetHistory) => Promise<Diagnosis>;

export interface MonitorDeps {
  settings: AlertSettings;
  store: MonitorStore;
  sink: AlertSink;
  probe: ProbeFn;
  /** Config target name → engine input (resolveJobTarget, injected by bot.ts). */
  resolve: (name: string) => ResolvedTarget;
  diagnose: IncidentDiagnose;
  /** A stored diagnosis (DiagnosisStore.get). */
  findDiagnosis: (id: string) => Promise<Diagnosis | undefined>;
  metrics: Metrics;
  log: Logger;
  /** Bound of one probe. */
  timeoutMs: number;
  now?: () => number;
  /** How long a claim on a step is held before another worker may take it over (default 120 s). */
  leaseMs?: number;
  /** Incidents this process brings up to date at once (default 16); past that a tick leaves it to the next. */
  maxReconciling?: number;
}

export type TickOutcome =
  | { kind: 'duplicate' }
  | { kind: 'counted'; state: TargetState; events: MonitorEvent[]; probe: UpResult };

/**
 * Longer than the slowest post can take: the Web API client tries 4 times
 * with a 10 s timeout and backoff (slack/reporter.ts), and a diagnosis with
 * SSH checks is bounded well under this.
 */
const DEFAULT_LEASE_MS = 120_000;
const CAS_ATTEMPTS = 8;
/** Bounds per incident: a target whose failure keeps changing is not diagnosed or noted without end. */
const MAX_DIAGNOSES = 10;
const MAX_CAUSE_NOTES = 5;
const RESOLVE_CACHE_MS = 60_000;
const MAX_CACHED = 20_000;
const MAX_RECONCILING = 16;
/** After a failed reconcile (Slack refusing, a channel the app is not in): wait this long at most before the next try. */
const MAX_BACKOFF_MS = 10 * 60_000;
const ANY_CODE = '*';

/** An open incident with nothing left to do until the probe fails differently, it flaps, or a reminder is due. */
interface Settled {
  diagCode?: string;
  flapNoted: boolean;
  /** When the next reminder is due (Infinity: none: acknowledged, or reminders off). */
  remindAt: number;
}

export function incidentRef(id: string): string {
  return `i.${id}`;
}

/** `m-<hex>`: a DiagnosisStore id (refs.ts DIAGNOSIS_ID_RE), deterministic per incident and diagnosis number. */
export function incidentDiagnosisId(incidentId: string, n: number): string {
  return `m-${createHash('sha256').update(`${incidentId}\u0000${n}`).digest('hex').slice(0, 24)}`;
}

/** How the parent message shows an incident record (pure). */
export function incidentView(rec: IncidentRecord, s: Pick<AlertSettings, 'failuresBeforeAlert' | 'intervalSeconds'>): IncidentView {
  return {
    id: rec.id, ref: incidentRef(rec.id), target: rec.target, reason: rec.reason,
    firstFailureAt: rec.firstFailureAt, firstCode: rec.firstCode, openedAt: rec.openedAt,
    failuresBeforeAlert: s.failuresBeforeAlert, intervalSeconds: s.intervalSeconds,
    ...(rec.targetInfo ? { targetInfo: rec.targetInfo } : {}),
    ...(rec.cause ? { cause: rec.cause } : {}),
    ...(rec.title ? { title: rec.title } : {}),
    ...(rec.firstError ? { firstError: rec.firstError } : {}),
    ...(rec.lastOkAt !== undefined ? { lastOkAt: rec.lastOkAt } : {}),
    ...(rec.ackedBy ? { ackedBy: rec.ackedBy } : {}),
    ...(rec.resolvedAt !== undefined ? { resolvedAt: rec.resolvedAt } : {}),
    ...(rec.downtimeMs !== undefined ? { downtimeMs: rec.downtimeMs } : {}),
  };
}

export class Monitor {
  private readonly now: () => number;
  private readonly leaseMs: number;
  /** Who holds a claim: enough to tell workers apart in Redis and in logs. */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly resolved = new Map<string, { at: number; value: ResolvedTarget }>();
  private readonly unresolvable = new Set<string>();
  /** The last state this process saw of each target, with its version (bounded by the number of targets). */
  private readonly states = new BoundedMap<{ version: number; state?: TargetState }>(MAX_CACHED);
  /** What is known done of open incidents: the ticks in between have nothing to read (see reconcileOpen). */
  private readonly settled = new BoundedMap<Settled>(MAX_CACHED);
  private readonly reconciling = new Set<string>();
  private readonly backoff = new BoundedMap<{ failures: number; until: number }>(MAX_CACHED);

  constructor(private readonly deps: MonitorDeps) {
    this.now = deps.now ?? Date.now;
    this.leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  }

  private get settings(): AlertSettings {
    return this.deps.settings;
  }

  /** Resolved targets are reused for a minute: a tick every few seconds need not re-read CA and key files. */
  private resolve(name: string): ResolvedTarget {
    const hit = this.resolved.get(name);
    const now = this.now();
    if (hit && now - hit.at < RESOLVE_CACHE_MS) return hit.value;
    const value = this.deps.resolve(name);
    this.resolved.set(name, { at: now, value });
    this.unresolvable.delete(name);
    return value;
  }

  /**
   * One scheduled tick of `name`; `tickAt` is its scheduled time (a tick seen
   * twice is counted once). The state this process wrote last is kept, so a
   * tick usually costs one Redis round trip (the compare-and-set); when
   * another worker wrote since, the failed compare-and-set returns the
   * current state and the transition is recomputed on it.
   */
  async tick(name: string, tickAt: number): Promise<TickOutcome> {
    const { store, log } = this.deps;
    const known = this.states.get(name) ?? await store.readState(name);
    let { state, version } = known;
    if (state?.lastTick !== undefined && state.lastTick >= tickAt) return { kind: 'duplicate' };

    let resolved: ResolvedTarget;
    try {
      resolved = this.resolve(name);
    } catch (err) {
      // A config mistake (an unset passwordEnv …) fails every tick alike: say it once per process.
      if (!this.unresolvable.has(name)) log.log('error', 'monitored target cannot be resolved: not probed', { target: name, error: (err as Error).message });
      this.unresolvable.add(name);
      throw err;
    }
    const redactor = new Redactor().add(resolved.options.credentials?.password);
    const at = this.now();
    const probe = await this.deps.probe(resolved.target, {
      timeoutMs: this.deps.timeoutMs,
      ...(resolved.options.credentials ? { credentials: resolved.options.credentials } : {}),
      ...(resolved.options.tls ? { tls: resolved.options.tls } : {}),
    });
    const outcome: ProbeOutcome = probe.up
      ? { ok: true, at }
      : { ok: false, at, code: probe.code ?? 'ERROR', ...(probe.detail ? { error: redactor.redact(probe.detail) } : {}) };

    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const { next, events } = transition(state, outcome, this.settings, name, tickAt);
      const cas = await store.casState(name, version, next, tickAt);
      if (cas.kind !== 'written') {
        this.states.set(name, { version: cas.version, ...(cas.state ? { state: cas.state } : {}) });
        if (cas.kind === 'duplicate') return { kind: 'duplicate' };
        ({ state, version } = { state: cas.state, version: cas.version });
        continue;
      }
      this.states.set(name, { version: cas.version, state: next });
      {
        this.deps.metrics.targetUp.set({ target: name }, countsAsUp(next.status) ? 1 : 0);
        log.log('debug', 'monitor tick', { target: name, tickAt, up: probe.up, status: next.status, ...(probe.code ? { code: probe.code } : {}) });
        for (const e of events) this.logEvent(name, e);
        if (next.incident || next.closed) await this.reconcileBounded(name, next, resolved.target);
        return { kind: 'counted', state: next, events, probe };
      }
    }
    throw new Error(`the state of ${name} kept changing under this worker (${CAS_ATTEMPTS} attempts)`);
  }

  private logEvent(name: string, e: MonitorEvent): void {
    const { log } = this.deps;
    if (e.kind === 'opened') log.log('info', 'monitored target down: incident opened', { target: name, incident: e.incident.id, reason: e.incident.reason, code: e.incident.firstFailure.code });
    else if (e.kind === 'resolved') log.log('info', 'monitored target recovered: incident resolved', { target: name, incident: e.closed.id, downtimeMs: e.closed.downtimeMs });
    else if (e.kind === 'flapped') log.log('info', 'monitored target failed again while recovering', { target: name, incident: e.incident.id, flaps: e.incident.flaps });
    else log.log('info', 'monitored target fails differently', { target: name, from: e.from, to: e.to });
  }

  /**
   * reconcile(), bounded: a mass outage (hundreds of incidents opening at
   * once, Slack rate-limiting the channel to about a message a second) must
   * not hold every tick slot of the worker on diagnoses and posts while the
   * other targets wait to be probed. At most `maxReconciling` incidents are
   * worked on at once per process; a tick that finds no room leaves its
   * incident to a later tick. A reconcile that failed (Slack refusing, the
   * app not in the channel) is tried again after a backoff that doubles from
   * one interval up to 10 min, instead of on every tick.
   */
  private async reconcileBounded(name: string, state: TargetState, targetInfo?: DiagnoseTarget): Promise<void> {
    const now = this.now();
    const back = this.backoff.get(name);
    if (back && now < back.until) return;
    if (this.reconciling.has(name) || this.reconciling.size >= (this.deps.maxReconciling ?? MAX_RECONCILING)) return;
    this.reconciling.add(name);
    try {
      await this.reconcile(name, state, targetInfo);
      this.backoff.delete(name);
    } catch (err) {
      const failures = (back?.failures ?? 0) + 1;
      const wait = Math.min(MAX_BACKOFF_MS, this.settings.intervalSeconds * 1000 * 2 ** (failures - 1));
      this.backoff.set(name, { failures, until: now + wait - 1 });
      throw err;
    } finally {
      this.reconciling.delete(name);
    }
  }

  /** Brings the open and the just-closed incident of `name` up to date. Safe to run from any number of workers. */
  async reconcile(name: string, state: TargetState, targetInfo?: DiagnoseTarget): Promise<void> {
    if (state.closed) await this.reconcileClosed(name, state);
    if (state.incident) await this.reconcileOpen(name, state, targetInfo);
  }

  /** Runs `work` while holding the lease on `what` of the incident; undefined when another worker holds it. */
  private async claimed<T>(id: string, what: string, work: () => Promise<T>): Promise<T | undefined> {
    const { store, log } = this.deps;
    if (!(await store.claim(id, what, this.owner, this.leaseMs))) return undefined;
    try {
      return await work();
    } finally {
      await store.release(id, what, this.owner).catch((err: Error) => log.log('warn', 'could not release a monitor claim (it expires by itself)', { incident: id, what, error: err.message }));
    }
  }

  viewOf(rec: IncidentRecord): IncidentView {
    return incidentView(rec, this.settings);
  }

  private async record(name: string, state: TargetState, targetInfo?: DiagnoseTarget): Promise<IncidentRecord> {
    const inc = state.incident!;
    const existing = await this.deps.store.incident(inc.id);
    if (existing) return existing;
    return this.deps.store.createIncident({
      id: inc.id, target: name, channel: this.settings.channel, openedAt: inc.openedAt, reason: inc.reason,
      firstFailureAt: inc.firstFailure.at, firstCode: inc.firstFailure.code,
      ...(inc.firstFailure.error ? { firstError: inc.firstFailure.error } : {}),
      ...(inc.lastOkAt !== undefined ? { lastOkAt: inc.lastOkAt } : {}),
      ...(targetInfo ? { targetInfo: { input: targetInfo.input, host: targetInfo.host, port: targetInfo.port, tls: targetInfo.tls, ...(targetInfo.name ? { name: targetInfo.name } : {}) } } : {}),
      diagnoses: 0, findingsPosted: 0, notes: 0,
    });
  }

  /** Whether the tick brings anything new to an incident already settled (alerted, findings posted). */
  private needsWork(state: TargetState, known: Settled | undefined): boolean {
    if (!known) return true;
    const flapping = state.incident!.flaps > 0 || state.incident!.reason === 'flapping';
    if (flapping && !known.flapNoted) return true;
    if (state.status === 'down' && state.lastFailure && known.diagCode !== ANY_CODE && state.lastFailure.code !== known.diagCode) return true;
    return this.now() >= known.remindAt;
  }

  private async reconcileOpen(name: string, state: TargetState, targetInfo?: DiagnoseTarget): Promise<void> {
    const { store } = this.deps;
    const id = state.incident!.id;
    if (!this.needsWork(state, this.settled.get(id))) return;
    this.settled.delete(id);
    // One round trip: the client pipelines commands sent in the same tick (enableAutoPipelining).
    const [first, snooze] = await Promise.all([this.record(name, state, targetInfo), store.snoozed(name, this.now())]);
    let rec = first;
    if (!rec.ts) {
      // Snoozed: the incident is kept, and alerted when the snooze ends if it is still open.
      if (snooze) return;
      if (rec.diagnoses === 0) {
        await this.claimed(id, 'diagnosis', () => this.diagnoseFirst(name, id, state));
        rec = (await store.incident(id)) ?? rec;
        // Another worker is diagnosing: its tick posts the alert.
        if (rec.diagnoses === 0) return;
      }
      await this.claimed(id, 'post', () => this.postParent(id));
      rec = (await store.incident(id)) ?? rec;
      if (!rec.ts) return;
    }
    if (rec.diagnosisId && !(rec.findingsTotal !== undefined && rec.findingsPosted >= rec.findingsTotal)) {
      await this.claimed(id, 'findings', () => this.postFindings(id));
    }
    if (snooze) return;
    if (state.status === 'down' && state.lastFailure && rec.diagCode !== undefined && rec.diagCode !== state.lastFailure.code && rec.diagnoses < MAX_DIAGNOSES) {
      await this.claimed(id, 'diagnosis', () => this.rediagnose(name, id, state));
    }
    if ((state.incident!.flaps > 0 || rec.reason === 'flapping') && !rec.flapNoted) await this.noteFlapping(rec, state);
    await this.remind(rec);
    await this.settle(id);
  }

  /** Notes what is done of the incident, so the next ticks skip reading it until something is due. */
  private async settle(id: string): Promise<void> {
    const rec = await this.deps.store.incident(id);
    if (!rec?.ts || rec.postedAt === undefined || (rec.findingsTotal !== undefined && rec.findingsPosted < rec.findingsTotal)) return;
    const period = this.settings.remindAfterMinutes * 60_000;
    const remindAt = period <= 0 || rec.ackedBy ? Infinity : rec.postedAt + ((rec.reminded ?? 0) + 1) * period;
    // No more diagnoses for this incident: a new failure code changes nothing.
    const diagCode = rec.diagnoses >= MAX_DIAGNOSES || rec.notes >= MAX_CAUSE_NOTES ? ANY_CODE : rec.diagCode;
    this.settled.set(id, { ...(diagCode !== undefined ? { diagCode } : {}), flapNoted: rec.flapNoted === true, remindAt });
  }

  private history(rec: { lastOkAt?: number }): TargetHistory {
    return rec.lastOkAt !== undefined ? { lastAnsweredAt: new Date(rec.lastOkAt).toISOString() } : {};
  }

  private async runDiagnosis(name: string, diagnosisId: string, rec: IncidentRecord): Promise<Diagnosis | Error> {
    try {
      return await this.deps.diagnose(name, diagnosisId, this.history(rec));
    } catch (err) {
      this.deps.log.log('warn', 'diagnosis for an alert failed: alerting without a cause', { target: name, incident: rec.id, error: (err as Error).message });
      return err as Error;
    }
  }

  private async diagnoseFirst(name: string, id: string, state: TargetState): Promise<void> {
    const { store } = this.deps;
    const rec = await store.incident(id);
    if (!rec || rec.diagnoses > 0) return;
    const diagnosisId = incidentDiagnosisId(id, 1);
    const d = await this.runDiagnosis(name, diagnosisId, rec);
    const code = state.lastFailure?.code ?? rec.firstCode;
    if (d instanceof Error) {
      // Never silence: the alert goes out without a cause, and says why.
      await store.updateIncident(id, { diagnoses: 1, diagCode: code, title: `the diagnosis could not run: ${d.message}`.slice(0, 300) });
      return;
    }
    await store.updateIncident(id, {
      diagnoses: 1, diagCode: code, diagnosisId, cause: d.primaryCause ?? 'none', title: d.findings[0]?.title ?? 'the diagnosis found nothing wrong', findingsTotal: d.findings.length,
    });
  }

  /**
   * The parent message, once per incident. The lease (claimed by the caller)
   * keeps a second worker from posting while this one posts; the ts is
   * recorded (HSETNX) before the lease is released, so whoever claims next
   * finds it. Should two posts still happen — this worker outlived its lease
   * mid-post and another posted meanwhile — the loser of HSETNX deletes its
   * own message.
   *
   * What cannot be made exactly-once: a worker SIGKILLed after Slack accepted
   * chat.postMessage but before the ts was recorded. chat.postMessage has no
   * idempotency key, and finding our message again would need
   * conversations.history (a scope this app does not ask for). After the lease
   * runs out the next tick posts again: at-least-once, in that one window only.
   */
  private async postParent(id: string): Promise<void> {
    const { store, sink, metrics, log } = this.deps;
    const rec = await store.incident(id);
    if (!rec || rec.ts) return;
    const ts = await sink.post(rec.channel, this.viewOf(rec));
    if (await store.setIncidentOnce(id, 'ts', ts)) {
      await store.updateIncident(id, { postedAt: this.now() });
      metrics.alerts.inc({ kind: 'alert' });
      log.log('info', 'alert posted', { target: rec.target, incident: id, cause: rec.cause, channel: rec.channel, ts });
      return;
    }
    log.log('warn', 'the alert was posted twice (a lease ran out mid-post): deleting this copy', { incident: id, ts });
    await sink.remove(rec.channel, ts).catch((err: Error) => log.log('warn', 'could not delete the duplicate alert', { incident: id, error: err.message }));
  }

  /** The findings of the incident's diagnosis as replies in its thread, checkpointed one by one. */
  private async postFindings(id: string): Promise<void> {
    const { store, sink } = this.deps;
    const rec = await store.incident(id);
    if (!rec?.ts || !rec.diagnosisId || (rec.findingsTotal !== undefined && rec.findingsPosted >= rec.findingsTotal)) return;
    const d = await this.deps.findDiagnosis(rec.diagnosisId);
    if (!d) return;
    for (let i = rec.findingsPosted; i < d.findings.length; i++) {
      await sink.finding(rec.channel, rec.ts, d.findings[i]!, rec.diagnosisId);
      await store.updateIncident(id, { findingsPosted: i + 1 });
    }
  }

  /** The probe fails differently while down: diagnose again; a new primary cause is one note in the thread. */
  private async rediagnose(name: string, id: string, state: TargetState): Promise<void> {
    const { store, sink } = this.deps;
    const rec = await store.incident(id);
    const code = state.lastFailure!.code;
    if (!rec?.ts || rec.diagCode === code || rec.diagnoses >= MAX_DIAGNOSES) return;
    const n = rec.diagnoses + 1;
    const diagnosisId = incidentDiagnosisId(id, n);
    const d = await this.runDiagnosis(name, diagnosisId, rec);
    if (d instanceof Error) {
      await store.updateIncident(id, { diagnoses: n, diagCode: code });
      return;
    }
    const cause = d.primaryCause ?? 'none';
    if (cause === rec.cause || rec.notes >= MAX_CAUSE_NOTES) {
      await store.updateIncident(id, { diagnoses: n, diagCode: code });
      return;
    }
    const next: IncidentRecord = { ...rec, cause, title: d.findings[0]?.title ?? rec.title ?? '', diagnosisId };
    // Posted before it is recorded: a failure here is retried by a later tick (at-least-once), never lost.
    await sink.note(rec.channel, rec.ts, { kind: 'cause-changed', ...(rec.cause ? { from: rec.cause } : {}), to: cause, probeCode: code, ...(d.findings[0] ? { finding: d.findings[0] } : {}), diagnosisId }, this.viewOf(next));
    await store.updateIncident(id, { diagnoses: n, diagCode: code, cause, title: next.title, diagnosisId, notes: rec.notes + 1 });
    await sink.update(rec.channel, rec.ts, this.viewOf(next)).catch((err: Error) => this.deps.log.log('warn', 'could not update the alert with the new cause', { incident: id, error: err.message }));
  }

  private async noteFlapping(rec: IncidentRecord, state: TargetState): Promise<void> {
    const { store, sink } = this.deps;
    // HSETNX is the claim and the record at once: one note per incident.
    if (!(await store.setIncidentOnce(rec.id, 'flapNoted', '1'))) return;
    try {
      await sink.note(rec.channel, rec.ts!, { kind: 'flapping', flaps: state.incident!.flaps, successesNeeded: this.settings.successesBeforeRecovery }, this.viewOf(rec));
    } catch (err) {
      await store.unsetIncident(rec.id, 'flapNoted').catch(() => undefined);
      throw err;
    }
  }

  /** One reminder per remindAfterMinutes since the alert, while nobody has acknowledged it (0: never). */
  private async remind(rec: IncidentRecord): Promise<void> {
    const period = this.settings.remindAfterMinutes * 60_000;
    if (period <= 0 || rec.ackedBy || rec.postedAt === undefined) return;
    const now = this.now();
    const due = Math.floor((now - rec.postedAt) / period);
    if (due < 1 || (rec.reminded ?? 0) >= due) return;
    await this.claimed(rec.id, 'reminder', async () => {
      const fresh = await this.deps.store.incident(rec.id);
      if (!fresh?.ts || fresh.ackedBy || (fresh.reminded ?? 0) >= due) return;
      await this.deps.sink.note(fresh.channel, fresh.ts, { kind: 'reminder', downForMs: now - fresh.firstFailureAt, remindAfterMinutes: this.settings.remindAfterMinutes }, this.viewOf(fresh));
      await this.deps.store.updateIncident(rec.id, { reminded: due });
      this.deps.metrics.alerts.inc({ kind: 'reminder' });
    });
  }

  private async reconcileClosed(name: string, state: TargetState): Promise<void> {
    const { store, sink, metrics, log } = this.deps;
    const closed = state.closed!;
    let rec = await store.incident(closed.id);
    if (rec && !rec.done) {
      if (rec.resolvedAt === undefined) {
        await store.updateIncident(closed.id, { resolvedAt: closed.resolvedAt, downtimeMs: closed.downtimeMs });
        rec = { ...rec, resolvedAt: closed.resolvedAt, downtimeMs: closed.downtimeMs };
      }
      if (!rec.ts) {
        // Never posted (snoozed throughout, or resolved before it could be): nothing to resolve in Slack —
        // unless a worker is posting the alert right now: then a later tick resolves it.
        const idle = await this.claimed(closed.id, 'post', async () => {
          const fresh = await store.incident(closed.id);
          return fresh?.ts === undefined;
        });
        if (!idle) return;
      } else {
        if (!rec.recoveryPosted) {
          await this.claimed(closed.id, 'recovery', async () => {
            const fresh = await store.incident(closed.id);
            if (!fresh?.ts || fresh.recoveryPosted) return;
            await sink.note(fresh.channel, fresh.ts, { kind: 'recovered', resolvedAt: closed.resolvedAt, downtimeMs: closed.downtimeMs, successes: this.settings.successesBeforeRecovery }, this.viewOf(fresh));
            await store.updateIncident(closed.id, { recoveryPosted: true });
            metrics.alerts.inc({ kind: 'recovery' });
            log.log('info', 'recovery posted', { target: name, incident: closed.id, downtimeMs: closed.downtimeMs });
          });
          rec = (await store.incident(closed.id)) ?? rec;
          if (!rec.recoveryPosted) return;
        }
        if (!rec.parentResolved) {
          // chat.update is idempotent: a retry edits the same text in again.
          await sink.update(rec.channel, rec.ts!, this.viewOf(rec));
          await store.updateIncident(closed.id, { parentResolved: true });
        }
      }
      await store.updateIncident(closed.id, { done: true });
      await store.expireIncident(closed.id, CLOSED_INCIDENT_TTL_MS);
    }
    await this.clearClosed(name, closed.id);
  }

  /** Drops the told incident from the state (compare-and-set, like a tick). */
  private async clearClosed(name: string, id: string): Promise<void> {
    const { store } = this.deps;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const { state, version } = await store.readState(name);
      if (!state || state.closed?.id !== id) return;
      const { closed: _told, ...rest } = state;
      if (await store.writeState(name, version, rest)) return;
    }
  }
}

/**
 * Brings an incident up to date, from whichever worker ticks its target:
 * whatever it still lacks — the diagnosis, the parent message, the findings in
 * its thread, a flapping note, a new cause, a reminder, the recovery — is done
 * now. Every step is claimed first (a lease, SET NX PX) and recorded after,
 * so each happens once however many workers tick, and a step a killed worker
 * left undone is picked up by a later tick.
 */
import type { Diagnosis, DiagnoseTarget, TargetHistory } from '../engine/index.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { CLOSED_INCIDENT_TTL_MS, type IncidentRecord, type MonitorStore } from '../stores/monitor-store.js';
import { BoundedMap } from '../util/bounded-map.js';
import { RateLimitedError, type AlertSink, type IncidentView } from './alert-sink.js';
import { AlertQueue, type PostOutcome } from './alert-queue.js';
import type { IdleWatch } from './idle-watch.js';
import { incidentDiagnosisId, incidentView, type AlertSettings } from './incident.js';
import { flapHoldMs, type TargetState } from './state-machine.js';
import { restartHistory } from './restarts.js';
import { isSlowCode } from './latency.js';
import type { RouteOf } from './routing.js';
import { AlertGrouper } from './grouping.js';
import { silenceFor, type SilenceRecord } from './silences.js';
import type { LocatedDiagnosis } from './incident-location.js';

/**
 * A full diagnosis of a config target, stored under `diagnosisId` (the remediation buttons find it there);
 * for a target probed from other locations, run where it is down and saying from where (incident-location.ts).
 */
export type IncidentDiagnose = (target: string, diagnosisId: string, history: TargetHistory) => Promise<LocatedDiagnosis>;

export interface KeeperDeps {
  settings: AlertSettings;
  store: MonitorStore;
  sink: AlertSink;
  diagnose: IncidentDiagnose;
  /** A stored diagnosis (DiagnosisStore.get). */
  findDiagnosis: (id: string) => Promise<Diagnosis | undefined>;
  metrics: Metrics;
  log: Logger;
  /** The idle watch's latest record for a target goes into its diagnoses' history (idle-watch.ts). */
  idleWatch?: IdleWatch;
  /** Where each target's alerts go and what they carry (routing.ts); default: alerts.channel, nothing more. */
  route?: RouteOf;
  /** Maintenance windows (silences.ts): a silenced target is kept quiet like a snoozed one. */
  silences?: { active(now: number): Promise<SilenceRecord[]> };
}

export const CAS_ATTEMPTS = 8;
/** Bounds per incident: a target whose failure keeps changing is not diagnosed or noted without end. */
const MAX_DIAGNOSES = 10;
const MAX_CAUSE_NOTES = 5;
const MAX_CACHED = 20_000;
const ANY_CODE = '*';

/** An open incident with nothing left to do until the probe fails differently, it flaps, or a reminder is due. */
interface Settled {
  diagCode?: string;
  flapNoted: boolean;
  /** When the next reminder is due (Infinity: none: acknowledged, or reminders off). */
  remindAt: number;
}

export class IncidentKeeper {
  /** What is known done of open incidents: the ticks in between have nothing to read (see reconcileOpen). */
  private readonly settled = new BoundedMap<Settled>(MAX_CACHED);
  private readonly queue: AlertQueue;
  /** alerts.groupWaitSeconds: incidents sharing a host or cause share one message (grouping.ts). */
  private readonly grouper: AlertGrouper;

  constructor(
    private readonly deps: KeeperDeps,
    /** Who holds a claim: enough to tell workers apart in Redis and in logs. */
    private readonly owner: string,
    private readonly leaseMs: number,
    private readonly now: () => number,
  ) {
    this.queue = new AlertQueue(deps.store, owner, leaseMs, deps.log);
    this.grouper = new AlertGrouper(deps.store, deps.sink, (deps.settings.groupWaitSeconds ?? 0) * 1000, (rec) => this.viewOf(rec), deps.log, now, (id, what, work) => this.claimed(id, what, work));
  }

  /** Edits an incident's parent: its own message, or its message in a group's thread and the group message (grouping.ts). */
  private async updateParent(rec: IncidentRecord): Promise<void> {
    const view = this.viewOf(rec);
    if (!(await this.grouper.updateMember(rec, view))) await this.deps.sink.update(rec.channel, rec.ts!, view);
  }

  private get settings(): AlertSettings {
    return this.deps.settings;
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

  /** Snoozed (a button) or silenced (a maintenance window): no alert, note or reminder now. */
  private async quiet(target: string): Promise<boolean> {
    const now = this.now();
    const [snooze, silences] = await Promise.all([this.deps.store.snoozed(target, now), this.deps.silences?.active(now)]);
    return snooze !== undefined || (silences !== undefined && silenceFor(target, silences, now) !== undefined);
  }

  viewOf(rec: IncidentRecord): IncidentView {
    return incidentView(rec, this.settings);
  }

  private async record(name: string, state: TargetState, targetInfo?: DiagnoseTarget): Promise<IncidentRecord> {
    const inc = state.incident!;
    const existing = await this.deps.store.incident(inc.id);
    if (existing) return existing;
    const route = this.deps.route?.(name) ?? { channel: this.settings.channel };
    return this.deps.store.createIncident({
      ...route,
      id: inc.id, target: name, openedAt: inc.openedAt, reason: inc.reason,
      firstFailureAt: inc.firstFailure.at, firstCode: inc.firstFailure.code,
      ...(inc.firstFailure.error ? { firstError: inc.firstFailure.error } : {}),
      ...(inc.lastOkAt !== undefined ? { lastOkAt: inc.lastOkAt } : {}),
      ...(inc.source ? { source: inc.source } : {}),
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
    const [first, snooze] = await Promise.all([this.record(name, state, targetInfo), this.quiet(name)]);
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
      // Queued, then posted in order of urgency by whichever worker drains (alert-queue.ts).
      await this.queue.offer(rec);
      await this.queue.drain(id, async (qid, behind) => (await this.claimed(qid, 'post', () => this.postParent(qid, behind))) ?? 'busy');
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

  /**
   * The window the outage began in (an OOM kill inside it is tied to this target: rules/helpers/oom-link.ts),
   * and what the idle watch saw reap a held connection.
   */
  private history(rec: { lastOkAt?: number; firstFailureAt?: number; target: string }, state?: TargetState): TargetHistory {
    const idle = this.deps.idleWatch?.evidence(rec.target);
    // The run_ids the ticks read: restarts between them (restarts.ts).
    const idleClosed = { ...(idle ? { idleClosed: idle } : {}), ...restartHistory(state?.runs) };
    if (rec.lastOkAt === undefined) return idleClosed;
    const first = rec.firstFailureAt !== undefined ? { firstFailedAt: new Date(rec.firstFailureAt).toISOString() } : {};
    return { lastAnsweredAt: new Date(rec.lastOkAt).toISOString(), ...first, ...idleClosed };
  }

  private async runDiagnosis(name: string, diagnosisId: string, rec: IncidentRecord, state?: TargetState): Promise<LocatedDiagnosis | Error> {
    try {
      return await this.deps.diagnose(name, diagnosisId, this.history(rec, state));
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
    const d = await this.runDiagnosis(name, diagnosisId, rec, state);
    const code = state.lastFailure?.code ?? rec.firstCode;
    if (d instanceof Error) {
      // Never silence: the alert goes out without a cause, and says why.
      await store.updateIncident(id, { diagnoses: 1, diagCode: code, title: `the diagnosis could not run: ${d.message}`.slice(0, 300) });
      return;
    }
    // Slow with no cause named: the alert says what was measured (latency.ts), not "nothing wrong".
    const slowOnly = !d.primaryCause && isSlowCode(rec.firstCode) && rec.firstError !== undefined;
    await store.updateIncident(id, {
      diagnoses: 1, diagCode: code, diagnosisId, ...(slowOnly ? {} : { cause: d.primaryCause ?? 'none' }), ...(d.diagnosedFrom ? { diagnosedFrom: d.diagnosedFrom } : {}),
      title: slowOnly ? rec.firstError! : d.findings[0]?.title ?? 'the diagnosis found nothing wrong', findingsTotal: d.findings.length,
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
   *
   * Called by the alert queue's drain (alert-queue.ts) for any queued
   * incident, not only the ticking one: so it checks the incident is still
   * open and not snoozed. A 429 posts nothing (Slack refused it before
   * processing); its Retry-After is recorded for every worker.
   */
  private async postParent(id: string, behind: number): Promise<PostOutcome> {
    const { store, sink, metrics, log } = this.deps;
    const rec = await store.incident(id);
    if (rec?.ts) return 'posted';
    // A queued alert may be another target's, queued a while ago: post it only if still due.
    if (!rec || rec.resolvedAt !== undefined || rec.diagnoses === 0) return 'gone';
    const [open, snoozed] = await Promise.all([store.isOpen(rec.target, id), this.quiet(rec.target)]);
    if (!open || snoozed) return 'gone';
    // Within alerts.groupWaitSeconds of an alert sharing its host or cause: it joins that alert's group, no message of its own.
    if (await this.grouper.join(rec)) {
      metrics.alerts.inc({ kind: 'alert' });
      return 'posted';
    }
    const queuedBehind = behind;
    let ts: string;
    try {
      ts = await sink.post(rec.channel, { ...this.viewOf(rec), ...(queuedBehind > 0 ? { queuedBehind } : {}) });
    } catch (err) {
      if (!(err instanceof RateLimitedError)) throw err;
      await store.backlog.limited(err.retryAfterMs, rec.channel);
      return 'limited';
    }
    if (await store.setIncidentOnce(id, 'ts', ts)) {
      await store.updateIncident(id, { postedAt: this.now() });
      metrics.alerts.inc({ kind: 'alert' });
      await this.grouper.opened(rec, ts);
      log.log('info', 'alert posted', { target: rec.target, incident: id, cause: rec.cause, channel: rec.channel, ts, ...(queuedBehind > 0 ? { queuedBehind } : {}) });
      return 'posted';
    }
    log.log('warn', 'the alert was posted twice (a lease ran out mid-post): deleting this copy', { incident: id, ts });
    await sink.remove(rec.channel, ts).catch((err: Error) => log.log('warn', 'could not delete the duplicate alert', { incident: id, error: err.message }));
    return 'posted';
  }

  /** The findings of the incident's diagnosis as replies in its thread, checkpointed one by one. */
  private async postFindings(id: string): Promise<void> {
    const { store, sink } = this.deps;
    const rec = await store.incident(id);
    if (!rec?.ts || !rec.diagnosisId || (rec.findingsTotal !== undefined && rec.findingsPosted >= rec.findingsTotal)) return;
    const d = await this.deps.findDiagnosis(rec.diagnosisId);
    if (!d) return;
    for (let i = rec.findingsPosted; i < d.findings.length; i++) {
      // With grouping on, any alert's thread may become a group's: its findings name their target from the start.
      if (rec.groupId || this.grouper.enabled) await sink.finding(rec.channel, rec.ts, d.findings[i]!, rec.diagnosisId, rec.target);
      else await sink.finding(rec.channel, rec.ts, d.findings[i]!, rec.diagnosisId);
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
    const d = await this.runDiagnosis(name, diagnosisId, rec, state);
    if (d instanceof Error) {
      await store.updateIncident(id, { diagnoses: n, diagCode: code });
      return;
    }
    const cause = d.primaryCause ?? 'none';
    if (cause === rec.cause || rec.notes >= MAX_CAUSE_NOTES) {
      await store.updateIncident(id, { diagnoses: n, diagCode: code });
      return;
    }
    const next: IncidentRecord = { ...rec, cause, title: d.findings[0]?.title ?? rec.title ?? '', diagnosisId, ...(d.diagnosedFrom ? { diagnosedFrom: d.diagnosedFrom } : {}) };
    // Posted before it is recorded: a failure here is retried by a later tick (at-least-once), never lost.
    await sink.note(rec.channel, rec.ts, { kind: 'cause-changed', ...(rec.cause ? { from: rec.cause } : {}), to: cause, probeCode: code, ...(d.findings[0] ? { finding: d.findings[0] } : {}), diagnosisId }, this.viewOf(next));
    await store.updateIncident(id, { diagnoses: n, diagCode: code, cause, title: next.title, diagnosisId, notes: rec.notes + 1, ...(d.diagnosedFrom ? { diagnosedFrom: d.diagnosedFrom } : {}) });
    await this.updateParent(next).catch((err: Error) => this.deps.log.log('warn', 'could not update the alert with the new cause', { incident: id, error: err.message }));
  }

  private async noteFlapping(rec: IncidentRecord, state: TargetState): Promise<void> {
    const { store, sink } = this.deps;
    // HSETNX is the claim and the record at once: one note per incident.
    if (!(await store.setIncidentOnce(rec.id, 'flapNoted', '1'))) return;
    try {
      await sink.note(rec.channel, rec.ts!, { kind: 'flapping', flaps: state.incident!.flaps, successesNeeded: this.settings.successesBeforeRecovery, holdMs: flapHoldMs(this.settings) }, this.viewOf(rec));
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
        await store.backlog.remove(closed.id);
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
          await this.updateParent(rec);
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

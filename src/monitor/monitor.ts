/**
 * One tick of one monitored target, run by whichever worker the `monitor`
 * queue hands it to:
 *
 *   1. the cheap probe (engine probeUp: connect, TLS, AUTH + PING, one deadline),
 *      and on its open connection a few PINGs timed one by one and INFO server's
 *      run_id: a p99 over `alerts.latencyMs` counts as a failed probe (latency.ts),
 *      a run_id that changed is kept for restart-loop (restarts.ts);
 *   2. the state machine (state-machine.ts) on the state kept in Redis,
 *      written back with compare-and-set, so a second worker, or this one
 *      restarted, continues the same state;
 *   3. the incident brought up to date (incidents.ts): whatever it still
 *      lacks is done now, each step once however many workers tick.
 *
 * The full diagnosis runs only when the target changes: when an incident
 * opens, and when the probe's failure code changes while it is open. It is
 * given `history.lastAnsweredAt` (the last good probe), so a neighbouring
 * Redis on the same host is not taken for the right port of a target that
 * answered a minute ago.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redactor, type Diagnosis, type DiagnoseTarget, type UpOptions, type UpResult } from '../engine/index.js';
import type { ResolvedTarget } from '../config/resolve-target.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { MonitorStore } from '../stores/monitor-store.js';
import { backoffDelay } from '../util/backoff.js';
import { BoundedMap } from '../util/bounded-map.js';
import type { AlertSink } from './alert-sink.js';
import type { IdleWatch } from './idle-watch.js';
import type { AlertSettings } from './incident.js';
import { CAS_ATTEMPTS, IncidentKeeper, type IncidentDiagnose, type KeeperDeps } from './incidents.js';
import { LATENCY_PINGS, outcomeOf, reportsUp, withLatency } from './latency.js';
import { LOCATION_SILENT } from './location-probes.js';
import { DEFAULT_LAG_FRACTION, processLoopLag, starved, timeoutClass, type LoopLag } from './loop-lag.js';
import { withRun } from './restarts.js';
import { StateWriter } from './state-writer.js';
import { transition, type MonitorEvent, type ProbeOutcome, type TargetState } from './state-machine.js';

export type { AlertSettings } from './incident.js';

export type ProbeFn = (target: DiagnoseTarget, options: UpOptions) => Promise<UpResult>;

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
  /** Optional: hold one idle connection per target that is up, and give what reaps it to its diagnoses (idle-watch.ts). */
  idleWatch?: IdleWatch;
  /** Where each target's alerts go (routing.ts) and the maintenance windows (silences.ts): see KeeperDeps. */
  route?: KeeperDeps['route'];
  silences?: KeeperDeps['silences'];
  /**
   * Gather the ticks' state writes over this many ms into one Lua call
   * (state-writer.ts; the batch monitor sets it). Unset: each tick writes on its own.
   */
  writeWindowMs?: number;
  /**
   * The starved-loop guard (loop-lag.ts): a timeout-class failure whose window
   * was blocked beyond `lagFraction` (default 0.25) of `timeoutMs` is
   * inconclusive. Default: this process's LoopLag; `false` turns the guard off.
   */
  loopLag?: LoopLag | false;
  lagFraction?: number;
}

export interface TickOptions {
  /**
   * The outcome is a location's answer that just arrived, probed at this time
   * there (location-probes.ts): counted with that time, and not this
   * process's probe, so this process's loop lag does not make it inconclusive.
   */
  probedAt?: number;
  /** Count the tick only when no location answered lately (LOCATION-SILENT): a location-only target's scheduled tick. */
  onlySilent?: boolean;
}

export type TickOutcome =
  | { kind: 'duplicate' }
  /** A timeout while this process's event loop was blocked: not counted, the state is left as it was. */
  | { kind: 'inconclusive'; blockedMs: number; probe: UpResult }
  | { kind: 'counted'; state: TargetState; events: MonitorEvent[]; probe: UpResult };

/**
 * Longer than the slowest post can take: the Web API client tries 4 times
 * with a 10 s timeout and backoff (slack/reporter.ts), and a diagnosis with
 * SSH checks is bounded well under this.
 */
const DEFAULT_LEASE_MS = 120_000;
const RESOLVE_CACHE_MS = 60_000;
const MAX_CACHED = 20_000;
const MAX_RECONCILING = 16;
/** Inconclusive probes are logged once a minute at most, with their count. */
const INCONCLUSIVE_LOG_MS = 60_000;
/** After a failed reconcile (Slack refusing, a channel the app is not in): wait this long at most before the next try. */
const MAX_BACKOFF_MS = 10 * 60_000;

export class Monitor {
  private readonly now: () => number;
  private readonly incidents: IncidentKeeper;
  /** Who holds a claim: enough to tell workers apart in Redis and in logs. */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly resolved = new Map<string, { at: number; value: ResolvedTarget }>();
  private readonly unresolvable = new Set<string>();
  /** The last state this process saw of each target, with its version (bounded by the number of targets). */
  private readonly states = new BoundedMap<{ version: number; state?: TargetState }>(MAX_CACHED);
  private readonly reconciling = new Set<string>();
  private readonly backoff = new BoundedMap<{ failures: number; until: number }>(MAX_CACHED);

  private readonly writer: StateWriter | undefined;
  private readonly loopLag: LoopLag | undefined;
  /** Inconclusive probes not yet logged (one log line a minute at most). */
  private unlogged = { count: 0, loggedAt: 0 };

  constructor(private readonly deps: MonitorDeps) {
    this.now = deps.now ?? Date.now;
    this.loopLag = deps.loopLag === false ? undefined : deps.loopLag ?? processLoopLag();
    this.writer = deps.writeWindowMs !== undefined ? new StateWriter(deps.store, deps.writeWindowMs) : undefined;
    this.incidents = new IncidentKeeper(deps, this.owner, deps.leaseMs ?? DEFAULT_LEASE_MS, this.now);
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

  /** The tick time of the last state of `name` this process wrote or read (undefined: none). */
  lastTickSeen(name: string): number | undefined {
    return this.states.get(name)?.state?.lastTick;
  }

  /**
   * Reads, in one pipeline, the states this process has not seen yet (a
   * batch's first tick in this process: a new or restarted worker, a shard
   * that moved here), so the ticks that follow cost no read each.
   */
  async prime(names: readonly string[]): Promise<void> {
    const missing = names.filter((n) => !this.states.has(n));
    if (missing.length === 0) return;
    for (const [name, known] of await this.deps.store.readStates(missing)) this.states.set(name, known);
  }

  /**
   * One scheduled tick of `name`; `tickAt` is its scheduled time (a tick seen
   * twice is counted once). The state this process wrote last is kept, so a
   * tick usually costs one Redis round trip (the compare-and-set); when
   * another worker wrote since, the failed compare-and-set returns the
   * current state and the transition is recomputed on it.
   */
  async tick(name: string, tickAt: number, opts: TickOptions = {}): Promise<TickOutcome> {
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
    const at = opts.probedAt ?? this.now();
    const probe = await this.deps.probe(resolved.target, {
      timeoutMs: this.deps.timeoutMs,
      ...(resolved.options.credentials ? { credentials: resolved.options.credentials } : {}),
      ...(resolved.options.tls ? { tls: resolved.options.tls } : {}),
      // The latency sample and run_id (latency.ts, restarts.ts): a few more round trips on the same connection.
      sample: { pings: LATENCY_PINGS, serverInfo: true },
    });
    if (probe.up) {
      this.deps.idleWatch?.watch(name, resolved.target, {
        ...(resolved.options.credentials ? { credentials: resolved.options.credentials } : {}),
        ...(resolved.options.tls ? { tls: resolved.options.tls } : {}),
      });
    }
    // A location-only target's scheduled tick counts only the silence of its locations: their answers are counted as they arrive
    // (a LOCATION-INCONCLUSIVE tick, every location starved, is thus never counted: only such targets can have one).
    if (opts.onlySilent && probe.code !== LOCATION_SILENT) return { kind: 'duplicate' };
    // The redactor only for a failure's text: a healthy tick makes none.
    const outcome: ProbeOutcome = outcomeOf(probe, at, this.settings.latencyMs, (text) => new Redactor().add(resolved.options.credentials?.password).redact(text));
    // A monitor must not page because its own host is busy: a timeout while this process's loop was blocked
    // says nothing of the target. Neither a failure nor a success; a refusal is real whatever the load.
    if (!outcome.ok && this.loopLag && opts.probedAt === undefined && timeoutClass(outcome.code)) {
      const blocked = starved(this.loopLag, at, this.now(), this.deps.timeoutMs, this.deps.lagFraction ?? DEFAULT_LAG_FRACTION);
      if (blocked) {
        this.inconclusive(name, outcome.code!, blocked.blockedMs);
        return { kind: 'inconclusive', blockedMs: blocked.blockedMs, probe };
      }
    }

    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const moved = transition(state, outcome, this.settings, name, tickAt);
      const events = moved.events;
      const next = withLatency(moved.next, probe, at);
      const runs = withRun(next.runs, probe.server, at);
      if (runs) next.runs = runs;
      const cas = this.writer ? await this.writer.cas(name, version, next, tickAt) : await store.casState(name, version, next, tickAt);
      if (cas.kind !== 'written') {
        this.states.set(name, { version: cas.version, ...(cas.state ? { state: cas.state } : {}) });
        if (cas.kind === 'duplicate') return { kind: 'duplicate' };
        ({ state, version } = { state: cas.state, version: cas.version });
        continue;
      }
      this.states.set(name, { version: cas.version, state: next });
      {
        this.deps.metrics.targetUp.set({ target: name }, reportsUp(next, probe.up) ? 1 : 0);
        if (probe.latency) this.deps.metrics.latencyP99.set({ target: name }, probe.latency.p99Ms);
        log.log('debug', 'monitor tick', { target: name, tickAt, up: probe.up, status: next.status, ...(probe.code ? { code: probe.code } : {}) });
        for (const e of events) this.logEvent(name, e);
        if (next.incident || next.closed) await this.reconcileBounded(name, next, resolved.target);
        return { kind: 'counted', state: next, events, probe };
      }
    }
    throw new Error(`the state of ${name} kept changing under this worker (${CAS_ATTEMPTS} attempts)`);
  }

  private inconclusive(name: string, code: string, blockedMs: number): void {
    this.deps.metrics.probesInconclusive.inc();
    this.unlogged.count += 1;
    const now = this.now();
    if (now - this.unlogged.loggedAt < INCONCLUSIVE_LOG_MS) return;
    this.deps.log.log('warn', 'monitor probes inconclusive: this process\'s event loop was blocked during them (not counted as failures)', {
      count: this.unlogged.count, target: name, code, blockedMs, timeoutMs: this.deps.timeoutMs,
    });
    this.unlogged = { count: 0, loggedAt: now };
  }

  private logEvent(name: string, e: MonitorEvent): void {
    const { log } = this.deps;
    if (e.kind === 'opened') log.log('info', 'monitored target down: incident opened', { target: name, incident: e.incident.id, reason: e.incident.reason, code: e.incident.firstFailure.code });
    else if (e.kind === 'resolved') log.log('info', 'monitored target recovered: incident resolved', { target: name, incident: e.closed.id, downtimeMs: e.closed.downtimeMs });
    else if (e.kind === 'flapped') log.log('info', 'monitored target failed again while recovering', { target: name, incident: e.incident.id, flaps: e.incident.flaps });
    else log.log('info', 'monitored target fails differently', { target: name, from: e.from, to: e.to });
  }

  /**
   * IncidentKeeper.reconcile(), bounded: a mass outage (hundreds of incidents opening at
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
      // Brings the open and the just-closed incident of `name` up to date (incidents.ts).
      await this.incidents.reconcile(name, state, targetInfo);
      this.backoff.delete(name);
    } catch (err) {
      const failures = (back?.failures ?? 0) + 1;
      const wait = backoffDelay(failures, { initialMs: this.settings.intervalSeconds * 1000, maxMs: MAX_BACKOFF_MS });
      this.backoff.set(name, { failures, until: now + wait - 1 });
      throw err;
    } finally {
      this.reconciling.delete(name);
    }
  }
}

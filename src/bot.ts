/**
 * Composes a bot process from its components (src/components/):
 *
 *   role 'web'    — the Slack front end, plus the diagnose and remediate workers and
 *                   the monitor in the same process unless REDIS_DOCTOR_INLINE_WORKER=false (`npm start`)
 *   role 'worker' — the diagnose and remediate workers and the monitor, with the health
 *                   routes on PORT (`npm run worker`)
 *
 * The monitor (src/monitor/, `alerts:` in the config) runs where workers run;
 * the web process tells `alerts.channel` when it cannot run (queue Redis down).
 *
 * The shared parts (settings, config, log, metrics, the queue Redis, the
 * stores, the Slack Web API client, the diagnosis runner) are built first;
 * then the components the role needs start in order and stop in reverse.
 * Everything is validated before anything listens: the environment
 * (config/settings.ts) and the YAML config, with errors naming the field.
 */
import type { Redis } from 'ioredis';
import { loadConfig } from './config/load.js';
import type { ResolvedTarget } from './config/resolve-target.js';
import { LOCAL_LOCATION, type Config } from './config/schema.js';
import { startLocationWorker } from './location-bot.js';
import { loadSettings, type Settings } from './config/settings.js';
import { startAll, stopAll, type Component } from './components/component.js';
import { FrontEnd } from './components/front-end.js';
import { HealthServer } from './components/health-server.js';
import { AlertmanagerReceiver, receiverSettings } from './alertmanager/receiver.js';
import { ALERTMANAGER_PATH } from './alertmanager/route.js';
import { MonitorComponent } from './components/monitor.js';
import { PauseNotices } from './components/pause-notices.js';
import { QueueConnection } from './components/queue-connection.js';
import { WorkerComponent } from './components/worker.js';
import { watchRedis } from './components/watch-redis.js';
import { diagnose as engineDiagnose, holdIdle, probeUp, type Remediation, type TargetHistory, type TargetInfo } from './engine/index.js';
import { LocationClient } from './jobs/location-client.js';
import { probeLocations } from './jobs/locations.js';
import { combinedProbe, evaluateArrivals, LocationProbeListener, LocationProbeStore, locationOnlyTargets } from './monitor/location-probes.js';
import { healthRoutes, type Route } from './http/health.js';
import { createFrontEndRedis, viaSentinel } from './jobs/connections.js';
import { silentReporter } from './jobs/diagnosis-report.js';
import { Dispatcher } from './jobs/dispatcher.js';
import { JobWatch } from './jobs/job-watch.js';
import { RunClaims } from './jobs/run-claims.js';
import { FailureNotices } from './jobs/failure-notices.js';
import { createDiagnoseWorker } from './jobs/diagnose-worker.js';
import { DiagnoseQueue } from './jobs/queue.js';
import { createRemediateWorker } from './jobs/remediate-worker.js';
import { RemediateQueue } from './jobs/remediate-queue.js';
import { planFor } from './jobs/remediation-action.js';
import { silentRemediationReporter } from './jobs/remediation-report.js';
import { RemediationRunner, REMEDIATION_COMMAND_MS } from './jobs/run-remediation.js';
import { LocationFixes } from './jobs/location-remediate.js';
import type { LocationAnswer } from './jobs/location-jobs.js';
import { diagnoseWhereDown } from './monitor/incident-location.js';
import { DiagnosisRunner, type DiagnoseFn } from './jobs/run-diagnosis.js';
import type { StallOptions } from './jobs/worker.js';
import { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { IncidentActions } from './monitor/incident-actions.js';
import { IdleWatch } from './monitor/idle-watch.js';
import type { IncidentDiagnose } from './monitor/incidents.js';
import { Monitor } from './monitor/monitor.js';
import type { PauseWatchOptions } from './monitor/pause-watch.js';
import { monitorStatuses } from './monitor/status.js';
import { monitoredTargets } from './monitor/targets.js';
import type { AlertSink, PauseSink } from './monitor/alert-sink.js';
import { slackAlertSink } from './slack/alert-sink.js';
import { registerActions } from './slack/actions/index.js';
import { createSlackApp, type SlackApp } from './slack/app.js';
import { SlackConnection, type BackoffOptions } from './slack/connection.js';
import { registerCommands } from './slack/commands.js';
import { diagnosisThreads } from './slack/diagnosis-thread.js';
import { FixedParent } from './slack/fixed-parent.js';
import { ThreadButtons } from './stores/thread-buttons.js';
import { loadHome, type HomeSectionsHook } from './slack/home/home-data.js';
import { HomePublisher } from './slack/home/publisher.js';
import { registerHome } from './slack/home/register.js';
import { targetLinks, targetRoutes } from './monitor/routing.js';
import { silenceLine } from './slack/views/silences.js';
import { remediationThreads } from './slack/remediation-thread.js';
import { createPostClient, createWebClient, Reporter } from './slack/reporter.js';
import { resolveJobTarget } from './slack/resolve.js';
import { ApprovalStore } from './stores/approval-store.js';
import { AuditLog } from './stores/audit-log.js';
import { DiagnosisStore } from './stores/diagnosis-store.js';
import { MonitorStore } from './stores/monitor-store.js';
import { SilenceStore } from './stores/silence-store.js';
import { withTimeout } from './util/timeout.js';

export type Role = 'web' | 'worker';

export interface BotOptions {
  role: Role;
  env?: NodeJS.ProcessEnv;
  /** Replaces the engine (benchmarks of the Slack path alone); tests use the real one. */
  diagnose?: DiagnoseFn;
  /** Log sink; default stderr. */
  write?: (line: string) => void;
  progressIntervalMs?: number;
  /** BullMQ stall detection (lock duration, check interval, stalls allowed); tests shorten it. */
  stalls?: StallOptions;
  /** Bound of one response_url post (default 5 s); tests shorten it. */
  respondTimeoutMs?: number;
  /** Bound of one chat.postMessage (default 30 s, never resent after it); tests shorten it. */
  slackPostTimeoutMs?: number;
  /** How often the front end looks up the jobs it accepted (default 5 s), and how long one may be missing before it counts as lost; tests shorten them. */
  jobWatchIntervalMs?: number;
  jobLostAfterMs?: number;
  /** auth.test backoff (default 1 s doubling to 30 s); tests shorten it. */
  slackBackoff?: BackoffOptions;
  /** Slack refused the bot token after start (the bot has stopped): the process should exit 2. */
  onFatal?: (err: Error) => void;
  /** The clock approval decisions and expiry are judged by (default Date.now); tests move it. */
  now?: () => number;
  /**
   * More sections for the App Home tab (e.g. the active silences, from the silence store):
   * slack/home/home-data.ts HomeSectionsHook.
   */
  homeSections?: HomeSectionsHook;
  /** App Home republish debounce after a state change (default 2 s); tests shorten it. */
  homeDebounceMs?: number;
  /** Monitor timings (claim lease, paused/resumed debounce, its own stall options); tests shorten them. */
  monitor?: PauseWatchOptions & { leaseMs?: number; pollMs?: number; stalls?: StallOptions; /** Targets per shard (tests: several shards with few targets). */ shardSize?: number };
}

export interface Bot {
  settings: Settings;
  metrics: Metrics;
  /** The port health routes (and, in HTTP mode, /slack/events) listen on. */
  port: number;
  stop(): Promise<void>;
}

const SHUTDOWN_MS = 10_000;
const READY_PING_MS = 500;
/** How long the front end waits for a location's document (the diagnosis there is bounded by REDIS_DOCTOR_TIMEOUT_MS per step). */
function locationResultMs(settings: Settings): number {
  return Math.max(60_000, 6 * settings.timeoutMs + 20_000);
}

/** How long an approved fix waits in a location's queue for its worker before it is given up, not sent. */
const LOCATION_FIX_SEND_MS = 30_000;
/** Fixes one worker runs at once: they are rare, and each is bounded by its timeouts. */
const REMEDIATION_CONCURRENCY = 2;
/** The monitor's state writes of ticks ending this close together go as one Lua call (monitor/state-writer.ts). */
const STATE_WRITE_WINDOW_MS = 100;

/** What every component of a process shares, built once by startBot. */
interface Parts {
  opts: BotOptions;
  env: NodeJS.ProcessEnv;
  settings: Settings;
  log: Logger;
  config: Config;
  metrics: Metrics;
  redis: Redis;
  store: DiagnosisStore;
  auditLog: AuditLog;
  approvals: ApprovalStore;
  remediations: RemediateQueue;
  reporter: Reporter;
  /** Job input → target and credentials, from this process's config and environment (never from job data). */
  resolveNamed: (input: string) => ResolvedTarget;
  runner: DiagnosisRunner;
  claims: RunClaims;
  dispatcher: Dispatcher;
  sink: AlertSink & PauseSink;
  monitorStore: MonitorStore;
  /** Maintenance windows (`silence`), read by the monitor and the commands. */
  silences: SilenceStore;
  monitored: string[];
  /** `alerts.idleWatch`: one idle connection held per monitored target (monitor/idle-watch.ts). */
  idleWatch: IdleWatch | undefined;
  /** The App Home tab: published on app_home_opened and after an incident changes. */
  home: HomePublisher;
  /** The front end's view of the probe locations (jobs/location-client.ts). */
  locations?: LocationClient;
}

/**
 * The diagnosis of an incident, stored under its own id: a retry finds it instead of probing again.
 * A target probed from other locations is diagnosed where it is down (monitor/incident-location.ts).
 */
function incidentDiagnose(p: Parts, channel: string, outcomes?: LocationProbeStore): IncidentDiagnose {
  const run = (name: string, id: string, history: TargetHistory) => (at: string) =>
    p.runner.run(id, { input: name, origin: { kind: 'monitor', channel }, requestedAt: Date.now(), history, ...(at !== LOCAL_LOCATION ? { at } : {}) }, async () => undefined);
  const client = p.locations;
  return async (name, id, history) => (await p.store.get(id).catch(() => undefined))
    ?? (client ? diagnoseWhereDown({
      config: p.config, liveWorkers: (l) => client.liveWorkers(l), noWorker: (l) => client.noWorker(l),
      outcomes: (t) => outcomes?.latest(t) ?? Promise.resolve([]), intervalMs: () => (p.config.alerts?.intervalSeconds ?? 30) * 1000,
    }, name, run(name, id, history)) : run(name, id, history)(LOCAL_LOCATION));
}

/** POST /alertmanager, when ALERTMANAGER_WEBHOOK_TOKEN is set and a channel is configured (src/alertmanager/). */
function alertmanagerReceiver(p: Parts): AlertmanagerReceiver | undefined {
  const token = p.env.ALERTMANAGER_WEBHOOK_TOKEN;
  if (!token) return undefined;
  const settings = receiverSettings(p.config);
  if (!settings) {
    p.log.log('error', 'ALERTMANAGER_WEBHOOK_TOKEN is set but neither alertmanager.channel nor alerts.channel is: POST /alertmanager answers 404');
    return undefined;
  }
  const routes = targetRoutes(p.config);
  // A target's own alertChannel first, then alertmanager.channel (else alerts.channel).
  const route = (t: string) => ({ ...routes(t), channel: p.config.targets.find((x) => x.name === t)?.alertChannel ?? settings.channel });
  return new AlertmanagerReceiver({
    route, silences: p.silences,
    token, config: p.config, store: p.monitorStore, sink: p.sink, diagnose: incidentDiagnose(p, settings.channel),
    findDiagnosis: (id) => p.store.get(id).catch(() => undefined), resolve: p.resolveNamed, monitored: p.monitored, metrics: p.metrics, log: p.log,
    ...(p.opts.monitor?.leaseMs !== undefined ? { leaseMs: p.opts.monitor.leaseMs } : {}),
    ...(p.opts.now ? { now: p.opts.now } : {}),
  }, settings);
}

/** Where workers run (a worker alone, or the web process with its inline worker): diagnose, remediate, monitor. */
function workerComponents(p: Parts): Component[] {
  const { opts, settings, log, metrics, redis, store, runner, claims } = p;
  const alerts = p.config.alerts;
  // The failure marker is claimed on the front-end connection: it fails fast instead of waiting out an outage.
  const notices = new FailureNotices(redis, settings.queuePrefix, log);
  const stalls = opts.stalls ? { stalls: opts.stalls } : {};
  const fixer = new RemediationRunner({
    approvals: p.approvals, config: p.config, resolve: p.resolveNamed, dispatcher: p.dispatcher, metrics, log,
    reporters: { slack: remediationThreads({ reporter: p.reporter, log, fixedParent: new FixedParent({ reporter: p.reporter, approvals: p.approvals, diagnoses: store, log }) }), monitor: silentRemediationReporter, cli: silentRemediationReporter },
    connectTimeoutMs: settings.timeoutMs,
    commandTimeoutMs: Math.max(settings.timeoutMs, REMEDIATION_COMMAND_MS),
    // A fix whose finding was made at another probe location runs on that location's worker (jobs/location-remediate.ts).
    ...(p.locations ? { remote: new LocationFixes({
      client: p.locations, config: p.config, diagnoses: store, sendWithinMs: LOCATION_FIX_SEND_MS,
      replyWithinMs: 2 * settings.timeoutMs + 2 * Math.max(settings.timeoutMs, REMEDIATION_COMMAND_MS) + 15_000,
    }) } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  // Targets probed from other locations too: one state machine here, fed by every location's outcomes (monitor/location-probes.ts).
  const remote = [...new Set(p.monitored.flatMap((name) => probeLocations(p.config.targets.find((t) => t.name === name))))].filter((l) => l !== LOCAL_LOCATION);
  const locationProbes = alerts && remote.length > 0 ? new LocationProbeStore(redis, settings.queuePrefix) : undefined;
  const probe = alerts && locationProbes ? combinedProbe({ config: p.config, store: locationProbes, probe: probeUp, intervalMs: () => alerts.intervalSeconds * 1000 }) : probeUp;
  const monitor = alerts && new Monitor({
    settings: alerts, store: p.monitorStore, sink: p.sink, probe, metrics, log,
    resolve: p.resolveNamed,
    route: targetRoutes(p.config), silences: p.silences,
    diagnose: incidentDiagnose(p, alerts.channel, locationProbes),
    findDiagnosis: (id) => store.get(id).catch(() => undefined),
    timeoutMs: settings.timeoutMs,
    // The batch monitor's state writes: gathered over 100 ms into one Lua call (monitor/state-writer.ts).
    writeWindowMs: STATE_WRITE_WINDOW_MS,
    ...(opts.monitor?.leaseMs !== undefined ? { leaseMs: opts.monitor.leaseMs } : {}),
    ...(p.idleWatch ? { idleWatch: p.idleWatch } : {}),
  });
  // Location-only targets: counted as their locations' outcomes arrive; their scheduled tick only notices silence.
  const locationOnly = monitor && locationProbes ? locationOnlyTargets(p.config, p.monitored) : new Set<string>();
  const arrivals = monitor && locationOnly.size > 0 ? evaluateArrivals(locationOnly, (name, tickAt, o) => monitor.tick(name, tickAt, o), log) : undefined;
  return [
    new WorkerComponent('diagnose worker', settings.queueRedis, (connection) => createDiagnoseWorker({
      connection, prefix: settings.queuePrefix, concurrency: settings.concurrency, runner, notices, claims, metrics, log, ...stalls,
    }), log),
    new WorkerComponent('remediate worker', settings.queueRedis, (connection) => createRemediateWorker({
      connection, prefix: settings.queuePrefix, concurrency: REMEDIATION_CONCURRENCY, runner: fixer, notices, log, ...stalls,
    }), log),
    ...(locationProbes ? [new LocationProbeListener(settings.queueRedis, settings.queuePrefix, remote, locationProbes, log, arrivals)] : []),
    new MonitorComponent({
      redisUrl: settings.queueRedis, prefix: settings.queuePrefix, targets: p.monitored, intervalSeconds: alerts?.intervalSeconds ?? 30,
      concurrency: settings.monitorConcurrency, timeoutMs: settings.timeoutMs, monitor: monitor || undefined, store: p.monitorStore, metrics, log,
      ...(opts.monitor?.stalls ? { stalls: opts.monitor.stalls } : {}),
      ...(opts.monitor?.shardSize ? { shardSize: opts.monitor.shardSize } : {}),
      ...(locationOnly.size > 0 ? { onlySilent: locationOnly } : {}),
    }),
  ];
}

/** The slash command and every button, on the Slack app of the front end. */
function registerSlackHandlers(p: Parts, slack: SlackApp): void {
  const { config, dispatcher, store, metrics, log, reporter, monitorStore, monitored } = p;
  const alerts = config.alerts;
  const monitorStatus = alerts ? { targets: new Set(monitored), states: () => monitorStatuses(monitorStore, monitored) } : undefined;
  const locations = p.locations && {
    config, locations: p.locations, store, reporter, metrics, log,
    resultTimeoutMs: locationResultMs(p.settings),
    runs: (target: TargetInfo, r: Remediation) => planFor(target, r, config).plan === 'run',
  };
  const incidentSettings = alerts ?? (p.env.ALERTMANAGER_WEBHOOK_TOKEN ? receiverSettings(config) : undefined);
  registerCommands(slack.app, { config, dispatcher, store, metrics, log, reporter, audit: p.auditLog, ...(monitorStatus ? { monitor: monitorStatus, silences: p.silences } : {}), ...(locations ? { locations } : {}) });
  registerActions(slack.app, {
    config, store, approvals: p.approvals, remediations: p.remediations, dispatcher, reporter, metrics, log, ...(p.opts.now ? { now: p.opts.now } : {}),
    // `recheck:i.<incident>` on an alert: a fresh diagnosis of the incident's target.
    recheckTargets: {
      i: async (id) => {
        const ref = await monitorStore.incidentRef(id).catch(() => undefined);
        return ref && { input: ref.target, channel: ref.channel };
      },
    },
    // ack/snooze on monitor incidents, and on Alertmanager's (which may come without an alerts: section).
    ...(incidentSettings ? { alerts: new IncidentActions(monitorStore, p.sink, incidentSettings) } : {}),
  });
  registerHome(slack.app, p.home, log);
}

export async function startBot(opts: BotOptions): Promise<Bot> {
  const env = opts.env ?? process.env;
  const settings = loadSettings(env, { workerOnly: opts.role === 'worker' });
  const log = new Logger(settings.logLevel, 'redis-doctor', opts.write);
  const config = loadConfig(undefined, env);
  // A worker at another probe location (REDIS_DOCTOR_LOCATION): its own queues, no Slack (location-bot.ts).
  if (opts.role === 'worker' && settings.location !== LOCAL_LOCATION) return startLocationWorker(opts, env, settings, config, log);
  const metrics = new Metrics({ defaults: true });
  const runsWorker = opts.role === 'worker' || settings.inlineWorker;
  const role = opts.role === 'worker' ? 'worker' : runsWorker ? 'web+worker' : 'web';

  // Shared parts.
  const redis = createFrontEndRedis(settings.queueRedis);
  watchRedis(redis, 'queue Redis', log);
  const queue = new DiagnoseQueue(redis, settings.queuePrefix);
  const store = new DiagnosisStore(redis, settings.queuePrefix);
  // Every audit entry is also one JSON log line ("msg":"audit").
  const auditLog = new AuditLog(redis, settings.queuePrefix, (record, id) => log.log('info', 'audit', { audit: record, auditId: id }));
  const approvals = new ApprovalStore(redis, settings.queuePrefix, auditLog);
  const remediations = new RemediateQueue(redis, settings.queuePrefix);
  // Workers need it too when there are locations: fixes and incident diagnoses run where the target is seen.
  const locationClient = opts.role === 'web' || config.locations.length > 0 ? new LocationClient({ redis, prefix: settings.queuePrefix, local: queue, store, log }) : undefined;
  let frontEnd: FrontEnd | undefined;
  const queueReady = () => withTimeout(redis.ping(), READY_PING_MS, 'ping').then((r) => r === 'PONG', () => false);
  const routes = healthRoutes({
    metrics,
    role,
    queueReady,
    // The front end is ready once Slack knows it; a worker alone answers for the queue only.
    ...(opts.role === 'web' ? { slackReady: () => frontEnd?.ready() ?? false } : {}),
  });
  // Mounted now (Bolt takes its routes when built), served once the receiver is built below.
  let amHandler: Route['handler'] | undefined;
  if (env.ALERTMANAGER_WEBHOOK_TOKEN) {
    routes.push({ path: ALERTMANAGER_PATH, method: 'POST', handler: (req, res) => {
      if (amHandler) return amHandler(req, res);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
    } });
  }
  let stop: () => Promise<void> = async () => undefined;
  const connection = opts.role === 'web'
    ? new SlackConnection(settings.botToken, settings.slackApiUrl, log, (err) => {
      // A token Slack refuses later (revoked while running) ends the process like a bad one at start.
      void stop().then(() => opts.onFatal?.(err));
    }, opts.slackBackoff)
    : undefined;
  const slack = connection ? createSlackApp(settings, log, routes, connection.authorize) : undefined;
  const reporter = new Reporter(
    createWebClient(settings.botToken, settings.slackApiUrl, log),
    log,
    opts.respondTimeoutMs,
    createPostClient(settings.botToken, settings.slackApiUrl, log, opts.slackPostTimeoutMs),
    // Alerts: a 429 comes back at once, so the monitor posts the gravest first when Slack lets it (monitor/alert-queue.ts).
    createPostClient(settings.botToken, settings.slackApiUrl, log, opts.slackPostTimeoutMs, true),
  );
  reporter.onFailure = (method, error) => metrics.slackFailures.inc({ method, error });
  // The messages with buttons of each thread: an incident's recovery takes them away (slack/alert-sink.ts).
  const threadButtons = new ThreadButtons(redis, settings.queuePrefix);
  const resolveNamed = (input: string) => resolveJobTarget(input, config, env, settings.configPath);
  const idleWatch = runsWorker && config.alerts?.idleWatch ? new IdleWatch({ hold: holdIdle, timeoutMs: settings.timeoutMs }) : undefined;
  const runner = new DiagnosisRunner({
    // A job `at` another location (a fix's verification, an incident's diagnosis) runs there, bounded.
    ...(locationClient ? { remote: async (location: string, input: string): Promise<LocationAnswer> => {
      try {
        return await locationClient.result(location, await locationClient.submit(location, input), locationResultMs(settings));
      } catch (err) {
        return { ok: false, location, reason: `could not queue it at ${location}: ${(err as Error).message.slice(0, 200)}` };
      }
    } } : {}),
    // What the idle watch saw reap a held connection is evidence for any diagnosis of that target.
    ...(idleWatch ? { historyFor: (input: string) => {
      const idleClosed = idleWatch.evidence(input);
      return idleClosed ? { idleClosed } : undefined;
    } } : {}),
    reporters: {
      slack: diagnosisThreads({
        reporter, log, runs: (target, r) => planFor(target, r, config).plan === 'run',
        fixedParent: new FixedParent({ reporter, approvals, diagnoses: store, log }),
        buttons: threadButtons,
        links: (target) => targetLinks(config, target.name),
        ...(opts.progressIntervalMs !== undefined ? { progressIntervalMs: opts.progressIntervalMs } : {}) }),
      monitor: silentReporter,
      cli: silentReporter,
    },
    store, metrics, log,
    diagnose: opts.diagnose ?? engineDiagnose,
    resolve: resolveNamed,
    timeoutMs: settings.timeoutMs,
  });
  // Claimed on the front-end connection: right behind an add that timed out (jobs/run-claims.ts).
  const claims = new RunClaims(redis, settings.queuePrefix, log);
  // Only the front end watches what it accepted: a queue Redis that restarts and forgets a job must not mean silence.
  // Lost only when missing longer than any diagnosis takes: 4 network steps, the TLS alert wait, the SSH bound, a margin.
  const lostAfterMs = opts.jobLostAfterMs ?? Math.max(60_000, 6 * settings.timeoutMs + 20_000);
  const watch = opts.role === 'web' ? new JobWatch(queue.queue, store, (data, reason) => runner.reportFailure(data, reason, 0), log, lostAfterMs, opts.jobWatchIntervalMs) : undefined;
  const dispatcher = new Dispatcher(queue, runner, metrics, log, settings.concurrency, claims, watch);
  const monitorStore = new MonitorStore(redis, settings.queuePrefix);
  const monitored = monitoredTargets(config);
  const silences = new SilenceStore(redis, settings.queuePrefix);
  // The maintenance windows in force are a section of the App Home, after what other parts add.
  const homeSections = async (now: number) => [
    ...(opts.homeSections ? await opts.homeSections(now) : []),
    { id: 'silences', title: 'Silenced', lines: (await silences.active(now)).map((x) => silenceLine(x, now)) },
  ];
  const home = new HomePublisher({
    redis, prefix: settings.queuePrefix, client: reporter.client, log,
    load: (now) => loadHome({
      config, lastStates: () => store.lastStates(),
      ...(config.alerts ? { monitor: {
        targets: monitored,
        statuses: () => monitorStatuses(monitorStore, monitored),
        states: (t) => monitorStore.states(t),
        incident: (id) => monitorStore.incident(id),
      } } : {}),
      sections: homeSections,
    }, now),
    ...(opts.homeDebounceMs !== undefined ? { debounceMs: opts.homeDebounceMs } : {}),
  });
  const parts: Parts = {
    opts, env, settings, log, config, metrics, redis, store, auditLog, approvals, remediations, reporter, resolveNamed, runner, claims, dispatcher,
    sink: slackAlertSink(reporter, {
      viewFor: async (id) => {
        const d = await store.get(id);
        return d && { runs: (r) => planFor(d.target, r, config).plan === 'run', target: d.target.name ?? d.target.input };
      },
      buttons: threadButtons,
      onChange: () => home.changed(),
      log,
    }),
    monitorStore, silences, monitored, idleWatch, home,
  };

  // Components, in start order; stopped in reverse.
  // The remediate queue closes first, then the diagnose queue, then their connection.
  if (locationClient) parts.locations = locationClient;
  const components: Component[] = [new QueueConnection(redis, [remediations, ...(locationClient ? [locationClient] : []), queue], log, viaSentinel(settings.queueRedis))];
  if (runsWorker) components.push(...workerComponents(parts));
  const receiver = alertmanagerReceiver(parts);
  if (receiver) {
    components.push(receiver);
    amHandler = receiver.handler;
  }
  let listener: FrontEnd | HealthServer;
  if (slack) {
    registerSlackHandlers(parts, slack);
    frontEnd = new FrontEnd(slack, connection!, routes, settings.port, dispatcher, log);
    listener = frontEnd;
    // The web process says so in alerts.channel when the monitor cannot run (its Redis is down).
    if (config.alerts) components.push(new PauseNotices(redis, queueReady, parts.sink, config.alerts.channel, log, { ...opts.monitor, redisUrl: settings.redisUrl, sentinelPassword: settings.queueRedis.sentinelPassword }));
  } else {
    listener = new HealthServer(routes, settings.port);
  }
  components.push(listener);

  let stopping: Promise<void> | undefined;
  stop = (): Promise<void> => {
    stopping ??= (async () => {
      log.log('info', 'shutting down: no new commands; finishing running diagnoses');
      await stopAll(components, log, SHUTDOWN_MS);
      await home.stop();
      idleWatch?.stop();
      log.log('info', 'stopped');
    })();
    return stopping;
  };
  await startAll(components, log, SHUTDOWN_MS);
  log.log('info', 'redis-doctor bot started', { role, mode: settings.mode, port: listener.port, queuePrefix: settings.queuePrefix, targets: config.targets.length });
  return { settings, metrics, port: listener.port, stop };
}

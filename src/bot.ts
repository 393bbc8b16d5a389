/**
 * Composes a bot process from its components (src/components/):
 *
 *   role 'web'    — the Slack front end, plus a diagnose worker and the monitor in the
 *                   same process unless REDIS_DOCTOR_INLINE_WORKER=false (`npm start`)
 *   role 'worker' — a diagnose worker and the monitor, with the health routes on PORT (`npm run worker`)
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
import { loadConfig } from './config/load.js';
import { loadSettings, type Settings } from './config/settings.js';
import { startAll, stopAll, type Component } from './components/component.js';
import { DiagnoseWorkerComponent } from './components/diagnose-worker.js';
import { FrontEnd } from './components/front-end.js';
import { HealthServer } from './components/health-server.js';
import { MonitorComponent } from './components/monitor.js';
import { PauseNotices } from './components/pause-notices.js';
import { QueueConnection } from './components/queue-connection.js';
import { watchRedis } from './components/watch-redis.js';
import { diagnose as engineDiagnose, probeUp } from './engine/index.js';
import { healthRoutes } from './http/health.js';
import { createFrontEndRedis } from './jobs/connections.js';
import { silentReporter } from './jobs/diagnosis-report.js';
import { Dispatcher } from './jobs/dispatcher.js';
import { FailureNotices } from './jobs/failure-notices.js';
import { DiagnoseQueue } from './jobs/queue.js';
import { DiagnosisRunner, type DiagnoseFn } from './jobs/run-diagnosis.js';
import type { StallOptions } from './jobs/worker.js';
import { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { IncidentActions } from './monitor/incident-actions.js';
import { Monitor } from './monitor/monitor.js';
import type { PauseWatchOptions } from './monitor/pause-watch.js';
import { monitorStatuses } from './monitor/status.js';
import { monitoredTargets } from './monitor/targets.js';
import { slackAlertSink } from './slack/alert-sink.js';
import { registerActions } from './slack/actions/index.js';
import { createSlackApp } from './slack/app.js';
import { registerCommands } from './slack/commands.js';
import { diagnosisThreads } from './slack/diagnosis-thread.js';
import { createWebClient, Reporter } from './slack/reporter.js';
import { resolveJobTarget } from './slack/resolve.js';
import { ApprovalStore } from './stores/approval-store.js';
import { DiagnosisStore } from './stores/diagnosis-store.js';
import { MonitorStore } from './stores/monitor-store.js';
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
  /** Monitor timings (claim lease, paused/resumed debounce, its own stall options); tests shorten them. */
  monitor?: PauseWatchOptions & { leaseMs?: number; pollMs?: number; stalls?: StallOptions };
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

export async function startBot(opts: BotOptions): Promise<Bot> {
  const env = opts.env ?? process.env;
  const settings = loadSettings(env, { workerOnly: opts.role === 'worker' });
  const log = new Logger(settings.logLevel, 'redis-doctor', opts.write);
  const config = loadConfig(undefined, env);
  const metrics = new Metrics({ defaults: true });
  const runsWorker = opts.role === 'worker' || settings.inlineWorker;
  const role = opts.role === 'worker' ? 'worker' : runsWorker ? 'web+worker' : 'web';

  // Shared parts.
  const redis = createFrontEndRedis(settings.redisUrl);
  watchRedis(redis, 'queue Redis', log);
  const queue = new DiagnoseQueue(redis, settings.queuePrefix);
  queue.queue.on('error', () => { /* reported by watchRedis */ });
  const store = new DiagnosisStore(redis, settings.queuePrefix);
  const approvals = new ApprovalStore(redis, settings.queuePrefix);
  const queueReady = () => withTimeout(redis.ping(), READY_PING_MS, 'ping').then((r) => r === 'PONG', () => false);
  const routes = healthRoutes({ metrics, role, queueReady });
  const slack = opts.role === 'web' ? createSlackApp(settings, log, routes) : undefined;
  const reporter = new Reporter(slack ? slack.app.client : createWebClient(settings.botToken, settings.slackApiUrl, log), log, opts.respondTimeoutMs);
  const runner = new DiagnosisRunner({
    reporters: {
      slack: diagnosisThreads({ reporter, log, ...(opts.progressIntervalMs !== undefined ? { progressIntervalMs: opts.progressIntervalMs } : {}) }),
      monitor: silentReporter,
      cli: silentReporter,
    },
    store, metrics, log,
    diagnose: opts.diagnose ?? engineDiagnose,
    resolve: (input) => resolveJobTarget(input, config, env, settings.configPath),
    timeoutMs: settings.timeoutMs,
  });
  const dispatcher = new Dispatcher(queue, runner, metrics, log, settings.concurrency);
  const sink = slackAlertSink(reporter);
  const monitorStore = new MonitorStore(redis, settings.queuePrefix);
  const monitored = monitoredTargets(config);
  const alerts = config.alerts;

  // Components, in start order. The monitor and (to come) the remediate
  // worker run where diagnose workers run (after the diagnose worker).
  const components: Component[] = [new QueueConnection(redis, queue, log)];
  if (runsWorker) {
    // The failure marker is claimed on the front-end connection: it fails fast instead of waiting out an outage.
    const notices = new FailureNotices(redis, settings.queuePrefix, log);
    components.push(new DiagnoseWorkerComponent(settings.redisUrl, {
      prefix: settings.queuePrefix, concurrency: settings.concurrency, runner, notices, metrics, log,
      ...(opts.stalls ? { stalls: opts.stalls } : {}),
    }, log));
    const monitor = alerts && new Monitor({
      settings: alerts, store: monitorStore, sink, probe: probeUp, metrics, log,
      resolve: (name) => resolveJobTarget(name, config, env, settings.configPath),
      // The diagnosis of an incident is stored under its own id; a retry finds it instead of probing again.
      diagnose: async (name, id, history) => (await store.get(id).catch(() => undefined))
        ?? runner.run(id, { input: name, origin: { kind: 'monitor' }, requestedAt: Date.now(), history }, async () => undefined),
      findDiagnosis: (id) => store.get(id).catch(() => undefined),
      timeoutMs: settings.timeoutMs,
      ...(opts.monitor?.leaseMs !== undefined ? { leaseMs: opts.monitor.leaseMs } : {}),
    });
    components.push(new MonitorComponent({
      redisUrl: settings.redisUrl, prefix: settings.queuePrefix, targets: monitored, intervalSeconds: alerts?.intervalSeconds ?? 30,
      concurrency: settings.monitorConcurrency, monitor: monitor || undefined, store: monitorStore, metrics, log,
      ...(opts.monitor?.stalls ? { stalls: opts.monitor.stalls } : {}),
    }));
  }
  let listener: FrontEnd | HealthServer;
  if (slack) {
    const monitorStatus = alerts ? { targets: new Set(monitored), states: () => monitorStatuses(monitorStore, monitored) } : undefined;
    registerCommands(slack.app, { config, dispatcher, store, metrics, log, reporter, ...(monitorStatus ? { monitor: monitorStatus } : {}) });
    registerActions(slack.app, {
      config, store, approvals, dispatcher, reporter, metrics, log,
      // `recheck:i.<incident>` on an alert: a fresh diagnosis of the incident's target.
      recheckTargets: { i: (id) => monitorStore.incidentTarget(id).catch(() => undefined) },
      ...(alerts ? { alerts: new IncidentActions(monitorStore, sink, alerts) } : {}),
    });
    listener = new FrontEnd(slack, routes, settings.port, dispatcher);
    if (alerts) {
      components.push(new PauseNotices(redis, queueReady, sink, alerts.channel, log, { ...opts.monitor, redisUrl: settings.redisUrl }));
    }
  } else {
    listener = new HealthServer(routes, settings.port);
  }
  components.push(listener);

  await startAll(components, log, SHUTDOWN_MS);
  log.log('info', 'redis-doctor bot started', { role, mode: settings.mode, port: listener.port, queuePrefix: settings.queuePrefix, targets: config.targets.length });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log.log('info', 'shutting down: no new commands; finishing running diagnoses');
      await stopAll(components, log, SHUTDOWN_MS);
      log.log('info', 'stopped');
    })();
    return stopping;
  };
  return { settings, metrics, port: listener.port, stop };
}

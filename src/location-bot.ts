/**
 * A worker at a probe location other than `local` (`npm run worker` with
 * REDIS_DOCTOR_LOCATION=<name>, issue #20): the location's diagnose,
 * remediate and monitor queues, nothing else. It needs the queue Redis (outbound) and its
 * targets: no Slack token, and no inbound port unless PORT is set (then
 * /healthz, /readyz and /metrics listen there). A location the config does
 * not list refuses to start: a worker nobody sends jobs to would look
 * healthy and serve nothing.
 */
import { hostname } from 'node:os';
import type { Bot, BotOptions } from './bot.js';
import { startAll, stopAll, type Component } from './components/component.js';
import { HealthServer } from './components/health-server.js';
import { LocationMonitorComponent } from './components/location-monitor.js';
import { WorkerComponent } from './components/worker.js';
import { ConfigError } from './config/load.js';
import type { Config } from './config/schema.js';
import type { Settings } from './config/settings.js';
import { diagnose as engineDiagnose, probeUp } from './engine/index.js';
import { healthRoutes } from './http/health.js';
import { createFrontEndRedis } from './jobs/connections.js';
import { createLocationRemediateWorker } from './jobs/location-remediate.js';
import { REMEDIATION_COMMAND_MS } from './jobs/run-remediation.js';
import { createLocationDiagnoseWorker, type LocationRunnerDeps } from './jobs/location-worker.js';
import { knownLocations, locationQueue, targetsAt } from './jobs/locations.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { monitoredTargets } from './monitor/targets.js';
import { resolveJobTarget } from './slack/resolve.js';
import { withTimeout } from './util/timeout.js';

const SHUTDOWN_MS = 10_000;
const READY_PING_MS = 500;

/** Refuses a location the config does not know, naming the ones it does. */
export function checkLocation(config: Config, location: string): void {
  const known = knownLocations(config);
  if (!known.includes(location)) {
    throw new ConfigError(`environment: REDIS_DOCTOR_LOCATION "${location}" is not a location of the config (locations: ${known.join(', ')}): add it to locations: (the front end must know it too), or fix the name`);
  }
}

export async function startLocationWorker(opts: BotOptions, env: NodeJS.ProcessEnv, settings: Settings, config: Config, log: Logger): Promise<Bot> {
  const location = settings.location;
  checkLocation(config, location);
  const metrics = new Metrics({ defaults: true });
  const name = `${location}:${hostname()}:${process.pid}`.slice(0, 120);
  const deps: LocationRunnerDeps = {
    location, config, log, timeoutMs: settings.timeoutMs,
    resolve: (input) => resolveJobTarget(input, config, env, settings.configPath),
    diagnose: opts.diagnose ?? engineDiagnose,
    probe: probeUp,
  };
  const stalls = opts.stalls ? { stalls: opts.stalls } : {};
  const diagnoseQ = locationQueue(settings.queuePrefix, location, 'diagnose');
  const remediateQ = locationQueue(settings.queuePrefix, location, 'remediate');
  const monitorQ = locationQueue(settings.queuePrefix, location, 'monitor');
  const here = new Set(targetsAt(config, location).map((t) => t.name));
  const monitored = config.alerts ? monitoredTargets(config).filter((t) => here.has(t)) : [];

  const components: Component[] = [
    new WorkerComponent('location diagnose worker', settings.queueRedis, (connection) => createLocationDiagnoseWorker({
      connection, prefix: diagnoseQ.prefix, queue: diagnoseQ.name, concurrency: settings.concurrency, log, name, ...stalls,
    }, deps), log),
    // Approved fixes of its targets, judged again with this location's config (jobs/location-remediate.ts).
    new WorkerComponent('location remediate worker', settings.queueRedis, (connection) => createLocationRemediateWorker({
      connection, prefix: remediateQ.prefix, queue: remediateQ.name, concurrency: 1, log, name, ...stalls,
    }, { ...deps, connectMs: settings.timeoutMs, commandMs: Math.max(settings.timeoutMs, REMEDIATION_COMMAND_MS) }), log),
    new LocationMonitorComponent({
      redisUrl: settings.queueRedis, deps, targets: monitored, intervalSeconds: config.alerts?.intervalSeconds ?? 30,
      worker: { prefix: monitorQ.prefix, queue: monitorQ.name, concurrency: settings.monitorConcurrency, log, name, ...(opts.monitor?.stalls ? { stalls: opts.monitor.stalls } : {}) },
    }),
  ];
  let port = 0;
  let ping: ReturnType<typeof createFrontEndRedis> | undefined;
  if (settings.portGiven) {
    ping = createFrontEndRedis(settings.queueRedis);
    ping.on('error', () => undefined);
    const redis = ping;
    const queueReady = () => withTimeout(redis.ping(), READY_PING_MS, 'ping').then((r) => r === 'PONG', () => false);
    const health = new HealthServer(healthRoutes({ metrics, role: 'worker', queueReady }), settings.port);
    components.push(health);
    await startAll(components, log, SHUTDOWN_MS);
    port = health.port;
  } else {
    await startAll(components, log, SHUTDOWN_MS);
  }
  log.log('info', 'redis-doctor location worker started', { location, queuePrefix: diagnoseQ.prefix, targets: here.size, monitored: monitored.length, ...(port ? { port } : { port: 'none' }) });
  let stopping: Promise<void> | undefined;
  return {
    settings, metrics, port,
    stop: () => {
      stopping ??= (async () => {
        await stopAll(components, log, SHUTDOWN_MS);
        ping?.disconnect();
        log.log('info', 'stopped');
      })();
      return stopping;
    },
  };
}

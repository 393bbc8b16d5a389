/**
 * Wires the bot process: web front end (Bolt) and/or diagnosis worker.
 *
 *   role 'web'    — Slack front end; plus a worker in the same process
 *                   unless REDIS_DOCTOR_INLINE_WORKER=false (`npm start`)
 *   role 'worker' — a worker alone with health routes on PORT (`npm run worker`)
 *
 * Everything is validated before anything starts listening: the environment
 * (settings.ts) and the YAML config, with errors naming the field.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadConfig } from './config/load.js';
import { diagnose as engineDiagnose } from './engine/diagnose.js';
import { healthRoutes, startRouteServer, type Route } from './http/health.js';
import { createDiagnoseWorker, type StallOptions } from './jobs/diagnose-worker.js';
import { DiagnosisStore } from './jobs/diagnosis-store.js';
import { Dispatcher } from './jobs/dispatcher.js';
import { FailureNotices } from './jobs/failure-notices.js';
import { DiagnoseQueue } from './jobs/queue.js';
import { createFrontEndRedis, createWorkerRedis, endIfNotReady, isReady, waitReady, withTimeout } from './jobs/redis.js';
import { DiagnosisRunner, type DiagnoseFn } from './jobs/run-diagnosis.js';
import { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { loadSettings, type Settings } from './settings.js';
import { registerActions } from './slack/actions.js';
import { createSlackApp, type SlackApp } from './slack/app.js';
import { ApprovalStore } from './slack/approval-store.js';
import { registerCommands } from './slack/commands.js';
import { createWebClient, Reporter } from './slack/reporter.js';

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
}

export interface Bot {
  settings: Settings;
  metrics: Metrics;
  /** The port health routes (and, in HTTP mode, /slack/events) listen on. */
  port: number;
  stop(): Promise<void>;
}

const SHUTDOWN_MS = 10_000;

/** ioredis repeats the same connection error on every reconnect attempt: log changes only. */
function watchRedis(redis: Redis, what: string, log: Logger): void {
  let last: string | undefined;
  redis.on('error', (err: Error) => {
    if (err.message !== last) log.log('warn', `${what} unreachable`, { error: err.message });
    last = err.message;
  });
  redis.on('ready', () => {
    if (last !== undefined) log.log('info', `${what} reachable again`);
    last = undefined;
  });
}

/** HTTP mode: Bolt's receiver serves /slack/events and the routes; otherwise a small server serves the routes. */
async function listen(slack: SlackApp | undefined, routes: Route[], wanted: number): Promise<{ server: Server; port: number }> {
  if (slack?.routesServed) {
    const server = (await slack.app.start(wanted)) as Server;
    return { server, port: (server.address() as AddressInfo).port };
  }
  if (slack) await slack.app.start();
  return startRouteServer(routes, wanted);
}

export async function startBot(opts: BotOptions): Promise<Bot> {
  const env = opts.env ?? process.env;
  const settings = loadSettings(env, { workerOnly: opts.role === 'worker' });
  const log = new Logger(settings.logLevel, 'redis-doctor', opts.write);
  const config = loadConfig(undefined, env);
  const metrics = new Metrics({ defaults: true });

  const redis = createFrontEndRedis(settings.redisUrl);
  watchRedis(redis, 'queue Redis', log);
  const queue = new DiagnoseQueue(redis, settings.queuePrefix);
  queue.queue.on('error', () => { /* reported by watchRedis */ });
  // Commands that arrive while the first connection is still being made would
  // take the queue-down path; a short wait at start avoids that without
  // making a Redis outage stop the bot from starting.
  if (!(await waitReady(redis, 2000))) log.log('warn', 'queue Redis not reachable at start: diagnoses run in process until it is', { redisStatus: redis.status });
  const store = new DiagnosisStore(redis, settings.queuePrefix);
  const approvals = new ApprovalStore(redis, settings.queuePrefix);

  const role = opts.role === 'worker' ? 'worker' : settings.inlineWorker ? 'web+worker' : 'web';
  const routes = healthRoutes({
    metrics,
    role,
    queueReady: () => withTimeout(redis.ping(), 500, 'ping').then((r) => r === 'PONG', () => false),
  });

  const slack = opts.role === 'web' ? createSlackApp(settings, log, routes) : undefined;
  const client = slack ? slack.app.client : createWebClient(settings.botToken, settings.slackApiUrl, log);
  const reporter = new Reporter(client, log, opts.respondTimeoutMs);
  const runner = new DiagnosisRunner({
    reporter, store, metrics, log,
    diagnose: opts.diagnose ?? engineDiagnose,
    config,
    ...(settings.configPath ? { configPath: settings.configPath } : {}),
    env,
    timeoutMs: settings.timeoutMs,
    ...(opts.progressIntervalMs !== undefined ? { progressIntervalMs: opts.progressIntervalMs } : {}),
  });
  const dispatcher = new Dispatcher(queue, runner, metrics, log, settings.concurrency);

  let stopping: Promise<void> | undefined;
  let worker: Worker | undefined;
  let workerRedis: Redis | undefined;
  if (role !== 'web') {
    workerRedis = createWorkerRedis(settings.redisUrl);
    watchRedis(workerRedis, 'worker Redis', log);
    // The marker is claimed on the front-end connection: it fails fast instead of waiting out an outage.
    const notices = new FailureNotices(redis, settings.queuePrefix, log);
    const connection = workerRedis;
    const startWorker = () => {
      if (stopping || worker) return;
      worker = createDiagnoseWorker({
        connection, prefix: settings.queuePrefix, concurrency: settings.concurrency, runner, notices, metrics, log,
        ...(opts.stalls ? { stalls: opts.stalls } : {}),
      });
    };
    // Created once its Redis is ready, not before: a BullMQ Worker made on a
    // client that is still connecting duplicates it for its blocking
    // connection, and if the bot stops while that duplicate is mid-connect,
    // BullMQ's close() disconnects it after dropping its own 'error'
    // listeners: the duplicate's ECONNREFUSED then surfaces as an unhandled
    // rejection (bullmq 5.81 RedisConnection: `initializing.catch(err => this.emit('error', err))`).
    if (isReady(connection)) startWorker();
    else connection.once('ready', startWorker);
  }

  if (slack) {
    registerCommands(slack.app, { config, dispatcher, store, metrics, log, reporter });
    registerActions(slack.app, { config, store, approvals, dispatcher, reporter, metrics, log });
  }
  const { server, port } = await listen(slack, routes, settings.port);
  log.log('info', 'redis-doctor bot started', { role, mode: settings.mode, port, queuePrefix: settings.queuePrefix, targets: config.targets.length });

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log.log('info', 'shutting down: no new commands; finishing running diagnoses');
      const steps = async () => {
        // Slack first (no new work), then the worker lets its running jobs finish.
        if (slack) await slack.app.stop().catch(() => undefined);
        if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
        // A client still (re)connecting has nothing to finish: end it before
        // BullMQ closes, so the rejection of BullMQ's wait for 'ready' still
        // reaches the 'error' handlers (see endIfNotReady).
        await Promise.all([redis, workerRedis].map((c) => (c ? endIfNotReady(c, 500) : undefined)));
        await worker?.close();
        await dispatcher.drain();
        await queue.close().catch(() => undefined);
      };
      await withTimeout(steps(), SHUTDOWN_MS, 'graceful shutdown').catch((err: Error) => log.log('warn', err.message));
      redis.disconnect();
      workerRedis?.disconnect();
      log.log('info', 'stopped');
    })();
    return stopping;
  };
  return { settings, metrics, port, stop };
}

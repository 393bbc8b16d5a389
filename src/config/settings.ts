/**
 * The bot process environment (INTERFACES.md section 5), validated once at
 * start with zod; every error names the variable. Secrets are kept out of
 * error messages: only the variable name and what is wrong are shown.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { z as Z } from 'zod';
import { ConfigError } from './load.js';
import type { QueueRedisConfig } from '../jobs/connections.js';

const DEFAULT_QUEUE_PREFIX = '{redis-doctor}';

const boolText = z.enum(['1', '0', 'true', 'false', 'yes', 'no']).transform((v) => v === '1' || v === 'true' || v === 'yes');

const baseSchema = z.object({
    SLACK_BOT_TOKEN: z.string().regex(/^xox[bp]-\S+$/, 'must be a bot token (xoxb-…)').optional(),
    SLACK_SIGNING_SECRET: z.string().min(8, 'must be the app signing secret').optional(),
    SLACK_APP_TOKEN: z.string().regex(/^xapp-\S+$/, 'must be an app-level token (xapp-…)').optional(),
    SLACK_API_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://slack.com/api/' }).optional(),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    REDIS_URL: z.string().regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
    REDIS_SENTINELS: z.string().max(2000).transform((v, ctx) => {
      const list = parseSentinels(v);
      if (typeof list === 'string') {
        ctx.addIssue({ code: 'custom', message: list });
        return z.NEVER;
      }
      return list;
    }).optional(),
    REDIS_SENTINEL_MASTER: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be the master name the Sentinels monitor (letters, digits, . _ -)').optional(),
    REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
    REDIS_TLS_CA_FILE: z.string().min(1).optional(),
    REDIS_DOCTOR_CONFIG: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** BullMQ key prefix; braces make it a Redis Cluster hash tag so every queue key lands in one slot. */
    REDIS_DOCTOR_QUEUE_PREFIX: z.string().regex(/^\{[A-Za-z0-9_.-]{1,64}\}$/, 'must be a hash tag such as {redis-doctor}').default(DEFAULT_QUEUE_PREFIX),
    /** `npm start` runs a worker in the web process unless this is false. */
    REDIS_DOCTOR_INLINE_WORKER: boolText.default(true),
    REDIS_DOCTOR_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
    /** Monitor ticks one worker runs at once: probes wait on the network, not the CPU. */
    REDIS_DOCTOR_MONITOR_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(100),
    /** Per-step network bound handed to the engine. */
    REDIS_DOCTOR_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
    /** The probe location a worker serves (issue #20); its name must be in the config's `locations:`. */
    REDIS_DOCTOR_LOCATION: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a location name ([a-z0-9][a-z0-9-]*)').default('local'),
});

/**
 * What each variable is and where to get it: a start-up error is read by someone setting the bot up,
 * and "expected string, received undefined" tells them neither.
 */
const ABOUT: Record<string, string> = {
  SLACK_BOT_TOKEN: 'the bot token (xoxb-…), from your Slack app\'s settings: OAuth & Permissions → Bot User OAuth Token (install the app to the workspace first)',
  SLACK_SIGNING_SECRET: 'the signing secret that proves requests come from Slack, from your Slack app\'s settings: Basic Information → App Credentials → Signing Secret',
  SLACK_APP_TOKEN: 'an app-level token (xapp-…) with connections:write, for Socket Mode: Basic Information → App-Level Tokens',
  SLACK_API_URL: 'the Web API base URL, only for GovSlack or a test double (default https://slack.com/api/)',
  PORT: 'the HTTP port for /slack/events, /healthz and /metrics (default 3000)',
  REDIS_URL: 'the bot\'s own queue Redis (not a diagnosed one), e.g. redis://127.0.0.1:6379',
  REDIS_SENTINELS: 'the Sentinels that watch the queue Redis, as host:port,host:port (with REDIS_SENTINEL_MASTER; REDIS_URL then gives only credentials, TLS and db)',
  REDIS_SENTINEL_MASTER: 'the master name those Sentinels monitor for the queue Redis (with REDIS_SENTINELS)',
  REDIS_SENTINEL_PASSWORD: 'the password of the Sentinels themselves, when they require one (requirepass in sentinel.conf)',
  REDIS_TLS_CA_FILE: 'a PEM file with the CA that signed the queue Redis\'s certificate, for a rediss:// REDIS_URL signed by a private CA',
  REDIS_DOCTOR_CONFIG: 'the path of the YAML config file',
  LOG_LEVEL: 'one of debug, info, warn, error',
  REDIS_DOCTOR_QUEUE_PREFIX: 'the BullMQ key prefix, a Redis Cluster hash tag such as {redis-doctor}',
  REDIS_DOCTOR_INLINE_WORKER: 'true or false: whether npm start also runs a worker',
  REDIS_DOCTOR_WORKER_CONCURRENCY: 'diagnoses one worker runs at once (1..64)',
  REDIS_DOCTOR_MONITOR_CONCURRENCY: 'monitor probes one worker runs at once (1..1000)',
  REDIS_DOCTOR_TIMEOUT_MS: 'the per-step network bound in ms (100..60000)',
  REDIS_DOCTOR_LOCATION: 'the probe location this worker serves (a name from the config\'s locations:, default local)',
};

/** One line per variable: what is wrong with it, what it is, where to get it. Values are never shown. */
function explain(error: Z.ZodError, given: Record<string, unknown>): string {
  const lines = new Map<string, string>();
  for (const issue of error.issues) {
    const name = String(issue.path[0] ?? '(environment)');
    if (lines.has(name)) continue;
    const about = Object.hasOwn(ABOUT, name) ? `: ${ABOUT[name]}` : '';
    const what = given[name] !== undefined ? `is not valid (${issue.message})` : issue.code === 'custom' ? issue.message : 'is not set';
    lines.set(name, `${name} ${what}${about}`);
  }
  return [...lines.values()].join('; ');
}

const MAX_SENTINELS = 16;

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`environment: REDIS_TLS_CA_FILE cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): ${ABOUT.REDIS_TLS_CA_FILE}`);
  }
}

/** `host:port,host:port` (IPv6 as `[addr]:port`): the list, or what is wrong with it. Split and scanned, no regex over the whole value. */
export function parseSentinels(text: string): { host: string; port: number }[] | string {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) return 'must list at least one host:port';
  if (parts.length > MAX_SENTINELS) return `lists more than ${MAX_SENTINELS} Sentinels`;
  const out: { host: string; port: number }[] = [];
  for (const part of parts) {
    const colon = part.lastIndexOf(':');
    if (colon <= 0) return `"${part.slice(0, 80)}" is not host:port`;
    let host = part.slice(0, colon);
    const portText = part.slice(colon + 1);
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) return `"${part.slice(0, 80)}" has no valid port (1-65535)`;
    if (host.length > 253 || !/^[A-Za-z0-9.:_-]+$/.test(host)) return `"${part.slice(0, 80)}" has no valid host`;
    out.push({ host, port });
  }
  return out;
}

/** Sentinels and their master name go together. */
function sentinelPair(env: { REDIS_SENTINELS?: unknown; REDIS_SENTINEL_MASTER?: unknown }, ctx: Z.RefinementCtx): void {
  if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_MASTER) ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINEL_MASTER'], message: 'is required with REDIS_SENTINELS' });
  if (env.REDIS_SENTINEL_MASTER && !env.REDIS_SENTINELS) ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINELS'], message: 'is required with REDIS_SENTINEL_MASTER' });
}

/** Whoever posts to Slack needs the bot token: every process but a worker at another location (it posts nothing). */
function needsBotToken(env: Z.infer<typeof baseSchema>, ctx: Z.RefinementCtx): void {
  if (!env.SLACK_BOT_TOKEN) ctx.addIssue({ code: 'custom', path: ['SLACK_BOT_TOKEN'], message: 'is not set' });
}

const localWorkerSchema = baseSchema.superRefine((env, ctx) => {
  sentinelPair(env, ctx);
  if (env.REDIS_DOCTOR_LOCATION === 'local') needsBotToken(env, ctx);
});

/** The front end must verify what Slack sends: a signing secret (HTTP) or an app token (Socket Mode). */
const frontEndSchema = baseSchema.superRefine((env, ctx) => {
  sentinelPair(env, ctx);
  needsBotToken(env, ctx);
  if (env.REDIS_DOCTOR_LOCATION !== 'local') {
    ctx.addIssue({ code: 'custom', path: ['REDIS_DOCTOR_LOCATION'], message: 'is for a worker alone (npm run worker): the front end and its inline worker serve local' });
  }
  if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['SLACK_SIGNING_SECRET'], message: 'is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)' });
  }
});

export type Mode = 'http' | 'socket';

export interface Settings {
  mode: Mode;
  botToken: string;
  signingSecret?: string;
  appToken?: string;
  /** Web API base URL with its trailing slash, as WebClient expects. */
  slackApiUrl?: string;
  port: number;
  redisUrl: string;
  /** The queue Redis: REDIS_URL, or the primary REDIS_SENTINELS name (with REDIS_URL's credentials, TLS, db). */
  queueRedis: QueueRedisConfig;
  configPath?: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  queuePrefix: string;
  inlineWorker: boolean;
  concurrency: number;
  monitorConcurrency: number;
  timeoutMs: number;
  /** The probe location this process's workers serve (`local` unless REDIS_DOCTOR_LOCATION says otherwise). */
  location: string;
  /** PORT was set: a worker at another location listens for health routes only then (it needs no inbound port). */
  portGiven: boolean;
}

/** `workerOnly`: the worker alone posts with the bot token and needs no signing secret or app token. */
export function loadSettings(env: NodeJS.ProcessEnv, opts: { workerOnly?: boolean } = {}): Settings {
  // `VAR=` (as docker compose and systemd write an unset value) counts as not set.
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = (opts.workerOnly ? localWorkerSchema : frontEndSchema).safeParse(given);
  if (!parsed.success) throw new ConfigError(`environment: ${explain(parsed.error, given)}`);
  const e = parsed.data;
  const settings: Settings = {
    // Socket Mode is used when SLACK_APP_TOKEN is set (INTERFACES.md section 5).
    mode: e.SLACK_APP_TOKEN ? 'socket' : 'http',
    // Absent only for a worker at another location, which never posts.
    botToken: e.SLACK_BOT_TOKEN ?? '',
    port: e.PORT,
    redisUrl: e.REDIS_URL,
    queueRedis: {
      url: e.REDIS_URL,
      ...(e.REDIS_SENTINELS && e.REDIS_SENTINEL_MASTER ? { sentinels: e.REDIS_SENTINELS, sentinelMaster: e.REDIS_SENTINEL_MASTER } : {}),
      ...(e.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: e.REDIS_SENTINEL_PASSWORD } : {}),
      ...(e.REDIS_TLS_CA_FILE ? { tlsCa: readCa(e.REDIS_TLS_CA_FILE) } : {}),
    },
    logLevel: e.LOG_LEVEL,
    queuePrefix: e.REDIS_DOCTOR_QUEUE_PREFIX,
    inlineWorker: e.REDIS_DOCTOR_INLINE_WORKER,
    concurrency: e.REDIS_DOCTOR_WORKER_CONCURRENCY,
    monitorConcurrency: e.REDIS_DOCTOR_MONITOR_CONCURRENCY,
    timeoutMs: e.REDIS_DOCTOR_TIMEOUT_MS,
    location: e.REDIS_DOCTOR_LOCATION,
    portGiven: given.PORT !== undefined,
  };
  if (e.SLACK_APP_TOKEN) settings.appToken = e.SLACK_APP_TOKEN;
  else if (e.SLACK_SIGNING_SECRET) settings.signingSecret = e.SLACK_SIGNING_SECRET;
  if (e.SLACK_API_URL) settings.slackApiUrl = e.SLACK_API_URL.endsWith('/') ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`;
  if (e.REDIS_DOCTOR_CONFIG) settings.configPath = e.REDIS_DOCTOR_CONFIG;
  return settings;
}

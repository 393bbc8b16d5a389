/**
 * Connections to the bot's own queue Redis (REDIS_URL). Two kinds, because
 * the failure behaviour each side needs is opposite:
 *
 * - the front end must answer Slack within 3 s even when this Redis is down,
 *   so its connection fails commands at once instead of queueing them
 *   (ioredis `enableOfflineQueue: false`: "commands are rejected immediately
 *   when the connection is not ready");
 * - a BullMQ worker must wait out outages: BullMQ requires
 *   `maxRetriesPerRequest: null` for its blocking connection.
 */
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Where the queue Redis is: a URL, or (REDIS_SENTINELS + REDIS_SENTINEL_MASTER)
 * the primary that those Sentinels name, with the URL giving only the
 * credentials, TLS and db.
 */
export interface QueueRedisConfig {
  url: string;
  sentinels?: { host: string; port: number }[];
  sentinelMaster?: string;
  /** Sentinels that require a password (REDIS_SENTINEL_PASSWORD). */
  sentinelPassword?: string;
  /** PEM CA bundle that signs the queue Redis's (and its Sentinels') certificates (REDIS_TLS_CA_FILE). */
  tlsCa?: string;
}

export type QueueRedis = string | QueueRedisConfig;

export function queueUrl(q: QueueRedis): string {
  return typeof q === 'string' ? q : q.url;
}

export function viaSentinel(q: QueueRedis): q is QueueRedisConfig & { sentinels: { host: string; port: number }[]; sentinelMaster: string } {
  return typeof q !== 'string' && !!q.sentinels?.length && !!q.sentinelMaster;
}

/**
 * ioredis options for the queue Redis behind Sentinels. ioredis asks the
 * Sentinels for the master's address (SENTINEL get-master-addr-by-name),
 * checks ROLE on connecting (a demoted primary is left), and with
 * `failoverDetector` subscribes to `+switch-master` so a failover moves the
 * connection at once instead of at the next error. A write that still reaches
 * a demoted primary gets `-READONLY You can't write against a read only
 * replica`: reconnect (through the Sentinels) and resend it (`2`).
 */
function sentinelOptions(q: QueueRedisConfig & { sentinels: { host: string; port: number }[]; sentinelMaster: string }): RedisOptions {
  const u = new URL(q.url);
  const tls = u.protocol === 'rediss:';
  const db = Number(u.pathname.replace(/^\//, '') || '0');
  return {
    sentinels: q.sentinels,
    name: q.sentinelMaster,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(q.sentinelPassword ? { sentinelPassword: q.sentinelPassword } : {}),
    // rediss:// means TLS to the primary and to the Sentinels alike (one CA for the queue Redis's deployment).
    ...(tls ? { tls: tlsOptions(q), enableTLSForSentinelMode: true, sentinelTLS: tlsOptions(q) } : {}),
    failoverDetector: true,
    reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 2 : false),
  };
}

/** Certificates are verified (Node's default); a private CA is added, never verification turned off. */
function tlsOptions(q: QueueRedisConfig): { ca?: string } {
  return q.tlsCa ? { ca: q.tlsCa } : {};
}

function connect(q: QueueRedis, options: RedisOptions): Redis {
  if (viaSentinel(q)) return new Redis({ ...sentinelOptions(q), ...options });
  const url = queueUrl(q);
  if (typeof q !== 'string' && q.tlsCa && url.startsWith('rediss:')) return new Redis(url, { tls: tlsOptions(q), ...options });
  return new Redis(url, options);
}

// Reconnect quickly at first, then every 2 s: the readiness probe and the
// fallback path look at the status, so a short interval shortens recovery.
const retryStrategy = (times: number): number => Math.min(100 * times, 2000);

export function createFrontEndRedis(q: QueueRedis, extra: RedisOptions = {}): Redis {
  return connect(q, {
    enableOfflineQueue: false,
    // A burst of commands (50 Slack requests at once) goes out in one write per
    // event-loop tick instead of one each: writes are what a busy front end pays for.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    retryStrategy,
    ...extra,
  });
}

export function createWorkerRedis(q: QueueRedis, extra: RedisOptions = {}): Redis {
  return connect(q, { maxRetriesPerRequest: null, retryStrategy, ...extra });
}

export function isReady(redis: Redis): boolean {
  return redis.status === 'ready';
}

/** Resolves true once the connection is ready, false after `ms` (the caller carries on either way). */
export function waitReady(redis: Redis, ms: number): Promise<boolean> {
  if (isReady(redis)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (value: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(value);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    redis.once('ready', onReady);
  });
}

/**
 * Disconnects a client that is not ready, and waits (at most `ms`) for its
 * 'end' when a connection attempt was in flight. Why: BullMQ (5.x
 * RedisConnection) waits for 'ready' on a client that is still connecting
 * and rejects with the client's last connection error when 'end' comes
 * first; once the Queue/Worker is closed it has removed its own 'error'
 * listeners, so that rejection becomes an unhandled one ("connect
 * ECONNREFUSED"). Ending the client *before* closing BullMQ delivers it
 * while BullMQ still forwards it to our 'error' handlers. ioredis emits
 * 'end' only when a socket was open or opening; from 'reconnecting' it
 * just cancels the retry timer and nothing is pending. After 'end' it yields
 * one macrotask: BullMQ's rejection travels through several promise hops
 * (waitUntilReady → init → initializing.catch → emit), and a caller that
 * closes BullMQ right after must find them done.
 */
export async function endIfNotReady(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready' || redis.status === 'end') return;
  const live = redis.status === 'connecting' || redis.status === 'connect';
  let timer: NodeJS.Timeout | undefined;
  let onEnd: (() => void) | undefined;
  const ended = new Promise<void>((resolve) => {
    onEnd = resolve;
    timer = setTimeout(resolve, ms);
    redis.once('end', onEnd);
  });
  redis.disconnect();
  try {
    if (live) {
      await ended;
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    clearTimeout(timer);
    if (onEnd) redis.off('end', onEnd);
  }
}

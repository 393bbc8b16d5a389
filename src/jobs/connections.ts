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

// Reconnect quickly at first, then every 2 s: the readiness probe and the
// fallback path look at the status, so a short interval shortens recovery.
const retryStrategy = (times: number): number => Math.min(100 * times, 2000);

export function createFrontEndRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
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

export function createWorkerRedis(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, retryStrategy, ...extra });
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

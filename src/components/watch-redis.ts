import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';

/** ioredis repeats the same connection error on every reconnect attempt: log changes only. */
export function watchRedis(redis: Redis, what: string, log: Logger): void {
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

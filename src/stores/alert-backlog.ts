/**
 * The alerts waiting for Slack, shared by every worker (the queue Redis, under
 * the queue's hash-tag prefix like the rest of the monitor's keys):
 *
 *   <prefix>:store:monitor:backlog        sorted set: incident id → priority (lower is told first)
 *   <prefix>:store:monitor:slack-wait:<channel>     string, PX: Slack answered 429 for that channel; post nothing there until it expires (Retry-After)
 *   <prefix>:store:monitor:slack-limited:<channel>  string, PX: Slack rate-limited alerts to that channel in the last few minutes
 *
 * Slack's limit on chat.postMessage is per channel (about one a second), so
 * is the wait: a 429 in a team's alertChannel holds only that channel's alerts.
 *
 * One member per incident (ZADD of the same id only rewrites its score), so
 * the set holds at most one entry per open, unposted incident; it is capped
 * besides (the least urgent are dropped, and queued again by their next
 * tick) and expires when nothing is added for a day.
 */
import type { Redis } from 'ioredis';
import { withTimeout } from '../util/timeout.js';
import { storeKey } from './keys.js';

const REDIS_MS = 1000;
const MAX_BACKLOG = 20_000;
const BACKLOG_TTL_MS = 24 * 3600_000;
/** How long after a 429 the alerts still say how many are queued behind the rate limit. */
const LIMITED_RECENTLY_MS = 5 * 60_000;

export class AlertBacklog {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(name: string): string {
    return storeKey(this.prefix, 'monitor', name);
  }

  private run<T>(work: Promise<T>, what: string): Promise<T> {
    return withTimeout(work, REDIS_MS, what);
  }

  /** Queues (or re-queues) an incident's alert at this priority. */
  async add(id: string, score: number): Promise<void> {
    const k = this.key('backlog');
    await this.run(this.redis.multi().zadd(k, score, id).zremrangebyrank(k, MAX_BACKLOG, -1).pexpire(k, BACKLOG_TTL_MS).exec(), 'queueing the alert');
  }

  async remove(id: string): Promise<void> {
    await this.run(this.redis.zrem(this.key('backlog'), id), 'dequeueing the alert');
  }

  /** The `n` most urgent queued incidents, in order, and how many are queued in all. */
  async head(n: number): Promise<{ ids: string[]; size: number }> {
    const k = this.key('backlog');
    const r = await this.run(this.redis.multi().zrange(k, 0, n - 1).zcard(k).exec(), 'reading the alert backlog');
    return { ids: (r?.[0]?.[1] as string[] | undefined) ?? [], size: Number(r?.[1]?.[1] ?? 0) };
  }

  /** Slack said to wait `ms` (Retry-After) in `channel`: every worker holds its alerts to that channel until then. */
  async limited(ms: number, channel: string): Promise<void> {
    const wait = Math.max(1, Math.ceil(ms));
    await this.run(this.redis.multi()
      .set(this.key(`slack-wait:${channel}`), '1', 'PX', wait)
      .set(this.key(`slack-limited:${channel}`), '1', 'PX', wait + LIMITED_RECENTLY_MS)
      .exec(), 'recording the rate limit');
  }

  /** How long alerts to `channel` must still wait (0: post now), and whether Slack rate-limited them lately. */
  async slack(channel: string): Promise<{ waitMs: number; recently: boolean }> {
    const r = await this.run(this.redis.multi().pttl(this.key(`slack-wait:${channel}`)).exists(this.key(`slack-limited:${channel}`)).exec(), 'reading the rate limit');
    return { waitMs: Math.max(0, Number(r?.[0]?.[1] ?? 0)), recently: Number(r?.[1]?.[1] ?? 0) === 1 };
  }
}

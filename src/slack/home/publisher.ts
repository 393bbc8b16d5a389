/**
 * Publishes the App Home tab (views.publish): to a user when they open it
 * (`app_home_opened`), and again to the users who opened it recently after a
 * state change (an incident opened, acked or recovered).
 *
 * Bounded: the users are a sorted set in the queue Redis (any process can
 * publish to them: a worker tells a recovery, the web process an ack), at
 * most MAX_USERS, the oldest dropped, seen within RECENT_MS; changes are
 * debounced (one round per DEBOUNCE_MS however many changes come), and a
 * round publishes at most MAX_USERS views, one after the other (views.publish
 * is Slack's Tier 4, 100+ a minute).
 */
import type { Redis } from 'ioredis';
import type { webApi } from '@slack/bolt';
import type { Logger } from '../../log.js';
import { storeKey } from '../../stores/keys.js';
import { renderHome } from '../views/home.js';
import type { HomeData } from './home-data.js';

type WebClient = InstanceType<typeof webApi.WebClient>;

export const MAX_USERS = 100;
export const RECENT_MS = 7 * 24 * 3600_000;
const DEBOUNCE_MS = 2000;
const USER_ID = /^[UW][A-Z0-9]{2,30}$/;

export interface HomePublisherDeps {
  redis: Redis;
  prefix: string;
  client: Pick<WebClient, 'views'>;
  load: (now: number) => Promise<HomeData>;
  log: Logger;
  debounceMs?: number;
  now?: () => number;
}

export class HomePublisher {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly deps: HomePublisherDeps) {
    this.now = deps.now ?? Date.now;
  }

  private get key(): string {
    return storeKey(this.deps.prefix, 'home-users');
  }

  /** A user opened the Home tab: remembered (bounded) and shown the tab now. */
  async opened(user: string): Promise<void> {
    if (!USER_ID.test(user)) return;
    const now = this.now();
    await this.deps.redis.multi()
      .zadd(this.key, now, user)
      .zremrangebyscore(this.key, '-inf', now - RECENT_MS)
      .zremrangebyrank(this.key, 0, -(MAX_USERS + 1))
      .pexpire(this.key, RECENT_MS)
      .exec();
    await this.publish([user], await this.deps.load(now));
  }

  /** Something the Home shows changed: one publishing round after the debounce, whatever more changes meanwhile. */
  changed(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.round = this.round.then(() => this.publishAll()).catch((err: Error) => this.deps.log.log('warn', 'App Home publishing failed', { error: err.message }));
    }, this.deps.debounceMs ?? DEBOUNCE_MS);
    this.timer.unref();
  }

  private async publishAll(): Promise<void> {
    const now = this.now();
    const users = await this.deps.redis.zrevrangebyscore(this.key, '+inf', now - RECENT_MS, 'LIMIT', 0, MAX_USERS);
    if (users.length === 0) return;
    await this.publish(users.filter((u) => USER_ID.test(u)), await this.deps.load(now));
  }

  private async publish(users: string[], data: HomeData): Promise<void> {
    const view = renderHome(data, this.now());
    for (const user_id of users) {
      if (this.stopped) return;
      try {
        await this.deps.client.views.publish({ user_id, view });
      } catch (err) {
        this.deps.log.log('warn', 'views.publish failed', { user: user_id, error: (err as Error).message });
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.round;
  }
}

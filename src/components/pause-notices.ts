/**
 * In the web process: watches the queue Redis (the check /readyz makes) once
 * a second and, through PauseWatch, tells `alerts.channel` when monitoring is
 * paused because that Redis is down, and when it resumes.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { PauseSink } from '../monitor/alert-sink.js';
import { PauseWatch, type PauseWatchOptions } from '../monitor/pause-watch.js';
import { Redactor } from '../engine/index.js';
import type { Component } from './component.js';

const POLL_MS = 1000;

export class PauseNotices implements Component {
  readonly name = 'monitor pause notices';
  private timer: NodeJS.Timeout | undefined;
  private lastError = '';
  private polling = false;
  private readonly pollMs: number;
  readonly watch: PauseWatch;

  constructor(
    private readonly redis: Redis,
    /** The /readyz check: true when the queue Redis answers PING in time. */
    ready: () => Promise<boolean>,
    sink: PauseSink,
    channel: string,
    log: Logger,
    options: PauseWatchOptions & { pollMs?: number; redisUrl?: string; sentinelPassword?: string } = {},
  ) {
    // REDIS_URL may carry a password; ioredis's messages do not, but nothing of the URL's password is ever posted.
    let password: string | undefined;
    try {
      password = options.redisUrl ? decodeURIComponent(new URL(options.redisUrl).password) || undefined : undefined;
    } catch {
      password = undefined;
    }
    const redactor = new Redactor().add(password).add(options.sentinelPassword);
    this.pollMs = options.pollMs ?? POLL_MS;
    this.watch = new PauseWatch(async () => {
      if (await ready()) return { up: true };
      const why = this.redis.status === 'ready' ? 'it does not answer PING in time' : (this.lastError || `connection ${this.redis.status}`);
      return { up: false, reason: redactor.redact(why) };
    }, sink, channel, log, options);
  }

  private readonly onError = (err: Error) => {
    this.lastError = err.message;
  };

  async start(): Promise<void> {
    this.redis.on('error', this.onError);
    this.timer = setInterval(() => {
      if (this.polling) return;
      this.polling = true;
      void this.watch.poll().finally(() => { this.polling = false; });
    }, this.pollMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.redis.off('error', this.onError);
    this.watch.close();
    await this.watch.settled();
  }
}

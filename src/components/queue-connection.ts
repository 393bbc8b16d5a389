/**
 * The front end's connection to the queue Redis and the queues on it (the
 * `diagnose` queue, and `remediate`, which the click handlers add to): first
 * to start, last to stop, shared by the stores, the dispatcher and the
 * readiness probe. A Redis outage at start does not stop the bot from
 * starting: diagnoses then run in process until the queue is back.
 */
import type { Redis } from 'ioredis';
import { endIfNotReady, waitReady } from '../jobs/connections.js';
import type { Logger } from '../log.js';
import { withTimeout } from '../util/timeout.js';
import type { Component } from './component.js';

/** How long start() waits for the first connection before carrying on without it. */
const FIRST_CONNECT_MS = 2000;
const END_WAIT_MS = 500;

/** A queue on the connection (DiagnoseQueue, RemediateQueue). */
interface ClosableQueue {
  close(): Promise<void>;
}

export class QueueConnection implements Component {
  readonly name = 'queue connection';

  /**
   * `queues`: closed in this order when the component stops, before the connection is.
   * `sentinel`: the queue Redis is a Sentinel-managed primary (REDIS_SENTINELS).
   */
  constructor(private readonly redis: Redis, private readonly queues: readonly ClosableQueue[], private readonly log: Logger, private readonly sentinel = false) {}

  async start(): Promise<void> {
    // Commands that arrive while the first connection is still being made would
    // take the queue-down path; a short wait at start avoids that without
    // making a Redis outage stop the bot from starting.
    if (!(await waitReady(this.redis, FIRST_CONNECT_MS))) {
      this.log.log('warn', 'queue Redis not reachable at start: diagnoses run in process until it is', { redisStatus: this.redis.status });
    } else if (this.sentinel) {
      await this.checkSafeWrites();
    }
  }

  /**
   * Under Sentinel, a primary that keeps accepting writes after losing its
   * replicas loses them in a failover (docs/queue-redis.md): say so once at
   * start. CONFIG may be renamed or denied by an ACL; then nothing is said.
   */
  private async checkSafeWrites(): Promise<void> {
    try {
      const reply = (await withTimeout(this.redis.config('GET', 'min-replicas-to-write'), FIRST_CONNECT_MS, 'CONFIG GET')) as string[];
      if (reply[1] === '0') {
        this.log.log('warn', 'the queue Redis accepts writes without replicas (min-replicas-to-write 0): a failover can lose accepted jobs or post a diagnosis twice; set min-replicas-to-write 1 on the primary and replicas (docs/queue-redis.md)');
      }
    } catch {
      /* not allowed to ask: nothing to say */
    }
  }

  async stop(): Promise<void> {
    for (const queue of this.queues) {
      // A client still (re)connecting has nothing to finish: end it before
      // BullMQ closes, so the rejection of BullMQ's wait for 'ready' still
      // reaches the 'error' handlers (see endIfNotReady).
      await endIfNotReady(this.redis, END_WAIT_MS);
      await queue.close().catch(() => undefined);
    }
    this.redis.disconnect();
  }

  kill(): void {
    this.redis.disconnect();
  }
}

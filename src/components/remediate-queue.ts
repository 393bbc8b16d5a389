/** The `remediate` queue on the front end's connection, as a component (its worker is a WorkerComponent). */
import type { Redis } from 'ioredis';
import { endIfNotReady } from '../jobs/connections.js';
import type { RemediateQueue } from '../jobs/remediate-queue.js';
import type { Component } from './component.js';

const END_WAIT_MS = 500;

/**
 * The `remediate` queue on the front end's connection (the click handlers
 * add to it): nothing to start; closed before the connection is, after a
 * client that is still reconnecting has been ended (see endIfNotReady).
 */
export class RemediateQueueComponent implements Component {
  readonly name = 'remediate queue';

  constructor(private readonly redis: Redis, private readonly queue: RemediateQueue) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    await endIfNotReady(this.redis, END_WAIT_MS);
    await this.queue.close().catch(() => undefined);
  }
}

/**
 * The remediate worker as a component, where diagnose workers run (the web
 * process with its inline worker, and `npm run worker`): its own blocking
 * connection to the queue Redis, and a BullMQ Worker made once that
 * connection is ready (the reason is in diagnose-worker.ts).
 */
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createWorkerRedis, endIfNotReady, isReady } from '../jobs/connections.js';
import type { RemediateQueue } from '../jobs/remediate-queue.js';
import { createRemediateWorker, type RemediateWorkerOptions } from '../jobs/remediate-worker.js';
import type { Logger } from '../log.js';
import type { Component } from './component.js';
import { watchRedis } from './watch-redis.js';

const END_WAIT_MS = 500;

export class RemediateWorkerComponent implements Component {
  readonly name = 'remediate worker';
  private connection: Redis | undefined;
  private worker: Worker | undefined;
  private stopping = false;

  constructor(
    private readonly redisUrl: string,
    private readonly options: Omit<RemediateWorkerOptions, 'connection'>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const connection = createWorkerRedis(this.redisUrl);
    this.connection = connection;
    watchRedis(connection, 'remediate worker Redis', this.log);
    const create = () => {
      if (this.stopping || this.worker) return;
      this.worker = createRemediateWorker({ ...this.options, connection });
    };
    if (isReady(connection)) create();
    else connection.once('ready', create);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.connection) return;
    await endIfNotReady(this.connection, END_WAIT_MS);
    // A running fix is bounded (connect + command timeouts): let it record its outcome.
    await this.worker?.close();
    this.connection.disconnect();
  }

  kill(): void {
    this.connection?.disconnect();
  }
}

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

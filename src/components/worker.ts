/**
 * A BullMQ worker as a component (the diagnose and remediate workers, and,
 * through the hooks, the monitor: components/monitor.ts): its own
 * blocking connection to the queue Redis, and the Worker made once that
 * connection is ready, not before: a BullMQ Worker made on a client that is
 * still connecting duplicates it for its blocking connection, and if the bot
 * stops while that duplicate is mid-connect, BullMQ's close() disconnects it
 * after dropping its own 'error' listeners: the duplicate's ECONNREFUSED then
 * surfaces as an unhandled rejection (bullmq 5.81 RedisConnection:
 * `initializing.catch(err => this.emit('error', err))`). The same holds
 * for the Worker's own blocking duplicate of a ready connection: stopped
 * while it still sends its INFO (a bot stopped right after it started), its
 * init rejects with "Connection is closed" after close() dropped the
 * listeners, so stop() first lets the Worker finish connecting (bounded).
 */
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createWorkerRedis, endIfNotReady, isReady, type QueueRedis } from '../jobs/connections.js';
import type { Logger } from '../log.js';
import { withTimeout } from '../util/timeout.js';
import type { Component } from './component.js';
import { watchRedis } from './watch-redis.js';

const END_WAIT_MS = 500;

export class WorkerComponent implements Component {
  private connection: Redis | undefined;
  private worker: Worker | undefined;
  protected stopping = false;

  /** `create`: the BullMQ Worker on the connection this component opens (undefined: none, the hooks use it alone). */
  constructor(
    readonly name: string,
    private readonly redisUrl: QueueRedis,
    private readonly create: (connection: Redis) => Worker | undefined,
    protected readonly log: Logger,
  ) {}

  /** Hook: the connection is made (not ready yet). */
  protected opened(_connection: Redis): void {}

  /** Hook: the connection is ready, each time it is (again), unless stopping; before the worker is made. */
  protected connectionReady(): void {}

  /** Hook: stop() has begun (the connection is still open). */
  protected stopStarted(): void {}

  /** Hook: the worker has closed; the connection is still open. */
  protected async workerClosed(): Promise<void> {}

  async start(): Promise<void> {
    const connection = createWorkerRedis(this.redisUrl);
    this.connection = connection;
    watchRedis(connection, `${this.name} Redis`, this.log);
    this.opened(connection);
    const onReady = () => {
      if (this.stopping) return;
      this.connectionReady();
      this.worker ??= this.create(connection);
    };
    connection.on('ready', onReady);
    if (isReady(connection)) onReady();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopStarted();
    if (!this.connection) return;
    await endIfNotReady(this.connection, END_WAIT_MS);
    if (this.worker) await withTimeout(this.worker.waitUntilReady(), END_WAIT_MS, `${this.name} worker connecting`).catch(() => undefined);
    // Lets the running jobs finish (diagnoses, fixes and ticks are bounded; the overall bound is stopAll's).
    await this.worker?.close();
    await this.workerClosed();
    this.connection.disconnect();
  }

  kill(): void {
    this.connection?.disconnect();
  }
}

/**
 * The diagnose worker as a component: its own blocking connection to the
 * queue Redis, and a BullMQ Worker made once that connection is ready.
 */
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createWorkerRedis, endIfNotReady, isReady } from '../jobs/connections.js';
import { createDiagnoseWorker, type DiagnoseWorkerOptions } from '../jobs/diagnose-worker.js';
import type { Logger } from '../log.js';
import type { Component } from './component.js';
import { watchRedis } from './watch-redis.js';

const END_WAIT_MS = 500;

export class DiagnoseWorkerComponent implements Component {
  readonly name = 'diagnose worker';
  private connection: Redis | undefined;
  private worker: Worker | undefined;
  private stopping = false;

  constructor(
    private readonly redisUrl: string,
    private readonly options: Omit<DiagnoseWorkerOptions, 'connection'>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const connection = createWorkerRedis(this.redisUrl);
    this.connection = connection;
    watchRedis(connection, 'worker Redis', this.log);
    const create = () => {
      if (this.stopping || this.worker) return;
      this.worker = createDiagnoseWorker({ ...this.options, connection });
    };
    // Created once its Redis is ready, not before: a BullMQ Worker made on a
    // client that is still connecting duplicates it for its blocking
    // connection, and if the bot stops while that duplicate is mid-connect,
    // BullMQ's close() disconnects it after dropping its own 'error'
    // listeners: the duplicate's ECONNREFUSED then surfaces as an unhandled
    // rejection (bullmq 5.81 RedisConnection: `initializing.catch(err => this.emit('error', err))`).
    if (isReady(connection)) create();
    else connection.once('ready', create);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.connection) return;
    await endIfNotReady(this.connection, END_WAIT_MS);
    // Lets the running jobs finish (the bound is stopAll's).
    await this.worker?.close();
    this.connection.disconnect();
  }

  kill(): void {
    this.connection?.disconnect();
  }
}

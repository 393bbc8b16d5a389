/**
 * The monitor at a location other than `local`: one job scheduler per target
 * probed from here (`probe-<target>` in the location's `monitor` queue,
 * jobs/locations.ts) and a worker that probes and returns the outcome. The
 * state machine and the alerts stay where Slack is (monitor/location-probes.ts
 * reads the outcomes); a location only probes.
 */
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueRedis } from '../jobs/connections.js';
import { MonitorQueue } from '../jobs/monitor-queue.js';
import { tickTime } from '../jobs/monitor-worker.js';
import { createLocationProbeWorker, type LocationRunnerDeps, type LocationWorkerOptions } from '../jobs/location-worker.js';
import type { LocationProbeJob } from '../jobs/location-jobs.js';
import { WorkerComponent } from './worker.js';

const SYNC_RETRY_MS = 5000;

export interface LocationMonitorOptions {
  redisUrl: QueueRedis;
  worker: Omit<LocationWorkerOptions, 'connection'>;
  deps: LocationRunnerDeps;
  /** The monitored targets probed from this location. */
  targets: string[];
  intervalSeconds: number;
}

export class LocationMonitorComponent extends WorkerComponent {
  private queue: MonitorQueue | undefined;
  private syncing: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly o: LocationMonitorOptions) {
    super('location monitor', o.redisUrl, (connection): Worker | undefined => (o.targets.length > 0
      ? createLocationProbeWorker({ ...o.worker, connection }, o.deps, (job: Job<LocationProbeJob>) => tickTime(job))
      : undefined), o.deps.log);
  }

  protected override opened(connection: Redis): void {
    this.queue = new MonitorQueue(connection, this.o.worker.prefix);
  }

  protected override connectionReady(): void {
    if (this.stopping) return;
    this.syncing ??= this.sync().finally(() => { this.syncing = undefined; });
  }

  private async sync(): Promise<void> {
    const { o } = this;
    try {
      const r = await this.queue!.sync(o.targets, o.intervalSeconds * 1000);
      if (r.upserted.length > 0 || r.removed.length > 0) o.deps.log.log('info', 'location monitor schedule updated', { location: o.deps.location, targets: o.targets.length, removed: r.removed });
    } catch (err) {
      if (this.stopping) return;
      o.deps.log.log('warn', 'location monitor schedule not updated yet: retrying', { error: (err as Error).message });
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.connectionReady(), SYNC_RETRY_MS);
      this.retry.unref();
    }
  }

  protected override stopStarted(): void {
    clearTimeout(this.retry);
  }

  protected override async workerClosed(): Promise<void> {
    await this.syncing?.catch(() => undefined);
    await this.queue?.close().catch(() => undefined);
  }
}

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
import { ScheduleSync } from './schedule-sync.js';
import { WorkerComponent } from './worker.js';

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
  private readonly schedule: ScheduleSync;

  constructor(private readonly o: LocationMonitorOptions) {
    super('location monitor', o.redisUrl, (connection): Worker | undefined => (o.targets.length > 0
      ? createLocationProbeWorker({ ...o.worker, connection }, o.deps, (job: Job<LocationProbeJob>) => tickTime(job))
      : undefined), o.deps.log);
    this.schedule = new ScheduleSync(() => this.sync(), 'location monitor schedule', o.deps.log);
  }

  protected override opened(connection: Redis): void {
    this.queue = new MonitorQueue(connection, this.o.worker.prefix);
  }

  protected override connectionReady(): void {
    if (!this.stopping) this.schedule.run();
  }

  private async sync(): Promise<void> {
    const { o } = this;
    const r = await this.queue!.sync(o.targets, o.intervalSeconds * 1000);
    if (r.upserted.length > 0 || r.removed.length > 0) o.deps.log.log('info', 'location monitor schedule updated', { location: o.deps.location, targets: o.targets.length, removed: r.removed });
  }

  protected override stopStarted(): void {
    this.schedule.stop();
  }

  protected override async workerClosed(): Promise<void> {
    await this.schedule.settled();
    await this.queue?.close().catch(() => undefined);
  }
}

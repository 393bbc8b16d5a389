/**
 * The monitor at a location other than `local`: one job scheduler per shard of
 * the targets probed from here (`shard-<i>-of-<n>` in the location's `monitor`
 * queue, jobs/locations.ts, jobs/monitor-queue.ts) and a worker that probes a
 * shard's targets spread over the interval (monitor/batch.ts) and sends their
 * outcomes back in bulk: about once a second, the outcomes since the last
 * (BullMQ job progress, which the front end reads from the queue events), and
 * the rest as the job's return value. Outcomes only: up, code, a redacted
 * line — no credentials, no addresses beyond what the front end's config has.
 * The state machine and the alerts stay where Slack is
 * (monitor/location-probes.ts reads the outcomes); a location only probes.
 */
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueRedis } from '../jobs/connections.js';
import { MonitorQueue, splitShards, type BatchJobData } from '../jobs/monitor-queue.js';
import { createMonitorWorker } from '../jobs/monitor-worker.js';
import { probeHere, type LocationRunnerDeps, type LocationWorkerOptions } from '../jobs/location-worker.js';
import type { LocationProbeAnswer } from '../jobs/location-jobs.js';
import { batchSpanMs, Limit, runBatch } from '../monitor/batch.js';
import { DEFAULT_LAG_FRACTION, OVERLOADED_SHARE, processLoopLag, starved, timeoutClass } from '../monitor/loop-lag.js';
import { ScheduleSync } from './schedule-sync.js';
import { WorkerComponent } from './worker.js';

/** How often a running batch sends the outcomes it has gathered. */
export const ANSWER_EVERY_MS = 1000;

export interface LocationMonitorOptions {
  redisUrl: QueueRedis;
  worker: Omit<LocationWorkerOptions, 'connection'>;
  deps: LocationRunnerDeps;
  /** The monitored targets probed from this location. */
  targets: string[];
  intervalSeconds: number;
}

/** What a batch sends: as progress while it runs, as its return value at the end. */
export interface LocationBatchAnswer {
  location: string;
  answers: LocationProbeAnswer[];
}

export class LocationMonitorComponent extends WorkerComponent {
  private queue: MonitorQueue | undefined;
  private readonly schedule: ScheduleSync;

  constructor(private readonly o: LocationMonitorOptions) {
    super('location monitor', o.redisUrl, (connection): Worker | undefined => (o.targets.length > 0 ? locationBatchWorker(o, connection) : undefined), o.deps.log);
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
    if (r.upserted.length > 0 || r.removed.length > 0) o.deps.log.log('info', 'location monitor schedule updated', { location: o.deps.location, targets: o.targets.length, shards: r.shards, removed: r.removed.length });
  }

  protected override stopStarted(): void {
    this.schedule.stop();
  }

  protected override async workerClosed(): Promise<void> {
    await this.schedule.settled();
    await this.queue?.close().catch(() => undefined);
  }
}

function locationBatchWorker(o: LocationMonitorOptions, connection: Redis): Worker {
  const { deps } = o;
  const limit = new Limit(o.worker.concurrency);
  const spanMs = batchSpanMs(o.intervalSeconds * 1000, deps.timeoutMs);
  const split = new Map<number, string[][]>();
  const lag = processLoopLag();
  return createMonitorWorker({
    connection, prefix: o.worker.prefix, queue: o.worker.queue, name: o.worker.name, log: deps.log,
    ...(o.worker.stalls ? { stalls: o.worker.stalls } : {}),
    batch: async ({ shard, shards }: BatchJobData, tickAt: number, stopped: () => boolean, job: Job<BatchJobData>): Promise<LocationBatchAnswer> => {
      let shardsOf = split.get(shards);
      if (!shardsOf) split.set(shards, shardsOf = splitShards(o.targets, shards));
      const names = shardsOf[shard] ?? [];
      let pending: LocationProbeAnswer[] = [];
      let sending: Promise<unknown> = Promise.resolve();
      let inconclusive = 0;
      let counted = 0;
      const send = () => {
        if (pending.length === 0) return;
        const answers = pending;
        pending = [];
        sending = sending.then(() => job.updateProgress({ location: deps.location, answers } satisfies LocationBatchAnswer)).catch((err: Error) => {
          deps.log.log('warn', 'location probe outcomes not sent', { location: deps.location, count: answers.length, error: err.message });
        });
      };
      const timer = setInterval(send, ANSWER_EVERY_MS);
      try {
        await runBatch({
          names, tickAt, spanMs, limit, stopped,
          // The outcome's time is when the probe ran (the front end keeps only fresh ones), not the tick it belongs to:
          // a batch that ran late (its worker was stopped or busy) must not look older, or newer, than it is.
          // A timeout while this process's own loop was blocked (a starved location host) says nothing of the
          // target: sent as inconclusive, so the front end neither counts it nor takes this location for silent.
          run: async (name) => {
            const started = Date.now();
            const answer = await probeHere(deps, name, started);
            if (!answer.up && timeoutClass(answer.code) && starved(lag, started, Date.now(), deps.timeoutMs, DEFAULT_LAG_FRACTION)) {
              inconclusive += 1;
              pending.push({ ...answer, inconclusive: true });
              return;
            }
            counted += 1;
            pending.push(answer);
          },
          onError: (name, err) => deps.log.log('warn', 'location probe failed', { location: deps.location, target: name, error: err.message }),
        });
      } finally {
        clearInterval(timer);
      }
      if (inconclusive > 0) {
        deps.log.log('warn', inconclusive / (inconclusive + counted) >= OVERLOADED_SHARE
          ? 'location monitor overloaded: this process\'s event loop is blocked, its timed-out probes are sent as inconclusive'
          : 'location probes inconclusive: this process\'s event loop was blocked during them (sent as inconclusive, not failures)', { location: deps.location, shard, shards, inconclusive, counted });
      }
      await sending;
      return { location: deps.location, answers: pending };
    },
  });
}

/**
 * The BullMQ queue `diagnose` on the bot's own Redis.
 *
 * Keys: BullMQ names every key `<prefix>:<queue>:…`. With a prefix such as
 * `{redis-doctor}` the braces are a Redis Cluster hash tag ("only the
 * substring between { and } is hashed"), so all keys share one slot and
 * BullMQ's multi-key Lua scripts work on a cluster.
 *
 * Double submissions: the same target asked for twice from the same place
 * (a slash command typed or delivered twice in one channel) within
 * DEDUP_WINDOW_MS becomes one diagnosis. BullMQ deduplication keeps a key
 * `<prefix>:diagnose:de:<id>` for the window; a second add returns the first
 * job's id instead of a new job. The job id itself is derived from the
 * request's own id (Slack's `trigger_id`), so an exact redelivery of the same
 * request is also the same job.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TargetHistory } from '../engine/index.js';
import { withTimeout } from '../util/timeout.js';
import { isReady } from './connections.js';
import { CodedError } from '../util/errors.js';
import { originScope, type Origin } from './origin.js';

export const QUEUE_NAME = 'diagnose';
export const DEDUP_WINDOW_MS = 15_000;
/** Bounded: the add happens after the ack, but the fallback must start soon enough to be useful. */
const ADD_TIMEOUT_MS = 1000;
/** How long BullMQ keeps a failed job (JOB_OPTIONS.removeOnFail); the markers keyed by job id live as long. */
export const FAILED_JOB_KEEP_S = 7 * 24 * 3600;

/**
 * The reporter's checkpoint, saved in the job so a retry resumes instead of
 * telling twice (for a Slack thread: the parent message's ts and how many
 * findings are posted). Opaque here: only the origin's reporter reads it.
 */
export type ReportState = Record<string, string | number | boolean | undefined>;

/** Job data: references only; credentials are resolved by the worker from its own config. */
export interface DiagnoseJobData {
  /** A config target name or an admitted ad-hoc `host:port` (never a URL with a password). */
  input: string;
  origin: Origin;
  /** Who asked (a Slack user id), for the messages and the logs. */
  requestedBy?: string;
  requestedAt: number;
  state?: ReportState;
  /** What the monitor knows of the target's past (the last good probe), for the engine's confidence. */
  history?: TargetHistory;
  /** Run at this probe location (a config target's, issue #20) instead of here: the verifying diagnosis of a fix that ran there, an incident's. */
  at?: string;
}

/** Both queues' (`diagnose`, `remediate`). */
export const JOB_OPTIONS: JobsOptions = {
  // Transient failures (Slack 5xx, network) are retried twice: after 1 s, then 2 s (delay × 2^(retry-1)).
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: FAILED_JOB_KEEP_S, count: 1000 },
};

export class QueueDownError extends CodedError {
  override name = 'QueueDownError';
  /** `inFlight`: the add was sent and may still land (it timed out; the connection was up): the job id it had. */
  constructor(message: string, readonly inFlight?: string) {
    super('queue-down', message, true);
  }
}

/**
 * One add, bounded: QueueDownError when the queue Redis is not ready, or when
 * the add fails or times out (`inFlight`: the job id it may still land under).
 */
export async function boundedAdd<T>(redis: Redis, add: () => Promise<T>, what: string, inFlight?: string): Promise<T> {
  if (!isReady(redis)) throw new QueueDownError(`queue Redis is ${redis.status}`);
  try {
    return await withTimeout(add(), ADD_TIMEOUT_MS, what);
  } catch (err) {
    throw new QueueDownError((err as Error).message, inFlight);
  }
}

function digest(...parts: (string | undefined)[]): string {
  return createHash('sha256').update(parts.map((p) => p ?? '').join('\u0000')).digest('hex').slice(0, 24);
}

/** Same place (team, channel, thread) and target → same key: the unit a double submission collapses on. */
export function dedupKey(data: Pick<DiagnoseJobData, 'origin' | 'input'>): string {
  return digest(...originScope(data.origin), data.input);
}

/** `d-<hex>`: no ':' (BullMQ refuses it in custom ids) and never all digits. */
export function jobIdFor(requestId: string | undefined): string {
  return `d-${digest(requestId ?? randomBytes(16).toString('hex'))}`;
}

export interface Enqueued {
  jobId: string;
  /** An earlier job for the same channel and target is still within the window: this is it. */
  deduplicated: boolean;
}

export class DiagnoseQueue {
  readonly queue: Queue<DiagnoseJobData>;

  constructor(private readonly redis: Redis, readonly prefix: string) {
    this.queue = new Queue<DiagnoseJobData>(QUEUE_NAME, { connection: redis, prefix, defaultJobOptions: JOB_OPTIONS });
    this.queue.on('error', () => { /* reported by the connection's watcher (watchRedis) */ });
  }

  isUp(): boolean {
    return isReady(this.redis);
  }

  /** Throws QueueDownError when the queue Redis is not usable right now. */
  /** `requestId`: the request's own id (Slack's trigger_id), so a redelivery is the same job. */
  async enqueue(data: DiagnoseJobData, requestId?: string): Promise<Enqueued> {
    const jobId = jobIdFor(requestId);
    const job = await boundedAdd(
      this.redis,
      () => this.queue.add('diagnose', data, { jobId, deduplication: { id: dedupKey(data), ttl: DEDUP_WINDOW_MS } }),
      'adding the job', jobId,
    );
    const id = job.id ?? jobId;
    return { jobId: id, deduplicated: id !== jobId };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

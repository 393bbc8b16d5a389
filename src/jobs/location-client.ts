/**
 * The front end's side of probe locations (issue #20): who serves each
 * location (BullMQ's getWorkers: the workers connected to the location's
 * diagnose queue, by their CLIENT LIST names), when one was last seen, how
 * many jobs wait there, and one diagnosis at a location from the add to the
 * document. A location with no live worker is answered at once, before
 * anything is queued; one whose worker goes away while its job waits is
 * answered as soon as that is seen (its job removed), never a silent wait.
 * Every wait is bounded.
 *
 * `local` runs through the bot's own diagnose queue as a stored-only job
 * (origin `cli`): the local worker stores the document, this reads it.
 */
import { randomBytes } from 'node:crypto';
import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Diagnosis } from '../engine/index.js';
import type { Logger } from '../log.js';
import type { DiagnosisStore } from '../stores/diagnosis-store.js';
import { withTimeout } from '../util/timeout.js';
import { isReady } from './connections.js';
import { LOCAL_LOCATION, locationQueue, type QueueKind } from './locations.js';
import type { LocationAnswer, LocationDiagnoseJob } from './location-jobs.js';
import type { DiagnoseQueue } from './queue.js';

const LOOKUP_MS = 800;
const POLL_MS = 300;
/** How often a waiting job's location is checked for a live worker. */
const LIVENESS_EVERY_MS = 2000;
const KEEP_S = 3600;

/** How waiting for a location's job ended. */
export type JobWait =
  | { kind: 'done'; value: unknown; failedReason?: string }
  /** No worker serves the queue: the job was removed before any worker took it. */
  | { kind: 'gone'; reason: string }
  /** The deadline passed; `removed`: the job was taken out before it ran, `missing`: it never was in the queue, `active`: it may still run. */
  | { kind: 'timeout'; state: string };

export interface LocationStatus {
  location: string;
  /** Workers connected now; undefined when the queue Redis did not answer in time. */
  workers?: number;
  /** When a worker was last seen serving it (ms), if ever. */
  lastSeen?: number;
  /** Jobs waiting or running there. */
  depth?: number;
}

export interface LocationClientDeps {
  redis: Redis;
  prefix: string;
  local: DiagnoseQueue;
  store: DiagnosisStore;
  log: Logger;
  now?: () => number;
}

export class LocationClient {
  private readonly queues = new Map<string, Queue>();
  private readonly now: () => number;

  constructor(private readonly deps: LocationClientDeps) {
    this.now = deps.now ?? Date.now;
  }

  private get seenKey(): string {
    return `${this.deps.prefix}:locations:seen`;
  }

  /** The diagnose queue of `location` (made once; `local` is the bot's own). */
  queue(location: string): Queue {
    return this.queueOf(location, 'diagnose');
  }

  /** A queue of `location` (made once); `local`'s diagnose queue is the bot's own. */
  queueOf(location: string, kind: Exclude<QueueKind, 'monitor'>): Queue {
    if (location === LOCAL_LOCATION && kind === 'diagnose') return this.deps.local.queue;
    const key = `${kind}\u0000${location}`;
    let q = this.queues.get(key);
    if (!q) {
      const { prefix, name } = locationQueue(this.deps.prefix, location, kind);
      q = new Queue(name, { connection: this.deps.redis, prefix });
      q.on('error', () => { /* reported by the connection's watcher */ });
      this.queues.set(key, q);
    }
    return q;
  }

  /** Live workers, last seen and depth of each location; bounded, never throws. */
  async status(locations: readonly string[]): Promise<LocationStatus[]> {
    return Promise.all(locations.map((l) => this.statusOf(l)));
  }

  async statusOf(location: string): Promise<LocationStatus> {
    const q = this.queue(location);
    const [workers, depth] = await Promise.all([
      this.liveWorkers(location),
      withTimeout(q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused'), LOOKUP_MS, 'counting jobs')
        .then((c) => Object.values(c).reduce((a, b) => a + b, 0), () => undefined),
    ]);
    const lastSeen = workers && workers > 0 ? this.now() : await this.lastSeen(location);
    return { location, ...(workers !== undefined ? { workers } : {}), ...(lastSeen !== undefined ? { lastSeen } : {}), ...(depth !== undefined ? { depth } : {}) };
  }

  /** Workers connected to the location's diagnose (or remediate) queue now (undefined: could not tell); a live one is remembered as last seen. */
  async liveWorkers(location: string, kind: Exclude<QueueKind, 'monitor'> = 'diagnose'): Promise<number | undefined> {
    if (!isReady(this.deps.redis)) return undefined;
    try {
      const n = (await withTimeout(this.queueOf(location, kind).getWorkers(), LOOKUP_MS, 'listing workers')).length;
      if (n > 0) await withTimeout(this.deps.redis.hset(this.seenKey, location, String(this.now())), LOOKUP_MS, 'last seen').catch(() => undefined);
      return n;
    } catch {
      return undefined;
    }
  }

  async lastSeen(location: string): Promise<number | undefined> {
    const v = await withTimeout(this.deps.redis.hget(this.seenKey, location), LOOKUP_MS, 'last seen').catch(() => null);
    const n = Number(v);
    return v !== null && Number.isFinite(n) && n > 0 ? n : undefined;
  }

  /** Queues one diagnosis of a config target at `location`; the job id to wait on. */
  async submit(location: string, input: string, requestId?: string): Promise<string> {
    const requestedAt = this.now();
    if (location === LOCAL_LOCATION) {
      return (await this.deps.local.enqueue({ input, origin: { kind: 'cli' }, requestedAt }, requestId ? `${requestId}:${location}` : undefined)).jobId;
    }
    const jobId = `l-${randomBytes(12).toString('hex')}`;
    const data: LocationDiagnoseJob = { input, location, requestedAt };
    const job = await withTimeout(this.queue(location).add('diagnose', data, { jobId, attempts: 1, removeOnComplete: { age: KEEP_S }, removeOnFail: { age: KEEP_S } }), LOOKUP_MS * 2, 'adding the job');
    return job.id ?? jobId;
  }

  /**
   * The answer of a job queued by submit(), within `deadlineMs`: the document,
   * or why there is none (the location's worker refused it, went away, or took too long).
   */
  async result(location: string, jobId: string, deadlineMs: number): Promise<LocationAnswer> {
    const w = await this.waitFor(location, 'diagnose', jobId, deadlineMs);
    const fail = (reason: string): LocationAnswer => ({ ok: false, location, reason });
    if (w.kind === 'gone') return fail(w.reason);
    if (w.kind === 'timeout') return fail(`no answer from ${location} within ${Math.round(deadlineMs / 1000)} s`);
    if (w.failedReason !== undefined) return fail(`the worker at ${location} failed: ${w.failedReason.slice(0, 300)}`);
    return this.answerOf(location, jobId, w.value);
  }

  /**
   * Waits for a job of `location`'s `kind` queue to finish, within `deadlineMs`
   * (bounded polls). A job still waiting while no worker serves the queue is
   * removed and answered `gone` at once: removing a waiting job means no
   * worker ever took it. `timeout`: its state then (`active`: it may still run).
   */
  async waitFor(location: string, kind: Exclude<QueueKind, 'monitor'>, jobId: string, deadlineMs: number): Promise<JobWait> {
    const q = this.queueOf(location, kind);
    const end = this.now() + deadlineMs;
    let nextLiveness = this.now() + LIVENESS_EVERY_MS;
    for (let i = 0; i < 100_000 && this.now() < end; i++) {
      const job = await withTimeout(Job.fromId(q, jobId), LOOKUP_MS, 'reading the job').catch(() => undefined);
      if (job?.finishedOn) return { kind: 'done', value: job.returnvalue as unknown, ...(job.failedReason ? { failedReason: String(job.failedReason) } : {}) };
      if (this.now() >= nextLiveness) {
        nextLiveness = this.now() + LIVENESS_EVERY_MS;
        const state = job ? await withTimeout(job.getState(), LOOKUP_MS, 'job state').catch(() => 'unknown') : 'unknown';
        if (state !== 'active' && (await this.liveWorkers(location, kind)) === 0) {
          const removed = job ? await job.remove().then(() => true, () => false) : true;
          if (removed) return { kind: 'gone', reason: await this.noWorker(location) };
        }
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const job = await withTimeout(Job.fromId(q, jobId), LOOKUP_MS, 'reading the job').catch(() => undefined);
    if (job?.finishedOn) return { kind: 'done', value: job.returnvalue as unknown, ...(job.failedReason ? { failedReason: String(job.failedReason) } : {}) };
    const state = job ? await withTimeout(job.getState(), LOOKUP_MS, 'job state').catch(() => 'unknown') : 'missing';
    // Not taken by the deadline: removed, so it cannot run later (a job being run cannot be removed).
    if (job && state !== 'active' && (await job.remove().then(() => true, () => false))) return { kind: 'timeout', state: 'removed' };
    return { kind: 'timeout', state };
  }

  private async answerOf(location: string, jobId: string, value: unknown): Promise<LocationAnswer> {
    if (location === LOCAL_LOCATION) {
      const d = await this.deps.store.get(jobId).catch(() => undefined);
      return d ? { ok: true, diagnosis: { ...d, location } } : { ok: false, location, reason: 'the local diagnosis finished but its document is not stored' };
    }
    const a = value as Partial<LocationAnswer> | null;
    if (a && a.ok === true && a.diagnosis && typeof a.diagnosis === 'object') return { ok: true, diagnosis: { ...(a.diagnosis as Diagnosis), location } };
    if (a && a.ok === false && typeof a.reason === 'string') return { ok: false, location, reason: a.reason.slice(0, 400) };
    return { ok: false, location, reason: `the worker at ${location} answered something that is not a diagnosis` };
  }

  /** "no worker is serving eu-vpc (last seen 5 min ago)" / "(never seen)". */
  async noWorker(location: string): Promise<string> {
    const seen = await this.lastSeen(location);
    return `no worker is serving ${location} (${seen ? `last seen ${ago(this.now() - seen)} ago, ${new Date(seen).toISOString()}` : 'never seen'})`;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
  }
}

export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

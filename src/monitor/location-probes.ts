/**
 * The monitor across probe locations (issue #20): each location other than
 * `local` has one scheduler per shard of its targets in its own `monitor`
 * queue (components/location-monitor.ts); its worker probes a shard's
 * targets over the interval and sends their outcomes in bulk. Here, where the
 * incidents live:
 *
 *   - LocationProbeListener reads those outcomes from each location's queue
 *     events (a batch's progress, about once a second, and its return value)
 *     and keeps the latest per target and location in the queue Redis
 *     (`<prefix>:monitor:at:<target>`), one pipeline per batch answer;
 *   - combinedProbe() is the monitor's probe for a target probed from several
 *     locations: this process's own probe when `local` is one of them, and
 *     the latest fresh outcome of each other location. Down when any location
 *     sees it down, with a detail that says from where ("down from eu-vpc
 *     (ECONNREFUSED …); up from local"); up, and so recovering, only when
 *     every location that answered sees it up.
 *
 * One state machine and one incident per target, however many locations.
 * A location whose outcomes stop (its worker gone) is left out while stale,
 * not counted as down; a target none of whose locations answered is down
 * with code LOCATION-SILENT.
 */
import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DiagnoseTarget, UpOptions, UpResult } from '../engine/index.js';
import type { Config } from '../config/schema.js';
import { createWorkerRedis, type QueueRedis } from '../jobs/connections.js';
import { LOCAL_LOCATION, locationQueue, probeLocations } from '../jobs/locations.js';
import type { LocationProbeAnswer } from '../jobs/location-jobs.js';
import type { Component } from '../components/component.js';
import type { Logger } from '../log.js';
import { withTimeout } from '../util/timeout.js';

const READ_MS = 1000;
const MAX_DETAIL = 200;
const KEEP_S = 24 * 3600;

type ProbeFn = (target: DiagnoseTarget, options: UpOptions) => Promise<UpResult>;

/** A probe outcome from Redis (written by any process that read the events): checked field by field. */
export function parseAnswer(text: unknown): LocationProbeAnswer | undefined {
  if (typeof text !== 'string' || text.length > 4096) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  return checkAnswer(v);
}

/** At most this many outcomes are taken from one batch answer (a shard is about SHARD_SIZE targets). */
export const MAX_BATCH_ANSWERS = 2000;

/**
 * A location batch's outcomes (components/location-monitor.ts: a job's
 * progress or return value, already parsed by BullMQ): those from `location`,
 * each checked; anything else is dropped. Bounded in count.
 */
export function parseBatchAnswer(value: unknown, location: string): LocationProbeAnswer[] {
  const v = typeof value === 'string' ? safeParse(value) : value;
  const answers = (v as { answers?: unknown } | null)?.answers;
  if (!Array.isArray(answers)) {
    // A single outcome (a location worker of the per-target design).
    const one = checkAnswer(v);
    return one && one.location === location ? [one] : [];
  }
  const out: LocationProbeAnswer[] = [];
  for (let i = 0; i < answers.length && i < MAX_BATCH_ANSWERS; i++) {
    const a = checkAnswer(answers[i]);
    if (a && a.location === location) out.push(a);
  }
  return out;
}

function safeParse(text: string): unknown {
  if (text.length > MAX_BATCH_ANSWERS * 1024) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function checkAnswer(v: unknown): LocationProbeAnswer | undefined {
  const a = v as Partial<LocationProbeAnswer> | null;
  if (!a || typeof a.location !== 'string' || typeof a.target !== 'string' || typeof a.at !== 'number' || typeof a.up !== 'boolean') return undefined;
  return {
    location: a.location.slice(0, 63), target: a.target.slice(0, 63), at: a.at, up: a.up,
    ...(typeof a.code === 'string' ? { code: a.code.slice(0, 40) } : {}),
    ...(typeof a.detail === 'string' ? { detail: a.detail.slice(0, MAX_DETAIL) } : {}),
    ...(a.inconclusive === true ? { inconclusive: true as const } : {}),
  };
}

export class LocationProbeStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(target: string): string {
    return `${this.prefix}:monitor:at:${target}`;
  }

  async record(a: LocationProbeAnswer): Promise<void> {
    const key = this.key(a.target);
    await this.redis.multi().hset(key, a.location, JSON.stringify(a)).expire(key, KEEP_S).exec();
  }

  /** Many outcomes in one pipeline (a location batch's). */
  async recordAll(answers: readonly LocationProbeAnswer[]): Promise<void> {
    if (answers.length === 0) return;
    const pipe = this.redis.pipeline();
    for (const a of answers) {
      const key = this.key(a.target);
      pipe.hset(key, a.location, JSON.stringify(a)).expire(key, KEEP_S);
    }
    await withTimeout(pipe.exec(), READ_MS * 5, 'recording location probes');
  }

  async latest(target: string): Promise<LocationProbeAnswer[]> {
    const all = await withTimeout(this.redis.hgetall(this.key(target)), READ_MS, 'reading location probes');
    return Object.values(all).map(parseAnswer).filter((a): a is LocationProbeAnswer => a !== undefined);
  }
}

/** The code of a target none of whose locations answered lately. */
export const LOCATION_SILENT = 'LOCATION-SILENT';
/** The code of a target whose locations answered lately, but only with probes starved by their own host (inconclusive). */
export const LOCATION_INCONCLUSIVE = 'LOCATION-INCONCLUSIVE';

/** Monitored targets probed from other locations only (no `local` in probeFrom): counted as their answers arrive. */
export function locationOnlyTargets(config: Config, monitored: readonly string[]): Set<string> {
  const targets = new Map(config.targets.map((t) => [t.name, t]));
  return new Set(monitored.filter((n) => {
    const t = targets.get(n);
    return t !== undefined && !probeLocations(t).includes(LOCAL_LOCATION);
  }));
}

/** Arrivals evaluated at once, at most (a batch answer holds up to a shard's outcomes). */
const EVALUATE_AT_ONCE = 50;

/**
 * The front end's evaluation of the location-only targets whose outcomes just
 * arrived: each one ticked with its probe time (the location's), in chunks of
 * EVALUATE_AT_ONCE. Every `local` worker reads the same events; the tick's
 * compare-and-set counts an outcome once however many do.
 */
export function evaluateArrivals(locationOnly: ReadonlySet<string>, tick: (name: string, tickAt: number, opts: { probedAt: number }) => Promise<unknown>, log: Logger): (answers: LocationProbeAnswer[]) => Promise<void> {
  return async (answers) => {
    // An inconclusive outcome (a starved location) is kept as the location's latest — it is alive — but not counted.
    const due = answers.filter((a) => locationOnly.has(a.target) && !a.inconclusive);
    for (let i = 0; i < due.length; i += EVALUATE_AT_ONCE) {
      await Promise.all(due.slice(i, i + EVALUATE_AT_ONCE).map((a) => tick(a.target, a.at, { probedAt: a.at }).catch((err: Error) => {
        log.log('warn', 'location probe outcome not evaluated', { target: a.target, location: a.location, error: err.message });
      })));
    }
  };
}

/** Pure: one outcome from each location's (local: this process's probe; others: the fresh ones). */
export function combine(where: readonly string[], local: UpResult | undefined, remote: readonly LocationProbeAnswer[], now: number, maxAgeMs: number, durationMs: number): UpResult {
  const seen: { location: string; up: boolean; code?: string; detail?: string }[] = [];
  const starvedAt: string[] = [];
  for (const l of where) {
    if (l === LOCAL_LOCATION) {
      if (local) seen.push({ location: l, up: local.up, ...(local.code ? { code: local.code } : {}), ...(local.detail ? { detail: local.detail } : {}) });
      continue;
    }
    const a = remote.find((r) => r.location === l);
    if (a && now - a.at <= maxAgeMs) {
      if (a.inconclusive) starvedAt.push(l);
      else seen.push(a);
    }
  }
  const stale = where.filter((l) => !seen.some((s) => s.location === l) && !starvedAt.includes(l));
  const staleNote = stale.length > 0 ? `; no recent probe from ${stale.join(', ')}` : '';
  if (seen.length === 0 && starvedAt.length > 0) {
    return { up: false, step: 'tcp', code: LOCATION_INCONCLUSIVE, detail: `only inconclusive probes lately: the host of ${starvedAt.join(', ')} is starved`, durationMs };
  }
  if (seen.length === 0) return { up: false, step: 'tcp', code: LOCATION_SILENT, detail: `no location has probed it recently (${where.join(', ')})`, durationMs };
  const down = seen.filter((s) => !s.up);
  const up = seen.filter((s) => s.up);
  if (down.length === 0) return { up: true, step: 'redis', ...(local?.address ? { address: local.address } : {}), durationMs };
  const downText = down.map((s) => `${s.location}${s.code || s.detail ? ` (${[s.code, s.detail].filter(Boolean).join(': ').slice(0, 120)})` : ''}`).join(', ');
  return {
    up: false,
    step: local && !local.up ? local.step : 'tcp',
    code: down[0]!.code ?? 'ERROR',
    detail: `down from ${downText}${up.length > 0 ? `; up from ${up.map((s) => s.location).join(', ')}` : ''}${staleNote}`.slice(0, 400),
    durationMs,
  };
}

/** The monitor's probe: plain for a target probed from `local` only, combined for one probed from other locations too. */
export function combinedProbe(deps: { config: Config; store: LocationProbeStore; probe: ProbeFn; intervalMs: () => number; now?: () => number }): ProbeFn {
  const now = deps.now ?? Date.now;
  // Looked up by name once, not searched on every tick (10,000 targets: 1,000 ticks a second).
  const where = new Map(deps.config.targets.map((t) => [t.name, probeLocations(t)]));
  const localOnly = [LOCAL_LOCATION];
  return async (target, options) => {
    const from = (target.name !== undefined ? where.get(target.name) : undefined) ?? localOnly;
    if (from.length === 1 && from[0] === LOCAL_LOCATION) return deps.probe(target, options);
    const started = now();
    const [local, remote] = await Promise.all([
      from.includes(LOCAL_LOCATION) ? deps.probe(target, options) : Promise.resolve(undefined),
      deps.store.latest(target.name ?? target.input).catch(() => []),
    ]);
    // Fresh: from this interval or the one before (a location's tick lands anywhere in the interval).
    return combine(from, local, remote, now(), 2.5 * deps.intervalMs(), now() - started);
  };
}

/** Reads each location's monitor outcomes (queue events) into the store. */
export class LocationProbeListener implements Component {
  readonly name = 'location probe listener';
  private readonly events: QueueEvents[] = [];
  private readonly connections: Redis[] = [];

  /**
   * `recorded`: called with each batch answer's outcomes once they are in the
   * store — the front end evaluates a location-only target as its answers
   * arrive, not at its own tick (an alert within one interval of the
   * failuresBeforeAlert-th failed probe, issue #20).
   */
  constructor(private readonly redisUrl: QueueRedis, private readonly prefix: string, private readonly locations: readonly string[], private readonly store: LocationProbeStore, private readonly log: Logger, private readonly recorded?: (answers: LocationProbeAnswer[]) => Promise<void>) {}

  async start(): Promise<void> {
    for (const location of this.locations) {
      if (location === LOCAL_LOCATION) continue;
      const q = locationQueue(this.prefix, location, 'monitor');
      const connection = createWorkerRedis(this.redisUrl);
      connection.on('error', () => undefined);
      this.connections.push(connection);
      const ev = new QueueEvents(q.name, { connection, prefix: q.prefix });
      ev.on('error', () => undefined);
      // A batch's outcomes: about once a second while it runs (progress), the rest when it ends.
      const record = (value: unknown) => {
        const answers = parseBatchAnswer(value, location);
        if (answers.length === 0) return;
        this.store.recordAll(answers).then(
          () => this.recorded?.(answers).catch((err: Error) => this.log.log('warn', 'location probes not evaluated', { location, count: answers.length, error: err.message })),
          (err: Error) => this.log.log('warn', 'location probes not recorded', { location, count: answers.length, error: err.message }),
        );
      };
      ev.on('progress', ({ data }) => record(data));
      ev.on('completed', ({ returnvalue }) => record(returnvalue));
      this.events.push(ev);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.events.map((e) => e.close().catch(() => undefined)));
    for (const c of this.connections) c.disconnect();
  }

  kill(): void {
    for (const c of this.connections) c.disconnect();
  }
}

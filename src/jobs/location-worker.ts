/**
 * The workers of a location other than `local` (REDIS_DOCTOR_LOCATION): the
 * diagnose queue and the monitor queue under the location's prefix
 * (jobs/locations.ts). They post nothing and store nothing outside their
 * queues' keys: a diagnosis is the job's return value, a probe's outcome
 * too; the front end reads them. A job this location cannot answer (the
 * target is not in its config, not probed from here, or its password is not
 * in this environment) completes with a clear reason instead of failing and
 * being retried, so the person who asked hears why at once.
 */
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ResolvedTarget } from '../config/resolve-target.js';
import type { Config } from '../config/schema.js';
import { Redactor, type DiagnoseOptions, type DiagnoseTarget, type Diagnosis, type UpOptions, type UpResult } from '../engine/index.js';
import type { Logger } from '../log.js';
import { probeLocations } from './locations.js';
import { probeAnswer, type LocationAnswer, type LocationDiagnoseJob, type LocationProbeAnswer, type LocationProbeJob } from './location-jobs.js';
import { stallSettings, type StallOptions } from './worker.js';

export interface LocationRunnerDeps {
  location: string;
  config: Config;
  resolve: (input: string) => ResolvedTarget;
  diagnose: (target: DiagnoseTarget, options?: DiagnoseOptions) => Promise<Diagnosis>;
  probe: (target: DiagnoseTarget, options: UpOptions) => Promise<UpResult>;
  timeoutMs: number;
  log: Logger;
}

const MAX_REASON = 300;

/** The resolved target, or why this location cannot probe it. */
/** Config targets by name, per config (a location's batch probes thousands a second: no search each time). */
const byName = new WeakMap<Config, Map<string, Config['targets'][number]>>();

export function resolveHere(deps: LocationRunnerDeps, input: string): { ok: true; resolved: ResolvedTarget } | { ok: false; reason: string } {
  let names = byName.get(deps.config);
  if (!names) byName.set(deps.config, names = new Map(deps.config.targets.map((t) => [t.name, t])));
  const target = names.get(input);
  if (!target) return { ok: false, reason: `the config of location ${deps.location} has no target "${input.slice(0, 63)}"` };
  if (!probeLocations(target).includes(deps.location)) return { ok: false, reason: `${input} is not probed from ${deps.location} in that location's config (probeFrom: ${probeLocations(target).join(', ')})` };
  try {
    return { ok: true, resolved: deps.resolve(input) };
  } catch (err) {
    return { ok: false, reason: `location ${deps.location} cannot resolve ${input}: ${(err as Error).message.slice(0, MAX_REASON)}` };
  }
}

export async function diagnoseHere(deps: LocationRunnerDeps, job: LocationDiagnoseJob): Promise<LocationAnswer> {
  const { location } = deps;
  if (job.location !== location) return { ok: false, location, reason: `a job meant for ${String(job.location).slice(0, 63)} reached the worker of ${location}` };
  const r = resolveHere(deps, String(job.input));
  if (!r.ok) return { ok: false, location, reason: r.reason };
  const redactor = new Redactor().add(r.resolved.options.credentials?.password);
  try {
    const diagnosis = await deps.diagnose(r.resolved.target, { ...r.resolved.options, timeoutMs: deps.timeoutMs });
    // The engine does not know where it runs; the worker records it.
    return { ok: true, diagnosis: { ...diagnosis, location } };
  } catch (err) {
    return { ok: false, location, reason: `the diagnosis failed at ${location}: ${redactor.redact((err as Error).message).slice(0, MAX_REASON)}` };
  }
}

export async function probeHere(deps: LocationRunnerDeps, target: string, at: number): Promise<LocationProbeAnswer> {
  const r = resolveHere(deps, target);
  if (!r.ok) return probeAnswer(deps.location, target, at, { up: false, code: 'LOCATION-CONFIG', detail: r.reason });
  const { credentials, tls } = r.resolved.options;
  const result = await deps.probe(r.resolved.target, { timeoutMs: deps.timeoutMs, ...(credentials ? { credentials } : {}), ...(tls ? { tls } : {}) });
  const redactor = new Redactor().add(credentials?.password);
  return probeAnswer(deps.location, target, at, { ...result, ...(result.detail ? { detail: redactor.redact(result.detail) } : {}) });
}

export interface LocationWorkerOptions {
  connection: Redis;
  prefix: string;
  queue: string;
  concurrency: number;
  log: Logger;
  stalls?: StallOptions;
  /** Names the worker in CLIENT LIST (getWorkers): host and pid, for `status`. */
  name: string;
}

export function createLocationDiagnoseWorker(o: LocationWorkerOptions, deps: LocationRunnerDeps): Worker<LocationDiagnoseJob, LocationAnswer> {
  const worker = new Worker<LocationDiagnoseJob, LocationAnswer>(o.queue, async (job: Job<LocationDiagnoseJob, LocationAnswer>) => {
    const answer = await diagnoseHere(deps, job.data);
    o.log.log('info', 'location diagnosis done', { jobId: job.id, location: deps.location, target: String(job.data.input).slice(0, 63), ...(answer.ok ? { verdict: answer.diagnosis.verdict, primaryCause: answer.diagnosis.primaryCause } : { reason: answer.reason }) });
    return answer;
  }, { connection: o.connection, prefix: o.prefix, concurrency: o.concurrency, name: o.name, ...stallSettings(o.stalls, 1) });
  worker.on('error', (err) => o.log.log('warn', 'location worker error', { error: err.message }));
  return worker;
}

export function createLocationProbeWorker(o: LocationWorkerOptions, deps: LocationRunnerDeps, tickTime: (job: Job<LocationProbeJob>) => number): Worker<LocationProbeJob, LocationProbeAnswer> {
  const worker = new Worker<LocationProbeJob, LocationProbeAnswer>(o.queue, async (job) => probeHere(deps, String(job.data.target), tickTime(job)), {
    connection: o.connection, prefix: o.prefix, concurrency: o.concurrency, name: o.name, ...stallSettings(o.stalls, 1),
  });
  worker.on('error', (err) => o.log.log('warn', 'location monitor worker error', { error: err.message }));
  return worker;
}

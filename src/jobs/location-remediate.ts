/**
 * Approved fixes at a probe location (issue #20): a remediation of a target
 * whose finding was made at a location other than `local` runs on that
 * location's worker, which alone holds the target's address and password.
 *
 * The front end keeps what it keeps today — the approval, its expiry, the
 * claim that makes a fix run at most once, the audit trail — and sends the
 * location only references and the approved command: the request id, the
 * target's config name, the remediation id, its argv (no secret: a
 * `CONFIG SET …` the approver saw), the action hash the approver approved,
 * who approved it, and a time after which the command must not be sent.
 *
 * The location's worker judges again with its OWN config: the target is in
 * it and probed from there, it has `fixes: automatic` there too, the command
 * has an allowed shape for that remediation id, and the action hash of the
 * target as the location resolves it is the approved one. Anything else is
 * `refused` with nothing sent. Its answer is the job's return value.
 *
 * At most once across the queue: the front end claims `running` before it
 * queues the job; the job has one attempt and its worker's stalled check
 * fails it instead of running it again (maxStalledCount 0), so a worker
 * killed mid-fix ends `unknown` (it may have run), never a second send; a job
 * not taken by its `sendBy` is removed (or refused by the worker) and ends
 * `failed` with nothing sent.
 */
import { Worker, type Job } from 'bullmq';
import type { Config, TargetConfig } from '../config/schema.js';
import { Redactor } from '../engine/index.js';
import type { ApprovalRequest } from '../stores/approval-store.js';
import type { DiagnosisStore } from '../stores/diagnosis-store.js';
import { withTimeout } from '../util/timeout.js';
import type { LocationClient } from './location-client.js';
import { resolveHere, type LocationRunnerDeps, type LocationWorkerOptions } from './location-worker.js';
import { LOCAL_LOCATION, probeLocations } from './locations.js';
import { actionHash, allowedCommand } from './remediation-action.js';
import { cut, settleSend, type SettledOutcome } from './run-remediation.js';
import { TargetSession } from './target-session.js';
import { stallSettings } from './worker.js';

/** One approved fix for a location's worker: references and the approved command only. */
export interface LocationFixJob {
  requestId: string;
  /** The config target name (the location resolves it with its own config and environment). */
  target: string;
  /** The remediation id (its command's allowed shape is checked again at the location). */
  remediation: string;
  argv: string[];
  /** What the approver approved (target + argv), as the front end recorded it. */
  actionHash: string;
  approvedBy: string;
  location: string;
  /** Epoch ms: the worker sends nothing after this (the front end has stopped waiting by then). */
  sendBy: number;
}

/** What happened at the location: sent (applied | failed | unknown) or not (refused | not-sent). */
export interface LocationFixAnswer {
  location: string;
  outcome: SettledOutcome | 'refused' | 'not-sent';
  sent: boolean;
  reply?: string;
  reason?: string;
}

export interface LocationFixDeps extends LocationRunnerDeps {
  connectMs: number;
  commandMs: number;
  settleMs?: number;
  now?: () => number;
}

const MAX_REASON = 300;

function entryOf(config: Config, name: string): TargetConfig | undefined {
  return config.targets.find((t) => t.name === name);
}

/** The location's side: its own policy, then the command once. Never throws. */
export async function fixHere(deps: LocationFixDeps, job: LocationFixJob): Promise<LocationFixAnswer> {
  const { location } = deps;
  const now = deps.now ?? Date.now;
  const refuse = (reason: string): LocationFixAnswer => ({ location, outcome: 'refused', sent: false, reason: reason.slice(0, MAX_REASON) });
  const notSent = (reason: string): LocationFixAnswer => ({ location, outcome: 'not-sent', sent: false, reason: reason.slice(0, MAX_REASON) });
  if (job.location !== location) return refuse(`a fix meant for ${String(job.location).slice(0, 63)} reached the worker of ${location}`);
  const name = String(job.target);
  const r = resolveHere(deps, name);
  if (!r.ok) return refuse(r.reason);
  const entry = entryOf(deps.config, name)!;
  if (entry.fixes !== 'automatic') return refuse(`the config of location ${location} has \`fixes: ${entry.fixes ?? 'guided'}\` for ${name}: a location runs only the fixes its own config allows`);
  if (entry.sentinelMaster) return refuse('Sentinel targets are not changed automatically: apply it on the primary');
  const argv = Array.isArray(job.argv) ? job.argv.map(String) : [];
  const allowed = allowedCommand({ id: String(job.remediation), redisCommand: argv });
  if (!allowed) return refuse(`its command is not one redis-doctor sends for ${String(job.remediation).slice(0, 63)}`);
  if (actionHash(r.resolved.target, allowed) !== job.actionHash) {
    return refuse(`${name} as location ${location} resolves it (${r.resolved.target.host}:${r.resolved.target.port}), or the command, is not the one that was approved`);
  }
  if (now() > job.sendBy) return notSent(`taken after its deadline (${new Date(job.sendBy).toISOString()}): not sent`);
  const redactor = new Redactor().add(r.resolved.options.credentials?.password);
  let session: TargetSession;
  try {
    session = await TargetSession.open(r.resolved, { connectMs: deps.connectMs, commandMs: deps.commandMs });
  } catch (err) {
    return notSent(`not sent: ${redactor.redact((err as Error).message)}`);
  }
  try {
    if (now() > job.sendBy) return notSent(`connected after its deadline (${new Date(job.sendBy).toISOString()}): not sent`);
    const result = await session.send(allowed);
    const { outcome, text } = await settleSend(session, allowed, result, deps.settleMs ?? 10_000);
    return {
      location, outcome, sent: true,
      ...(text !== undefined ? { reply: cut(redactor.redact(text)) } : {}),
      ...(result.kind === 'lost' ? { reason: `sent at ${location}, but ${redactor.redact(result.reason)}: it may have run; it is not sent again`.slice(0, MAX_REASON) } : {}),
    };
  } finally {
    session.close();
  }
}

/** The location's `remediate` queue: one attempt, a stalled job failed (never run twice). */
export function createLocationRemediateWorker(o: LocationWorkerOptions, deps: LocationFixDeps): Worker<LocationFixJob, LocationFixAnswer> {
  const worker = new Worker<LocationFixJob, LocationFixAnswer>(o.queue, async (job: Job<LocationFixJob, LocationFixAnswer>) => {
    const answer = await fixHere(deps, job.data);
    o.log.log('info', 'location remediation done', { jobId: job.id, location: deps.location, target: String(job.data.target).slice(0, 63), requestId: String(job.data.requestId).slice(0, 40), outcome: answer.outcome, sent: answer.sent, ...(answer.reason ? { reason: answer.reason } : {}) });
    return answer;
  }, { connection: o.connection, prefix: o.prefix, concurrency: o.concurrency, name: o.name, ...stallSettings({ ...o.stalls, maxStalledCount: 0 }, 0) });
  worker.on('error', (err) => o.log.log('warn', 'location remediate worker error', { error: err.message }));
  return worker;
}

/** A location's answer from the queue (any process could have written it): checked field by field. */
export function parseFixAnswer(location: string, v: unknown): LocationFixAnswer | undefined {
  const a = v as Partial<LocationFixAnswer> | null;
  const outcomes = ['applied', 'failed', 'unknown', 'refused', 'not-sent'];
  if (!a || typeof a !== 'object' || typeof a.outcome !== 'string' || !outcomes.includes(a.outcome) || typeof a.sent !== 'boolean') return undefined;
  // Nothing is "not sent" that says it was sent, nor "applied" that says it was not.
  const sentOutcome = a.outcome === 'applied' || a.outcome === 'failed' || a.outcome === 'unknown';
  if (sentOutcome !== a.sent) return undefined;
  return {
    location, outcome: a.outcome as LocationFixAnswer['outcome'], sent: a.sent,
    ...(typeof a.reply === 'string' ? { reply: cut(a.reply) } : {}),
    ...(typeof a.reason === 'string' ? { reason: a.reason.slice(0, MAX_REASON) } : {}),
  };
}

/** The front end's side: where a fix runs, whether a worker serves it, and one fix there from the add to the answer. */
export interface RemoteFixes {
  /** `local` (the front end's remediate worker runs it as before) or another location. */
  where(request: ApprovalRequest): Promise<string>;
  /** Workers serving the location's remediate queue now (undefined: cannot tell). */
  live(location: string): Promise<number | undefined>;
  /** "no worker is serving eu-vpc (last seen …)". */
  noWorker(location: string): Promise<string>;
  /** Queues the fix and waits (bounded) for what happened; never throws. */
  send(job: Omit<LocationFixJob, 'sendBy'>): Promise<LocationFixAnswer>;
}

export interface LocationFixesDeps {
  client: LocationClient;
  config: Config;
  diagnoses: Pick<DiagnosisStore, 'get'>;
  /** How long a queued fix may wait for the location's worker before it is not sent. */
  sendWithinMs: number;
  /** How long after sendBy the front end waits for the answer (the command's reply and a BGSAVE's end). */
  replyWithinMs: number;
  now?: () => number;
}

const ADD_MS = 2000;

export class LocationFixes implements RemoteFixes {
  private readonly now: () => number;

  constructor(private readonly deps: LocationFixesDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Where the finding was made: the location of the stored diagnosis the fix
   * was asked from, when the target is still probed from there; otherwise
   * `local` when it is probed from `local`, else its first probeFrom location.
   */
  async where(request: ApprovalRequest): Promise<string> {
    const entry = request.target.name ? entryOf(this.deps.config, request.target.name) : undefined;
    if (!entry) return LOCAL_LOCATION;
    const from = probeLocations(entry);
    const d = await withTimeout(this.deps.diagnoses.get(request.diagnosisId), ADD_MS, 'reading the diagnosis').catch(() => undefined);
    if (d?.location && from.includes(d.location)) return d.location;
    return from.includes(LOCAL_LOCATION) ? LOCAL_LOCATION : from[0]!;
  }

  live(location: string): Promise<number | undefined> {
    return this.deps.client.liveWorkers(location, 'remediate');
  }

  noWorker(location: string): Promise<string> {
    return this.deps.client.noWorker(location);
  }

  async send(j: Omit<LocationFixJob, 'sendBy'>): Promise<LocationFixAnswer> {
    const { client } = this.deps;
    const job: LocationFixJob = { ...j, sendBy: this.now() + this.deps.sendWithinMs };
    const jobId = `x-${j.requestId}`;
    const notSent = (reason: string): LocationFixAnswer => ({ location: j.location, outcome: 'not-sent', sent: false, reason });
    let addError: string | undefined;
    try {
      await withTimeout(client.queueOf(j.location, 'remediate').add('remediate', job, { jobId, attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } }), ADD_MS, 'adding the fix');
    } catch (err) {
      // It may still land (a stalled queue Redis): not judged before its sendBy has passed — after it, a
      // landed job is refused by the worker, so "not found" then means it never ran.
      addError = (err as Error).message;
      await new Promise((r) => setTimeout(r, Math.max(0, job.sendBy - this.now()) + 1000));
    }
    const w = await client.waitFor(j.location, 'remediate', jobId, job.sendBy - this.now() + this.deps.replyWithinMs);
    if (w.kind === 'gone') return notSent(`not sent: ${w.reason}; the job was taken back before any worker took it`);
    if (w.kind === 'timeout') {
      if (w.state === 'removed' || w.state === 'missing') return notSent(`not sent: no worker at ${j.location} took it in time${addError ? ` (queueing it failed: ${addError.slice(0, 120)})` : ''}`);
      return { location: j.location, outcome: 'unknown', sent: true, reason: `no answer from ${j.location} in time (the job is ${w.state}): it may have run; it is not sent again` };
    }
    if (w.failedReason !== undefined) {
      return { location: j.location, outcome: 'unknown', sent: true, reason: `the worker at ${j.location} stopped while running it (${w.failedReason.slice(0, 150)}): it may have run; it is not sent again` };
    }
    return parseFixAnswer(j.location, w.value)
      ?? { location: j.location, outcome: 'unknown', sent: true, reason: `the worker at ${j.location} answered something that is not an outcome: it may have run; it is not sent again` };
  }
}

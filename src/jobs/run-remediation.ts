/**
 * One remediation job: an approved request, its one Redis command sent at
 * most once, the outcome recorded, told, and verified by a fresh diagnosis
 * in the same thread.
 *
 * At most once, by construction (the ledger, stores/approval-store.ts):
 *  1. policy again, with this worker's config: the target still has
 *     `fixes: automatic`, the command has an allowed shape, and the action
 *     hash (target + argv) is the one the approver approved;
 *  2. connect and authenticate — failures here sent nothing: the job throws
 *     and BullMQ retries it (a wrong password or certificate fails it at once);
 *  3. claim: approved → running, one atomic script, before a byte is written;
 *     only one job attempt on one worker can win it;
 *  4. write the command once, await one reply (bounded), record
 *     applied | failed | unknown.
 * A job that finds `running` (its worker died between 3 and 4, or BullMQ
 * gave up on it) must not send again: it records `unknown` and says so.
 * Failures after 4 (telling Slack) are retried too, and find the outcome
 * in the ledger instead of running anything.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/schema.js';
import { Redactor } from '../engine/index.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { ApprovalStore, Ledger } from '../stores/approval-store.js';
import type { RequestState } from '../stores/remediation-states.js';
import { CodedError } from '../util/errors.js';
import type { RemoteFixes } from './location-remediate.js';
import { LOCAL_LOCATION } from './locations.js';
import type { Checkpoint } from './diagnosis-report.js';
import type { Dispatcher } from './dispatcher.js';
import type { Origin } from './origin.js';
import type { ReportState } from './queue.js';
import type { RemediateJobData } from './remediate-queue.js';
import { actionHash, planFor } from './remediation-action.js';
import type { RemediationReporter, RemediationReporters } from './remediation-report.js';
import type { TargetResolver } from './run-diagnosis.js';
import { TargetConnectError, TargetSession, type SendResult } from './target-session.js';

export class RemediationJobError extends CodedError {
  override name = 'RemediationJobError';
  constructor(message: string) {
    super('remediation', message);
  }
}

export interface RemediationRunnerDeps {
  approvals: ApprovalStore;
  config: Config;
  /** Config name → engine target and options, with this worker's own config and environment. */
  resolve: TargetResolver;
  reporters: RemediationReporters;
  /** Queues the verifying re-diagnosis (falls back to this process when the queue is down). */
  dispatcher: Dispatcher;
  metrics: Metrics;
  log: Logger;
  /** Bound for connecting and AUTH, and for the command's reply. */
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** Fixes of targets whose finding was made at another probe location run there (location-remediate.ts). */
  remote?: RemoteFixes;
  /** How long to follow a BGSAVE until it ends (default 10 s). */
  settleMs?: number;
  now?: () => number;
}

const MAX_REPLY = 500;
/** The least time a fix's command gets for its reply (the target's timeout when longer). */
export const REMEDIATION_COMMAND_MS = 5000;

/** The audit's `by` for what a worker does. */
export const WORKER_ID = `worker:${hostname()}:${process.pid}`;

export type SettledOutcome = 'applied' | 'failed' | 'unknown';
/** The states a job tells as they are: the command's outcome is settled, or policy refused it. */
const TOLD_STATES: readonly RequestState[] = ['applied', 'failed', 'unknown', 'refused'];

export class RemediationRunner {
  private readonly now: () => number;

  constructor(private readonly deps: RemediationRunnerDeps) {
    this.now = deps.now ?? Date.now;
  }

  private reporterFor(origin: Origin): RemediationReporter {
    return this.deps.reporters[origin.kind];
  }

  /** One attempt of the job. Throws only when nothing was sent (retryable) or nothing may run (permanent). */
  async run(jobId: string, attempt: number, data: RemediateJobData, checkpoint: Checkpoint): Promise<Ledger> {
    const { approvals, log } = this.deps;
    let ledger = await approvals.get(data.requestId);
    if (!ledger) throw new RemediationJobError(`approval request ${data.requestId} is not stored (expired from the store?): nothing was run`);
    if (ledger.state === 'running') {
      ledger = await this.markUnknown(ledger, `an earlier attempt (${ledger.runner ?? 'unknown runner'}) claimed it and stopped before recording the reply: it may have run, and is not sent again`);
    } else if (ledger.state === 'approved' && ledger.plan === 'run') {
      const done = await this.execute(ledger, `${WORKER_ID}:${jobId}:${attempt}`);
      if ('notRun' in done) {
        // Nothing sent and nothing claimed: the approval stands, and an approver's click queues it again.
        log.log('warn', 'remediation not run: no worker at its location', { jobId, requestId: data.requestId, reason: done.notRun });
        await this.reporterFor(data.origin).notRun?.(done.ledger, done.notRun, { state: { ...data.state }, checkpoint, verifying: false });
        return done.ledger;
      }
      ledger = done;
    } else if (!TOLD_STATES.includes(ledger.state)) {
      throw new RemediationJobError(`approval request ${data.requestId} is ${ledger.state}${ledger.plan === 'steps' ? ' (guided)' : ''}: nothing to run`);
    }
    log.log('info', 'remediation job', { jobId, requestId: data.requestId, state: ledger.state, sent: ledger.sent ?? false });
    await this.tell(ledger, data, checkpoint);
    return ledger;
  }

  private async markUnknown(ledger: Ledger, reason: string): Promise<Ledger> {
    const t = await this.deps.approvals.transition(ledger.request.id, { to: 'unknown', now: this.now(), event: 'unknown', by: WORKER_ID, set: { reason, finishedAt: new Date(this.now()).toISOString() } });
    if (t.ok) this.deps.metrics.remediations.inc({ outcome: 'unknown' });
    return t.ledger ?? ledger;
  }

  private async endUnsent(ledger: Ledger, to: 'failed' | 'refused', reason: string): Promise<Ledger> {
    const t = await this.deps.approvals.transition(ledger.request.id, {
      to, now: this.now(), event: to, by: WORKER_ID, set: { sent: '0', reason, finishedAt: new Date(this.now()).toISOString() },
    });
    if (t.ok) this.deps.metrics.remediations.inc({ outcome: to });
    this.deps.log.log('warn', `remediation ${to}: nothing was sent`, { requestId: ledger.request.id, reason });
    return t.ledger ?? ledger;
  }

  private async execute(ledger: Ledger, runner: string): Promise<Ledger | { ledger: Ledger; notRun: string }> {
    const { approvals, config, metrics } = this.deps;
    const req = ledger.request;
    // Policy again, with this process's config: the click was judged with the web's.
    const plan = planFor(req.target, req.remediation, config);
    if (plan.plan !== 'run') return this.endUnsent(ledger, 'refused', `not run: ${plan.why}`);
    const where = this.deps.remote ? await this.deps.remote.where(req) : LOCAL_LOCATION;
    if (where !== LOCAL_LOCATION) return this.executeAt(where, ledger, plan.argv, `at:${where}:${runner}`);
    let resolved;
    try {
      resolved = this.deps.resolve(req.target.name!);
    } catch (err) {
      return this.endUnsent(ledger, 'refused', `not run: the target cannot be resolved (${(err as Error).message})`);
    }
    const redactor = new Redactor().add(resolved.options.credentials?.password);
    if (actionHash(resolved.target, plan.argv) !== ledger.actionHash) {
      return this.endUnsent(ledger, 'refused', 'not run: the target or the command is no longer the one that was approved (the config changed?)');
    }

    let session: TargetSession;
    try {
      session = await TargetSession.open(resolved, { connectMs: this.deps.connectTimeoutMs, commandMs: this.deps.commandTimeoutMs });
    } catch (err) {
      const message = redactor.redact((err as Error).message);
      if (err instanceof TargetConnectError && err.retryable) throw new TargetConnectError(`${message} (nothing was sent)`, true);
      return this.endUnsent(ledger, 'failed', `not sent: ${message}`);
    }
    try {
      // The claim is written before the command is: a crash after this point is `unknown`, never a second send.
      const claim = await approvals.transition(req.id, {
        to: 'running', now: this.now(), event: 'started', by: WORKER_ID,
        guard: { field: 'actionHash', value: ledger.actionHash! }, set: { runner, startedAt: new Date(this.now()).toISOString() },
      });
      if (!claim.ok) return claim.ledger ?? (await approvals.get(req.id)) ?? ledger;
      const result = await session.send(plan.argv);
      const { outcome, text } = await settleSend(session, plan.argv, result, this.deps.settleMs ?? 10_000);
      const fin = await approvals.transition(req.id, {
        to: outcome, now: this.now(), event: outcome, by: WORKER_ID, guard: { field: 'runner', value: runner },
        set: {
          sent: '1', finishedAt: new Date(this.now()).toISOString(),
          ...(text !== undefined ? { reply: cut(redactor.redact(text)) } : {}),
          ...(result.kind === 'lost' ? { reason: `sent, but ${redactor.redact(result.reason)}: it may have run; it is not sent again` } : {}),
        },
      });
      if (fin.ok) metrics.remediations.inc({ outcome });
      return fin.ledger ?? (await approvals.get(req.id)) ?? ledger;
    } finally {
      session.close();
    }
  }

  /**
   * The fix at another location: the claim here, the command there
   * (location-remediate.ts). A location nobody serves is answered at once and
   * the request is left approved (nothing claimed, nothing sent).
   */
  private async executeAt(where: string, ledger: Ledger, argv: string[], runner: string): Promise<Ledger | { ledger: Ledger; notRun: string }> {
    const { approvals, metrics } = this.deps;
    const remote = this.deps.remote!;
    const req = ledger.request;
    const live = await remote.live(where);
    if (live === undefined) throw new CodedError('location', `could not tell whether a worker serves ${where} (the queue Redis did not answer in time): nothing was sent`, true);
    if (live === 0) return { ledger, notRun: await remote.noWorker(where) };
    const claim = await approvals.transition(req.id, {
      to: 'running', now: this.now(), event: 'started', by: WORKER_ID,
      guard: { field: 'actionHash', value: ledger.actionHash! }, set: { runner, startedAt: new Date(this.now()).toISOString() },
    });
    if (!claim.ok) return claim.ledger ?? (await approvals.get(req.id)) ?? ledger;
    const answer = await remote.send({
      requestId: req.id, target: req.target.name!, remediation: req.remediation.id, argv, actionHash: ledger.actionHash!,
      approvedBy: ledger.decidedBy ?? '', location: where,
    });
    const to = answer.outcome === 'not-sent' ? 'failed' : answer.outcome;
    const reason = answer.reason && (answer.sent ? answer.reason : `${answer.outcome === 'refused' ? 'not run at' : 'not sent at'} ${where}: ${answer.reason}`);
    const fin = await approvals.transition(req.id, {
      to, now: this.now(), event: to, by: `${WORKER_ID}:at:${where}`, guard: { field: 'runner', value: runner },
      set: {
        sent: answer.sent ? '1' : '0', finishedAt: new Date(this.now()).toISOString(),
        ...(answer.reply !== undefined ? { reply: cut(answer.reply) } : {}),
        ...(reason ? { reason: cut(reason) } : {}),
      },
    });
    if (fin.ok) metrics.remediations.inc({ outcome: to });
    this.deps.log.log('info', 'remediation at a location', { requestId: req.id, location: where, outcome: answer.outcome, sent: answer.sent });
    return fin.ledger ?? (await approvals.get(req.id)) ?? ledger;
  }

  /** Tells the outcome, then queues the verifying re-diagnosis once (both checkpointed). */
  private async tell(ledger: Ledger, data: RemediateJobData, checkpoint: Checkpoint): Promise<void> {
    const state: ReportState = { ...data.state };
    const save: Checkpoint = async (s) => {
      Object.assign(state, s);
      await checkpoint({ ...state });
    };
    // Whenever the command was (or may have been) sent: the thread then shows what the server is like now.
    const verifying = ledger.sent === true || ledger.state === 'unknown';
    await this.reporterFor(data.origin).outcome(ledger, { state, checkpoint: save, verifying });
    if (verifying && !state.verifyQueued) {
      await this.verify(ledger, data.origin);
      await save({ verifyQueued: true });
    }
  }

  private async verify(ledger: Ledger, origin: Origin): Promise<void> {
    const req = ledger.request;
    // Where the fix ran (the runner records `at:<location>:…`): the verifying diagnosis runs there too.
    const at = /^at:([a-z0-9][a-z0-9-]*):/.exec(ledger.runner ?? '')?.[1];
    const heading = `Verifying after "${req.remediation.title}" ran (${ledger.state}${at ? ` at ${at}` : ''})`;
    const submitted = await this.deps.dispatcher.submit({
      ...(at ? { at } : {}),
      input: req.target.name ?? req.target.input,
      origin: origin.kind === 'slack' ? { ...origin, heading, verifies: req.id } : origin,
      ...(ledger.decidedBy ? { requestedBy: ledger.decidedBy } : {}),
      requestedAt: this.now(),
    }, `verify-${req.id}`);
    if (submitted.via === 'busy') this.deps.log.log('warn', 'verifying re-diagnosis not started: queue down and this process is busy', { requestId: req.id });
  }

  /** The end of a job that will not be retried: the ledger says why, and whoever asked is told. Never throws. */
  async reportFailure(data: RemediateJobData, reason: string): Promise<void> {
    try {
      let ledger = await this.deps.approvals.get(data.requestId);
      if (!ledger) return;
      if (ledger.state === 'approved' && ledger.plan === 'run') ledger = await this.endUnsent(ledger, 'failed', `not sent: ${reason}`);
      else if (ledger.state === 'running') ledger = await this.markUnknown(ledger, `the job ended while the command was in flight (${reason}): it may have run, and is not sent again`);
      if (!TOLD_STATES.includes(ledger.state)) return;
      await this.tell(ledger, data, async () => undefined);
    } catch (err) {
      this.deps.log.log('error', 'could not report the failed remediation job', { requestId: data.requestId, error: (err as Error).message });
    }
  }
}

/**
 * The outcome of the reply. BGSAVE answers "Background saving started"
 * before the save is done: follow it (INFO persistence, read-only, bounded)
 * so the outcome and the verifying diagnosis see the save's result. Shared
 * with the remediations a location's worker runs (location-remediate.ts).
 */
export async function settleSend(session: TargetSession, argv: readonly string[], result: SendResult, settleMs: number): Promise<{ outcome: SettledOutcome; text?: string }> {
  if (result.kind === 'lost') return { outcome: 'unknown' };
  if (!result.ok) return { outcome: 'failed', text: `-${result.text}` };
  if (argv[0] !== 'BGSAVE') return { outcome: 'applied', text: result.text };
  const deadline = Date.now() + settleMs;
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    const info = await session.read(['INFO', 'persistence']);
    if (info === undefined) break;
    if (/rdb_bgsave_in_progress:0/.test(info)) {
      const status = /rdb_last_bgsave_status:(\w+)/.exec(info)?.[1] ?? 'unknown';
      return { outcome: status === 'ok' ? 'applied' : 'failed', text: `${result.text}; rdb_last_bgsave_status:${status}` };
    }
    await sleep(100);
  }
  return { outcome: 'applied', text: `${result.text}; still saving when the bot stopped following it` };
}

export function cut(text: string): string {
  return text.length > MAX_REPLY ? `${text.slice(0, MAX_REPLY - 1)}…` : text;
}

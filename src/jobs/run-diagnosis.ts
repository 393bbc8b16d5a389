/**
 * One diagnosis job, from its data to a stored Diagnosis told to whoever asked.
 * Shared by the BullMQ worker and the in-process fallback used when the queue
 * Redis is down; what "telling" means is the origin's reporter
 * (diagnosis-report.ts). The stored diagnosis is its own checkpoint: a retry
 * that finds it does not probe again.
 */
import { Redactor, type DiagnoseOptions, type DiagnoseTarget, type Diagnosis, type TargetInfo } from '../engine/index.js';
import { CodedError } from '../util/errors.js';
import type { LocationAnswer } from './location-jobs.js';
import { LOCAL_LOCATION } from './locations.js';
import type { ResolvedTarget } from '../config/resolve-target.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { DiagnosisStore } from '../stores/diagnosis-store.js';
import type { Checkpoint, DiagnosisReporter, Reporters, ReportRun } from './diagnosis-report.js';
import { originChannel } from './origin.js';
import type { DiagnoseJobData } from './queue.js';

export type DiagnoseFn = (target: DiagnoseTarget, options?: DiagnoseOptions) => Promise<Diagnosis>;

/** Job input → engine input, with the worker's own config and environment; throws a CodedError when refused. */
export type TargetResolver = (input: string) => ResolvedTarget;

export interface RunnerDeps {
  reporters: Reporters;
  store: DiagnosisStore;
  metrics: Metrics;
  log: Logger;
  diagnose: DiagnoseFn;
  resolve: TargetResolver;
  timeoutMs: number;
  /** Evidence this process keeps about a target between diagnoses (the monitor's idle watch, by config target name). */
  historyFor?: (input: string) => DiagnoseOptions['history'];
  /** A diagnosis at another probe location (LocationClient submit + result, bounded): for jobs with `at`. */
  remote?: (location: string, input: string) => Promise<LocationAnswer>;
}

/** A job meant for another location that location did not answer (no worker, refused, too slow): why. */
export class LocationUnavailableError extends CodedError {
  override name = 'LocationUnavailableError';
  constructor(readonly location: string, message: string) {
    super('location', message);
  }
}

export class DiagnosisRunner {
  constructor(private readonly deps: RunnerDeps) {}

  private reporterFor(data: DiagnoseJobData): DiagnosisReporter {
    return this.deps.reporters[data.origin.kind] as DiagnosisReporter;
  }

  async run(id: string, data: DiagnoseJobData, checkpoint: Checkpoint, note?: string): Promise<Diagnosis> {
    const { store, log } = this.deps;
    const at = data.at && data.at !== LOCAL_LOCATION ? data.at : undefined;
    // At another location, that location resolves the target (this process may lack its password).
    const resolved = at ? undefined : this.deps.resolve(data.input);
    const target = resolved?.target ?? this.describe(data.input, at!);
    const report = this.reporterFor(data).open({ id, data, checkpoint, ...(note !== undefined ? { note } : {}) });
    await report.begin(target);

    let diagnosis = report.resumed ? await store.get(id).catch(() => undefined) : undefined;
    if (!diagnosis) {
      const kept = this.deps.historyFor?.(data.input);
      diagnosis = resolved ? await this.probe(resolved, report, kept ? { ...kept, ...data.history } : data.history) : await this.probeAt(at!, data.input, report);
      this.record(diagnosis);
      await store.save(id, diagnosis, originChannel(data.origin));
    }
    await report.finish(diagnosis);
    log.log('info', 'diagnosis posted', { jobId: id, target: target.input, verdict: diagnosis.verdict, primaryCause: diagnosis.primaryCause, durationMs: diagnosis.durationMs, ...(at ? { location: at } : {}) });
    return diagnosis;
  }

  /** The target as this process knows it, for the messages only (no credentials needed). */
  private describe(input: string, at: string): TargetInfo {
    try {
      return this.deps.resolve(input).target;
    } catch {
      return { input, name: input, host: `(resolved at ${at})`, port: 0, tls: false };
    }
  }

  /** The diagnosis at another location, through its queue (bounded); throws when that location gives none. */
  private async probeAt(location: string, input: string, report: ReportRun): Promise<Diagnosis> {
    try {
      if (!this.deps.remote) throw new LocationUnavailableError(location, `this process cannot reach location ${location}'s queue`);
      const a = await this.deps.remote(location, input);
      if (!a.ok) throw new LocationUnavailableError(location, a.reason);
      return { ...a.diagnosis, location };
    } finally {
      await report.stopProgress?.();
    }
  }

  /** The engine run itself, with progress reported until it ends. */
  private async probe(resolved: ResolvedTarget, report: ReportRun, history?: DiagnoseOptions['history']): Promise<Diagnosis> {
    // The engine keeps passwords out of what it returns (replaced in outside text where it enters, never
    // in the tool's own words: a password "redis" leaves "redis-cli" alone). An error's message is outside
    // text (a library's, a server's): redacted here.
    const redactor = new Redactor().add(resolved.options.credentials?.password);
    try {
      const d = await this.deps.diagnose(resolved.target, {
        ...resolved.options,
        timeoutMs: this.deps.timeoutMs,
        ...(history ? { history } : {}),
        ...(report.onProgress ? { onProgress: (e) => report.onProgress!(e) } : {}),
      });
      // The engine does not know where it runs: the worker records it (this runner serves `local`).
      return { ...d, location: 'local' };
    } catch (err) {
      // Its message is logged and shown to the requester as the failure reason.
      if (err instanceof Error) err.message = redactor.redact(err.message);
      throw err;
    } finally {
      await report.stopProgress?.();
    }
  }

  private record(d: Diagnosis): void {
    const { metrics } = this.deps;
    metrics.duration.observe({ verdict: d.verdict }, d.durationMs / 1000);
    for (const f of d.findings) metrics.causes.inc({ cause: f.cause });
  }

  /** The end of a job that will not be retried, told by its origin's reporter. */
  async reportFailure(data: DiagnoseJobData, reason: string, attempts: number): Promise<void> {
    await this.reporterFor(data).failure(data, reason, attempts);
  }
}

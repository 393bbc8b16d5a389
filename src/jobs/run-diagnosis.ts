/**
 * One diagnosis, from job data to a Slack thread. Shared by the BullMQ
 * worker and the in-process fallback used when the queue Redis is down.
 *
 * Order in Slack: parent message (progress while checks run) → parent edited
 * to the one-line verdict → one threaded reply per finding. Every post is
 * checkpointed (and the diagnosis is stored), so a retried job resumes where
 * the last attempt stopped and nothing is posted twice.
 */
import type { ResolvedTarget } from '../config/resolve-target.js';
import type { Config } from '../config/schema.js';
import type { DiagnoseOptions, DiagnoseTarget } from '../engine/options.js';
import { Redactor } from '../engine/redact.js';
import type { Diagnosis } from '../engine/types.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { renderFailure, renderFinding, renderProgress, renderResult } from '../slack/blocks.js';
import type { Reporter } from '../slack/reporter.js';
import { resolveForSlack } from '../slack/resolve.js';
import type { DiagnosisStore } from './diagnosis-store.js';
import { ProgressUpdater } from './progress-updater.js';
import type { DiagnoseJobData, JobProgressState } from './queue.js';

export type DiagnoseFn = (target: DiagnoseTarget, options?: DiagnoseOptions) => Promise<Diagnosis>;

export interface RunnerDeps {
  reporter: Reporter;
  store: DiagnosisStore;
  metrics: Metrics;
  log: Logger;
  diagnose: DiagnoseFn;
  config: Config;
  configPath?: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Minimum gap between two progress edits of the parent message. */
  progressIntervalMs?: number;
}

export type Checkpoint = (state: JobProgressState) => Promise<void>;

export class DiagnosisRunner {
  constructor(private readonly deps: RunnerDeps) {}

  async run(id: string, data: DiagnoseJobData, checkpoint: Checkpoint, note?: string): Promise<Diagnosis> {
    const { reporter, store, log } = this.deps;
    const state: JobProgressState = { ...data.state };
    const resumed = state.parentTs !== undefined;
    const save = () => checkpoint({ ...state });
    const resolved = resolveForSlack(data.input, this.deps.config, this.deps.env, this.deps.configPath);
    const target = resolved.target;
    const view = { requestedBy: data.requestedBy, note, heading: data.heading };

    if (!state.parentTs) {
      state.parentTs = await reporter.post(data.channel, renderProgress({ target, requestedBy: data.requestedBy, steps: [], note }), data.threadTs);
      await save();
    }
    const parentTs = state.parentTs;

    // The stored diagnosis is its own checkpoint: a retry finds it and does not probe again.
    let diagnosis = resumed ? await store.get(id).catch(() => undefined) : undefined;
    if (!diagnosis) {
      const progress = new ProgressUpdater(
        (steps) => reporter.update(data.channel, parentTs, renderProgress({ target, requestedBy: data.requestedBy, steps, note })),
        this.deps.progressIntervalMs ?? 1000,
        (err) => log.log('warn', 'progress update failed', { jobId: id, error: err.message }),
      );
      diagnosis = await this.probe(resolved, progress);
      this.record(diagnosis);
      await store.save(id, diagnosis);
    }

    // chat.update is idempotent: a retry may edit the verdict in again, harmlessly.
    await reporter.update(data.channel, parentTs, renderResult(diagnosis, view));

    const threadTs = data.threadTs ?? parentTs;
    for (let i = state.posted ?? 0; i < diagnosis.findings.length; i++) {
      await reporter.post(data.channel, renderFinding(diagnosis.findings[i]!, id), threadTs);
      state.posted = i + 1;
      await save();
    }
    log.log('info', 'diagnosis posted', { jobId: id, target: target.input, verdict: diagnosis.verdict, primaryCause: diagnosis.primaryCause, durationMs: diagnosis.durationMs });
    return diagnosis;
  }

  /** The engine run itself, with progress shown until it ends. */
  private async probe(resolved: ResolvedTarget, progress: ProgressUpdater): Promise<Diagnosis> {
    // The engine keeps passwords out of what it returns and throws; this is the second layer, for both.
    const redactor = new Redactor().add(resolved.options.credentials?.password);
    try {
      const d = await this.deps.diagnose(resolved.target, { ...resolved.options, timeoutMs: this.deps.timeoutMs, onProgress: progress.onEvent });
      return redactor.redactDeep(d);
    } catch (err) {
      // Its message is logged and shown in Slack as the failure reason.
      if (err instanceof Error) err.message = redactor.redact(err.message);
      throw err;
    } finally {
      await progress.stop();
    }
  }

  private record(d: Diagnosis): void {
    const { metrics } = this.deps;
    metrics.duration.observe({ verdict: d.verdict }, d.durationMs / 1000);
    for (const f of d.findings) metrics.causes.inc({ cause: f.cause });
  }

  /**
   * The end of a job that will not be retried: never silence. In the thread
   * when there is one (and the parent shows the failure too), else in the
   * channel, else through response_url to the person who asked.
   */
  async reportFailure(data: DiagnoseJobData, reason: string, attempts: number): Promise<void> {
    const { reporter, log } = this.deps;
    const message = renderFailure(data.input, reason, attempts);
    const parentTs = data.state?.parentTs;
    try {
      if (parentTs) {
        await reporter.update(data.channel, parentTs, message).catch((err: Error) => log.log('warn', 'could not mark the parent failed', { error: err.message }));
        await reporter.post(data.channel, message, data.threadTs ?? parentTs);
      } else {
        await reporter.post(data.channel, message, data.threadTs);
      }
    } catch (err) {
      log.log('warn', 'could not post the failure in the channel; answering through response_url', { error: (err as Error).message });
      const answered = await reporter.respond(data.responseUrl, message);
      if (!answered) log.log('error', 'diagnosis failure could not be reported to Slack', { input: data.input, channel: data.channel, reason });
    }
  }
}

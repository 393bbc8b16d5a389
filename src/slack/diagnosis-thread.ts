/**
 * A diagnosis asked for in Slack, told as a thread: the parent message
 * (progress while checks run) → the parent edited to the one-line verdict →
 * one threaded reply per finding. Every post is checkpointed in the job, so a
 * retried job resumes where the last attempt stopped and nothing is posted twice.
 */
import type { Diagnosis, Remediation, TargetInfo } from '../engine/index.js';
import type { DiagnosisReporter, ReportJob, ReportRun } from '../jobs/diagnosis-report.js';
import type { SlackOrigin } from '../jobs/origin.js';
import type { DiagnoseJobData } from '../jobs/queue.js';
import type { Logger } from '../log.js';
import { ProgressUpdater } from './progress-updater.js';
import type { Reporter } from './reporter.js';
import { renderFailure, renderFinding, renderProgress, renderResult } from './views/diagnosis.js';
import { address } from './views/elements.js';
import type { FixedParent } from './fixed-parent.js';
import type { ThreadButtons } from '../stores/thread-buttons.js';

/** What the thread has told so far (the job's ReportState). */
interface ThreadState {
  parentTs?: string;
  /** How many findings have been posted as thread replies. */
  posted?: number;
}

export interface DiagnosisThreadDeps {
  reporter: Reporter;
  log: Logger;
  /**
   * Whether a remediation of this target runs something once approved (planFor with this
   * process's config): its button asks for approval; otherwise it shows the steps at once.
   */
  runs?: (target: TargetInfo, r: Remediation) => boolean;
  /** A configured target's runbook and dashboard, shown on its diagnoses (monitor/routing.ts targetLinks). */
  links?: (target: TargetInfo) => { runbookUrl?: string; dashboardUrl?: string };
  /** Minimum gap between two progress edits of the parent message. */
  progressIntervalMs?: number;
  /** A verification's verdict edits the fixed diagnosis's parent too (fixed-parent.ts). */
  fixedParent?: FixedParent;
  /**
   * Findings with buttons posted into an existing thread (a re-check in an alert's thread) are
   * remembered here, so the incident's recovery takes their buttons away too (alert-sink.ts).
   */
  buttons?: ThreadButtons;
}

type SlackJob = ReportJob<SlackOrigin>;

class ThreadRun implements ReportRun {
  private readonly state: ThreadState;
  readonly resumed: boolean;
  private progress: ProgressUpdater | undefined;

  constructor(private readonly deps: DiagnosisThreadDeps, private readonly job: SlackJob) {
    this.state = { ...(job.data.state as ThreadState | undefined) };
    this.resumed = this.state.parentTs !== undefined;
  }

  private get origin(): SlackOrigin {
    return this.job.data.origin;
  }

  private save(): Promise<void> {
    return this.job.checkpoint({ ...this.state });
  }

  /** When this run began showing progress: the progress line says how long it has been going. */
  private startedAt = Date.now();

  private view(target: TargetInfo, steps: Parameters<typeof renderProgress>[0]['steps']) {
    return renderProgress({ target, requestedBy: this.job.data.requestedBy, steps, note: this.job.note, elapsedMs: Date.now() - this.startedAt });
  }

  async begin(target: TargetInfo): Promise<void> {
    const { reporter, log } = this.deps;
    this.startedAt = Date.now();
    if (!this.state.parentTs) {
      this.state.parentTs = await reporter.post(this.origin.channel, this.view(target, []), this.origin.threadTs);
      await this.save();
    }
    const parentTs = this.state.parentTs;
    this.progress = new ProgressUpdater(
      (steps) => reporter.update(this.origin.channel, parentTs, this.view(target, steps)),
      this.deps.progressIntervalMs ?? 1000,
      (err) => log.log('warn', 'progress update failed', { jobId: this.job.id, error: err.message }),
    );
  }

  onProgress(event: Parameters<ProgressUpdater['onEvent']>[0]): void {
    this.progress?.onEvent(event);
  }

  async stopProgress(): Promise<void> {
    await this.progress?.stop();
  }

  async finish(diagnosis: Diagnosis): Promise<void> {
    const { reporter } = this.deps;
    const { channel, threadTs, heading, verifies } = this.origin;
    const parentTs = this.state.parentTs!;
    // chat.update is idempotent: a retry may edit the verdict in again, harmlessly.
    await reporter.update(channel, parentTs, renderResult(diagnosis, { requestedBy: this.job.data.requestedBy, note: this.job.note, heading, verification: verifies !== undefined, ...(this.deps.links ? { links: this.deps.links(diagnosis.target) } : {}) }));
    // The thread's parent said what the fix was for; it now says whether it worked (best effort, never fails the job).
    if (verifies && threadTs) await this.deps.fixedParent?.verified(channel, threadTs, verifies, diagnosis);
    const thread = threadTs ?? parentTs;
    const runsOn = this.deps.runs;
    const runs = runsOn ? (r: Remediation) => runsOn(diagnosis.target, r) : undefined;
    for (let i = this.state.posted ?? 0; i < diagnosis.findings.length; i++) {
      const r = renderFinding(diagnosis.findings[i]!, this.job.id, { ...(runs ? { runs } : {}), target: diagnosis.target.name ?? address(diagnosis.target) });
      const ts = await reporter.post(channel, r, thread);
      if (threadTs && this.deps.buttons && r.blocks.some((b) => b.type === 'actions')) {
        await this.deps.buttons.add(channel, threadTs, ts, { text: r.text, blocks: r.blocks }).catch((err: Error) => this.deps.log.log('warn', 'could not remember a message with buttons', { error: err.message }));
      }
      this.state.posted = i + 1;
      await this.save();
    }
  }
}

export function diagnosisThreads(deps: DiagnosisThreadDeps): DiagnosisReporter<SlackOrigin> {
  return {
    open: (job) => new ThreadRun(deps, job),
    /**
     * In the thread when there is one (and the parent shows the failure too),
     * else in the channel, else through response_url to the person who asked.
     */
    async failure(data: DiagnoseJobData & { origin: SlackOrigin }, reason: string, attempts: number): Promise<void> {
      const { reporter, log } = deps;
      const { channel, threadTs, responseUrl } = data.origin;
      const message = renderFailure(data.input, reason, attempts);
      const parentTs = (data.state as ThreadState | undefined)?.parentTs;
      try {
        if (parentTs) {
          await reporter.update(channel, parentTs, message).catch((err: Error) => log.log('warn', 'could not mark the parent failed', { error: err.message }));
          await reporter.post(channel, message, threadTs ?? parentTs);
        } else {
          await reporter.post(channel, message, threadTs);
        }
      } catch (err) {
        log.log('warn', 'could not post the failure in the channel; answering through response_url', { error: (err as Error).message });
        const answered = await reporter.respond(responseUrl, message);
        if (!answered) log.log('error', 'diagnosis failure could not be reported to Slack', { input: data.input, channel, reason });
      }
    },
  };
}

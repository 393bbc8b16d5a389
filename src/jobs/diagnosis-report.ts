/**
 * How a diagnosis job tells its outcome: one reporter per origin kind (a Slack
 * thread, a monitor's alert, nothing at all for a stored-only run). The
 * runner calls them in a fixed order — begin, progress while the engine runs,
 * finish — and a reporter checkpoints what it has told, so a retried job
 * resumes instead of telling twice.
 */
import type { Diagnosis, ProgressEvent, TargetInfo } from '../engine/index.js';
import type { Origin, OriginKind } from './origin.js';
import type { DiagnoseJobData, ReportState } from './queue.js';

export type Checkpoint = (state: ReportState) => Promise<void>;

export interface ReportJob<O extends Origin = Origin> {
  id: string;
  data: DiagnoseJobData & { origin: O };
  checkpoint: Checkpoint;
  /** Shown with the result, e.g. that the queue was down and the run happened in the web process. */
  note?: string;
}

/** One run of one job. */
export interface ReportRun {
  /** An earlier attempt got far enough that the diagnosis may already be stored: do not probe again. */
  readonly resumed: boolean;
  /** Before the engine runs (e.g. the parent message saying what is being checked). */
  begin(target: TargetInfo): Promise<void>;
  /** Engine progress; the runner stops it (and waits for it to settle) before finish(). */
  onProgress?(event: ProgressEvent): void;
  stopProgress?(): Promise<void>;
  finish(diagnosis: Diagnosis): Promise<void>;
}

export interface DiagnosisReporter<O extends Origin = Origin> {
  open(job: ReportJob<O>): ReportRun;
  /** The end of a job that will not be retried: never silence. Never throws. */
  failure(data: DiagnoseJobData & { origin: O }, reason: string, attempts: number): Promise<void>;
}

export type Reporters = { [K in OriginKind]: DiagnosisReporter<Extract<Origin, { kind: K }>> };

/** For origins with nobody to tell: the diagnosis is stored and returned, nothing else. */
export const silentReporter: DiagnosisReporter = {
  open: (job) => ({
    resumed: job.data.state !== undefined,
    begin: () => job.checkpoint({ begun: true }),
    finish: async () => undefined,
  }),
  failure: async () => undefined,
};

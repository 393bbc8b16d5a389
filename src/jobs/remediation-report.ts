/**
 * How a remediation job tells its outcome: one reporter per origin kind (the
 * Slack thread of the approval request: src/slack/remediation-thread.ts).
 * The reporter checkpoints what it has told, so a job retried after a Slack
 * failure resumes instead of telling twice — and never runs the command
 * again: the ledger says it ran.
 */
import type { Ledger } from '../stores/approval-store.js';
import type { Checkpoint } from './diagnosis-report.js';
import type { OriginKind } from './origin.js';
import type { ReportState } from './queue.js';

export interface RemediationRun {
  /** What earlier attempts told (the job's checkpoint). */
  state: ReportState;
  checkpoint: Checkpoint;
  /** A verifying re-diagnosis will be queued into the thread after this. */
  verifying: boolean;
}

export interface RemediationReporter {
  /** Tells what the ledger says happened (applied, failed, unknown, refused). */
  outcome(ledger: Ledger, run: RemediationRun): Promise<void>;
  /** Nothing ran and the approval stands (no worker serves the fix's location): says so, and how to retry. */
  notRun?(ledger: Ledger, reason: string, run: RemediationRun): Promise<void>;
}

export type RemediationReporters = { [K in OriginKind]: RemediationReporter };

/** For origins with nobody to tell: the ledger and the audit trail hold the outcome. */
export const silentRemediationReporter: RemediationReporter = {
  outcome: async () => undefined,
};

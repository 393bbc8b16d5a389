/**
 * Keeps a diagnosis's parent message true after a fix: once the verifying
 * re-diagnosis has a verdict (or the fix failed without running one), the
 * parent — still showing the old verdict, 🟠 degraded — is edited
 * (chat.update) to say "fixed by <@approver>, was `memory-limit-reached`", or
 * that the fix did not help, above the verdict it was asked for.
 *
 * Only a diagnosis's own parent: an alert's parent is the monitor's, which
 * says resolved when the target answers again (monitor/incidents.ts).
 */
import type { Diagnosis } from '../engine/index.js';
import type { Logger } from '../log.js';
import type { Ledger } from '../stores/approval-store.js';
import type { Reporter } from './reporter.js';
import { renderResult, type FixView } from './views/diagnosis.js';

export interface FixedParentDeps {
  reporter: Pick<Reporter, 'update'>;
  approvals: { get(id: string): Promise<Ledger | undefined> };
  diagnoses: { get(id: string): Promise<Diagnosis | undefined> };
  log: Logger;
}

/** Incident diagnoses (monitor/incident.ts incidentDiagnosisId) live under an alert's parent, not a diagnosis's. */
const INCIDENT_DIAGNOSIS = /^m-[0-9a-f]{24}$/;

export class FixedParent {
  constructor(private readonly deps: FixedParentDeps) {}

  /** What the verifying re-diagnosis `after` of approval request `requestId` says of the fix. */
  static outcomeOf(after: Diagnosis): Pick<FixView, 'outcome' | 'detail'> {
    if (after.verdict === 'healthy') return { outcome: 'fixed' };
    const still = after.findings[0];
    return { outcome: 'not-fixed', ...(still ? { detail: `${still.title} (${still.cause})` } : {}) };
  }

  /** After the verifying re-diagnosis of request `requestId`, posted in the thread `threadTs` of `channel`. */
  async verified(channel: string, threadTs: string, requestId: string, after: Diagnosis): Promise<void> {
    const ledger = await this.deps.approvals.get(requestId).catch(() => undefined);
    await this.edit(ledger, channel, threadTs, FixedParent.outcomeOf(after));
  }

  /** The fix ended without running, or its command failed: nothing will verify it. */
  async failed(ledger: Ledger): Promise<void> {
    await this.edit(ledger, ledger.request.channel, ledger.request.threadTs, { outcome: 'failed', detail: ledger.reason ?? ledger.state });
  }

  private async edit(ledger: Ledger | undefined, channel: string, threadTs: string, result: Pick<FixView, 'outcome' | 'detail'>): Promise<void> {
    if (!ledger) return;
    const req = ledger.request;
    // The request must come from this very thread: a verification is never turned into someone else's edit.
    if (req.channel !== channel || req.threadTs !== threadTs || INCIDENT_DIAGNOSIS.test(req.diagnosisId)) return;
    const original = await this.deps.diagnoses.get(req.diagnosisId).catch(() => undefined);
    if (!original) return;
    const fix: FixView = { remediation: req.remediation.title, cause: req.cause, ...result, ...(ledger.decidedBy ? { by: ledger.decidedBy } : {}) };
    try {
      // chat.update is idempotent: a retried job edits the same text in again.
      await this.deps.reporter.update(channel, threadTs, renderResult(original, { fix }));
    } catch (err) {
      this.deps.log.log('warn', 'could not edit the diagnosis parent after the fix', { requestId: req.id, error: (err as Error).message });
    }
  }
}

/**
 * What an automatic fix's job tells in Slack: the approval request message
 * edited to its outcome (chat.update: buttons gone, who approved, when, what
 * ran, its reply), then one reply in the thread saying the same and that a
 * verifying re-diagnosis follows. Each step is checkpointed in the job, so a
 * retry after a Slack failure does neither twice. A Slack refusal that will
 * not change (the message was deleted, the bot left the channel) is logged
 * instead of failing the job: the outcome is in the ledger and the audit trail.
 */
import type { RemediationReporter } from '../jobs/remediation-report.js';
import type { Logger } from '../log.js';
import type { Reporter } from './reporter.js';
import { SlackPostError } from './reporter.js';
import { renderNotRun, renderOutcome, renderRequestStatus } from './views/approval.js';
import type { FixedParent } from './fixed-parent.js';

export function remediationThreads(deps: { reporter: Reporter; log: Logger; fixedParent?: FixedParent }): RemediationReporter {
  const { reporter, log } = deps;
  const tolerate = (what: string, requestId: string) => (err: unknown) => {
    if (err instanceof SlackPostError && !err.transient) {
      log.log('warn', `could not ${what}`, { requestId, error: err.message });
      return;
    }
    throw err;
  };
  return {
    async outcome(ledger, run) {
      const req = ledger.request;
      if (!run.state.updated) {
        if (ledger.messageTs) await reporter.update(req.channel, ledger.messageTs, renderRequestStatus(ledger)).catch(tolerate('update the approval message', req.id));
        await run.checkpoint({ updated: true });
      }
      if (!run.state.posted) {
        await reporter.post(req.channel, renderOutcome(ledger, run.verifying), req.threadTs).then(() => undefined, tolerate('post the outcome', req.id));
        await run.checkpoint({ posted: true });
      }
      // Nothing will verify a fix that failed or was refused: the diagnosis's parent says so now.
      if (!run.verifying && (ledger.state === 'failed' || ledger.state === 'refused')) await deps.fixedParent?.failed(ledger);
    },
    async notRun(ledger, reason) {
      const req = ledger.request;
      await reporter.post(req.channel, renderNotRun(ledger, reason), req.threadTs).then(() => undefined, tolerate('post that the fix did not run', req.id));
    },
  };
}

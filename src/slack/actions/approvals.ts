/**
 * Buttons: `remediate:<id>` asks for approval; `approve:<request-id>` and
 * `deny:<request-id>` decide, by `access.approvers` only. Every request and
 * decision is audited: a log line and a stored record.
 *
 * What an approval does in this version: a guided remediation posts its
 * steps in the thread; an automatic one is recorded as approved (execution
 * is a later issue) and a verifying re-diagnosis is queued into the thread.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { ApprovalRequest, AuditRecord, Decision, DecisionKind } from '../../stores/approval-store.js';
import { canApprove, canDiagnose } from '../admission.js';
import { actionSuffix, decodeRemediateRef, type RemediateRef } from '../refs.js';
import { SlackPostError } from '../reporter.js';
import { renderApprovalRequest, renderAutomaticApproved, renderDecided, renderGuidedSteps } from '../views/approval.js';
import { escapeMrkdwn, mention } from '../views/mrkdwn.js';
import type { ActionContext } from './context.js';

const STORE_DOWN = 'The bot cannot reach its Redis, where approval requests and the audit trail are kept; nothing was recorded. Try again when it is back (see /readyz).';

/** What went wrong, for the person who clicked: Slack refusing a post is not the store being down. */
function failureText(err: unknown, slackFailed: string): string {
  return err instanceof SlackPostError ? `${slackFailed}: ${escapeMrkdwn(err.message)}` : STORE_DOWN;
}

function auditOf(req: ApprovalRequest, event: AuditRecord['event'], by: string, at: string): AuditRecord {
  return {
    at, event, requestId: req.id, by, diagnosisId: req.diagnosisId, target: req.target.name ?? req.target.input,
    cause: req.cause, remediationId: req.remediation.id, risk: req.remediation.risk, mode: req.remediation.mode, channel: req.channel,
  };
}

export function registerApprovalActions(app: App, deps: ActionContext): void {
  const { config, store, approvals, reporter, metrics, log, tell, audit } = deps;

  /** The remediation a checked reference names, as stored, turned into one approval request in the thread. */
  const requestApproval = async (body: BlockAction, ref: RemediateRef, channel: string, threadTs: string): Promise<void> => {
    const user = body.user.id;
    const diagnosis = await store.get(ref.diagnosisId);
    const finding = diagnosis?.findings.find((f) => f.cause === ref.cause);
    const remediation = finding?.remediations.find((r) => r.id === ref.remediationId);
    if (!diagnosis || !remediation) {
      metrics.actions.inc({ kind: 'remediate', outcome: 'expired' });
      return tell(body, 'This diagnosis is no longer stored. Run `/redis-diagnose` again for fresh findings.');
    }
    const { request, created } = await approvals.request({
      diagnosisId: ref.diagnosisId, target: diagnosis.target, cause: ref.cause, remediation, requestedBy: user, channel, threadTs,
    });
    if (!created) {
      metrics.actions.inc({ kind: 'remediate', outcome: 'duplicate' });
      return tell(body, `Approval for this fix was already requested by ${mention(request.requestedBy)}: see the request in this thread.`);
    }
    try {
      await audit(auditOf(request, 'requested', user, request.createdAt));
      await reporter.post(channel, renderApprovalRequest(request, config.access.approvers), threadTs);
    } catch (err) {
      // Never shown, so nobody can decide it: free the slot, or every later click would
      // answer "already requested" about a message that is not in the thread.
      await approvals.release(request).catch((e: Error) => log.log('warn', 'could not release the approval request', { requestId: request.id, error: e.message }));
      throw err;
    }
    metrics.actions.inc({ kind: 'remediate', outcome: 'requested' });
  };

  app.action<BlockAction<ButtonAction>>(/^remediate:/, async ({ ack, body, action }) => {
    await ack();
    const ref = decodeRemediateRef(action.value);
    const channel = body.channel?.id;
    const threadTs = body.message?.thread_ts ?? body.message?.ts;
    if (!canDiagnose(body.user.id, config)) {
      metrics.actions.inc({ kind: 'remediate', outcome: 'forbidden' });
      return tell(body, 'You are not allowed to request remediations here (`access.diagnose`).');
    }
    if (!ref || ref.remediationId !== actionSuffix(action.action_id, 'remediate') || !channel || !threadTs) {
      metrics.actions.inc({ kind: 'remediate', outcome: 'invalid' });
      return tell(body, 'This button does not refer to a remediation I know.');
    }
    try {
      await requestApproval(body, ref, channel, threadTs);
    } catch (err) {
      metrics.actions.inc({ kind: 'remediate', outcome: 'error' });
      log.log('error', 'approval request failed', { error: (err as Error).message });
      return tell(body, failureText(err, 'The approval request could not be posted in this thread, so nothing is pending; try again'));
    }
  });

  const decide = (kind: DecisionKind) => async ({ ack, body, action }: {
    ack: () => Promise<void>; body: BlockAction; action: ButtonAction;
  }): Promise<void> => {
    await ack();
    const user = body.user.id;
    const requestId = actionSuffix(action.action_id, kind === 'approved' ? 'approve' : 'deny');
    const metric = kind === 'approved' ? 'approve' : 'deny';
    if (!canApprove(user, config)) {
      metrics.actions.inc({ kind: metric, outcome: 'forbidden' });
      log.log('info', 'approval refused: not an approver', { user, requestId });
      return tell(body, 'Only approvers (`access.approvers` in the bot config) can approve or deny remediations.');
    }
    if (!requestId || action.value !== requestId) {
      metrics.actions.inc({ kind: metric, outcome: 'invalid' });
      return tell(body, 'This button does not refer to an approval request I know.');
    }
    try {
      const request = await approvals.get(requestId);
      if (!request) {
        metrics.actions.inc({ kind: metric, outcome: 'expired' });
        return tell(body, 'This approval request is no longer stored.');
      }
      // The decision and its audit record are stored in one atomic write: never one without the other.
      const { decision, decided } = await approvals.decide(requestId, kind, user, (d) => auditOf(request, kind, user, d.at));
      if (!decided) {
        metrics.actions.inc({ kind: metric, outcome: 'duplicate' });
        return tell(body, `This request was already ${decision.decision} by ${mention(decision.by)}.`);
      }
      log.log('info', 'audit', { audit: auditOf(request, kind, user, decision.at) });
      metrics.actions.inc({ kind: metric, outcome: kind });
      const messageTs = body.message?.ts;
      if (messageTs) await reporter.update(request.channel, messageTs, renderDecided(request, decision)).catch((err: Error) => log.log('warn', 'could not update the approval message', { error: err.message }));
      if (kind === 'approved') await afterApproval(request, decision, body.trigger_id);
    } catch (err) {
      metrics.actions.inc({ kind: metric, outcome: 'error' });
      log.log('error', 'decision failed', { requestId, error: (err as Error).message });
      // Slack errors come after the decision and its audit record were stored.
      return tell(body, failureText(err, `The decision is recorded (${kind}), but what follows it could not be posted in the thread`));
    }
  };

  const afterApproval = async (req: ApprovalRequest, d: Decision, triggerId: string): Promise<void> => {
    if (req.remediation.mode === 'guided') {
      await reporter.post(req.channel, renderGuidedSteps(req, d), req.threadTs);
      return;
    }
    const submitted = await deps.dispatcher.submit({
      input: req.target.name ?? req.target.input,
      origin: { kind: 'slack', channel: req.channel, threadTs: req.threadTs, heading: `Verifying after "${req.remediation.title}" was approved` },
      requestedBy: d.by,
      requestedAt: Date.now(),
    }, triggerId).catch((err: Error) => {
      log.log('warn', 'verifying re-diagnosis not started', { error: err.message });
      return undefined;
    });
    await reporter.post(req.channel, renderAutomaticApproved(req, d, submitted !== undefined && submitted.via !== 'busy'), req.threadTs);
  };

  app.action<BlockAction<ButtonAction>>(/^approve:/, decide('approved'));
  app.action<BlockAction<ButtonAction>>(/^deny:/, decide('denied'));
}

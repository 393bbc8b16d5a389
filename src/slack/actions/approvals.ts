/**
 * Buttons: `remediate:<id>` asks for approval; `approve:<request-id>` and
 * `deny:<request-id>` decide it.
 *
 * The rules, judged at click time with this process's config (the button
 * value is only the request id; everything else is looked up):
 *  - a `remediate:` click counts only in the channel its diagnosis was posted
 *    in (DiagnosisStore.channelOf), a decision only in its request's channel;
 *  - only `access.approvers` decide; the person who asked cannot approve
 *    their own request unless `access.selfApproval` is true;
 *  - a request expires `access.approvalTtlSeconds` after it was asked: a
 *    click after that changes nothing but recording the expiry, and says so;
 *    an expired or denied request frees the fix to be asked for again;
 *  - the decision is one atomic state change in Redis (approval-store.ts):
 *    of any number of clicks, on any number of processes, one decides;
 *  - an approved automatic fix on a `fixes: automatic` config target becomes
 *    one `remediate` job (it runs at most once: jobs/run-remediation.ts); any
 *    other approved fix posts its steps with a `recheck:a.<request-id>` button.
 * Every refused click gets a private answer and changes nothing.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { planFor } from '../../jobs/remediation-action.js';
import type { Ledger } from '../../stores/approval-store.js';
import { STATE_WORDS } from '../../stores/remediation-states.js';
import { canApprove } from '../admission.js';
import { actionSuffix } from '../refs.js';
import { SlackPostError } from '../reporter.js';
import { APPROVAL_RECHECK_KIND, renderApprovalRequest, renderGuidedSteps, renderRequestStatus } from '../views/approval.js';
import { slackDateOfIso } from '../views/elements.js';
import { code, escapeMrkdwn, mention } from '../views/mrkdwn.js';
import type { ActionContext, ActionDeps, RecheckTarget } from './context.js';
import { clickedIn, storedRemediation, type ClickedIn, type ClickWords } from './remediation-click.js';

const STORE_DOWN = 'The bot cannot reach its Redis, where approval requests, their state and the audit trail are kept; nothing was recorded or run. Try again when it is back (see /readyz).';

/** What went wrong, for the person who clicked: Slack refusing a post is not the store being down. */
function failureText(err: unknown, slackFailed: string): string {
  return err instanceof SlackPostError ? `${slackFailed}: ${escapeMrkdwn(err.message)}` : STORE_DOWN;
}

function expiredText(l: Ledger): string {
  return `:alarm_clock: This approval request expired at ${slackDateOfIso(l.request.expiresAt)} (\`access.approvalTtlSeconds\`): nothing was decided or run. Ask again with the fix's button in the finding.`;
}

function decidedText(l: Ledger): string {
  const by = l.decidedBy ? ` by ${mention(l.decidedBy)}` : '';
  const guided = l.plan === 'steps' && l.state === 'approved' ? ' (guided: its steps are in the thread)' : '';
  return `This request was already decided: it is *${STATE_WORDS[l.state]}*${by}${guided}. Nothing changed.`;
}

/** `recheck:a.<request-id>`: a fresh diagnosis of the request's target, reported as a verification. */
export function approvalRechecks(deps: Pick<ActionDeps, 'approvals'>): Record<string, (id: string) => Promise<RecheckTarget | undefined>> {
  return {
    [APPROVAL_RECHECK_KIND]: async (id) => {
      const l = await deps.approvals.get(id);
      if (!l) return undefined;
      return { input: l.request.target.name ?? l.request.target.input, channel: l.request.channel, heading: `Checking whether "${l.request.remediation.title}" fixed it`, verifies: `${APPROVAL_RECHECK_KIND}.${id}` };
    },
  };
}

export function registerApprovalActions(app: App, deps: ActionContext): void {
  const { config, approvals, reporter, metrics, log, tell } = deps;
  const now = deps.now ?? Date.now;

  const words: ClickWords = {
    kind: 'remediate',
    forbidden: 'You are not allowed to request remediations here (`access.diagnose`).',
    elsewhere: (home) => (home
      ? 'This button belongs to a diagnosis posted in another conversation: ask for the fix there. Nothing was requested.'
      : 'This button belongs to a diagnosis that was not posted in any conversation. Nothing was requested; run `/redis-diagnose` here for findings of your own.'),
  };

  /** The remediation a checked reference names, as stored, turned into one approval request in the thread. */
  const requestApproval = async (body: BlockAction, clicked: ClickedIn): Promise<void> => {
    const user = body.user.id;
    const { ref, channel, threadTs } = clicked;
    const stored = await storedRemediation(deps, body, clicked, words);
    if (!stored) return;
    const { diagnosis, remediation } = stored;
    const { ledger, created } = await approvals.request({
      diagnosisId: ref.diagnosisId, target: diagnosis.target, cause: ref.cause, remediation, requestedBy: user, channel, threadTs,
    }, config.access.approvalTtlSeconds, now());
    const request = ledger.request;
    if (!created) {
      metrics.actions.inc({ kind: 'remediate', outcome: 'duplicate' });
      if (ledger.state === 'pending') {
        return tell(body, `Approval for this fix was already requested by ${mention(request.requestedBy)}: see the request in this thread (it expires ${slackDateOfIso(request.expiresAt)}).`);
      }
      return tell(body, `This fix was already asked for by ${mention(request.requestedBy)} and is *${STATE_WORDS[ledger.state]}*: see the request in this thread. Run \`/redis-diagnose\` again for fresh findings.`);
    }
    const plan = planFor(request.target, remediation, config);
    let ts: string;
    try {
      ts = await reporter.post(channel, renderApprovalRequest(request, { approvers: config.access.approvers, selfApproval: config.access.selfApproval, plan }), threadTs);
    } catch (err) {
      // Never shown, so nobody can decide it: withdraw it, or every later click would
      // answer "already requested" about a message that is not in the thread.
      await approvals.withdraw(request.id, now(), user, `the request could not be posted: ${(err as Error).message}`)
        .catch((e: Error) => log.log('warn', 'could not withdraw the approval request', { requestId: request.id, error: e.message }));
      throw err;
    }
    await approvals.setMessage(request.id, ts).catch((e: Error) => log.log('warn', 'could not record the approval message', { requestId: request.id, error: e.message }));
    metrics.actions.inc({ kind: 'remediate', outcome: 'requested' });
  };

  app.action<BlockAction<ButtonAction>>(/^remediate:/, async ({ ack, body, action }) => {
    await ack();
    const clicked = await clickedIn(deps, body, action, words);
    if (!clicked) return;
    try {
      await requestApproval(body, clicked);
    } catch (err) {
      metrics.actions.inc({ kind: 'remediate', outcome: 'error' });
      log.log('error', 'approval request failed', { error: (err as Error).message });
      return tell(body, failureText(err, 'The approval request could not be posted in this thread, so nothing is pending; try again'));
    }
  });

  /** The request message, edited to what the ledger says (the buttons go). */
  const showStatus = async (l: Ledger, clickedTs: string | undefined): Promise<void> => {
    const ts = l.messageTs ?? clickedTs;
    if (!ts) return;
    await reporter.update(l.request.channel, ts, renderRequestStatus(l)).catch((err: Error) => log.log('warn', 'could not update the approval message', { requestId: l.request.id, error: err.message }));
  };

  /** Queues the job of an approved automatic fix; the job id is the request's, so queueing twice is one job. */
  const queueRun = async (l: Ledger, by: string): Promise<boolean> => {
    try {
      await deps.remediations.enqueue({ requestId: l.request.id, origin: { kind: 'slack', channel: l.request.channel, threadTs: l.request.threadTs }, approvedBy: by, queuedAt: now() });
      return true;
    } catch (err) {
      log.log('error', 'approved remediation not queued', { requestId: l.request.id, error: (err as Error).message });
      return false;
    }
  };

  const NOT_QUEUED = 'The approval is recorded, but the job queue did not take the fix (the bot\'s Redis is unreachable or slow). Click *Approve* again to queue it: it still runs at most once.';

  const decide = (kind: 'approved' | 'denied') => async ({ ack, body, action }: {
    ack: () => Promise<void>; body: BlockAction; action: ButtonAction;
  }): Promise<void> => {
    await ack();
    const user = body.user.id;
    const metric = kind === 'approved' ? 'approve' : 'deny';
    const requestId = actionSuffix(action.action_id, metric);
    const refuse = async (outcome: string, text: string, l?: Ledger): Promise<void> => {
      metrics.actions.inc({ kind: metric, outcome });
      metrics.remediations.inc({ outcome: 'refused' });
      log.log('info', 'decision refused', { user, requestId, outcome });
      if (l) {
        await deps.audit(approvals.auditOf(l, 'click-refused', user, new Date(now()).toISOString(), { reason: `${metric} click refused: ${outcome}` }))
          .catch((e: Error) => log.log('warn', 'could not audit the refused click', { requestId, error: e.message }));
      }
      return tell(body, text);
    };
    if (!requestId || action.value !== requestId) return refuse('invalid', 'This button does not refer to an approval request I know.');
    try {
      const ledger = await approvals.get(requestId);
      if (!ledger) return refuse('unknown', `I know no approval request ${code(requestId)}: it never existed here or is no longer stored. Nothing changed.`);
      if (body.channel?.id !== ledger.request.channel) return refuse('invalid', 'This button does not belong to this conversation. Nothing changed.', ledger);
      if (!canApprove(user, config)) {
        return refuse('forbidden', 'Only approvers (`access.approvers` in the bot config) can approve or deny remediations. Nothing changed.', ledger);
      }
      const t0 = now();
      // Decided or expired: say so (the scripts below would refuse it the same way).
      if (ledger.state !== 'pending') return await notDecided(body, 'state', ledger, metric, user);
      if (Date.parse(ledger.request.expiresAt) <= t0) return await notDecided(body, 'expired', ledger, metric, user);
      if (kind === 'approved' && user === ledger.request.requestedBy && !config.access.selfApproval) {
        return refuse('self-approval', 'You asked for this fix, so another approver must approve it (`access.selfApproval` is off). Nothing changed.', ledger);
      }
      const plan = kind === 'approved' ? planFor(ledger.request.target, ledger.request.remediation, config) : undefined;
      const decidedAt = new Date(t0).toISOString();
      const t = await approvals.transition(requestId, {
        to: kind, now: t0, expiry: 'before', event: kind, by: user,
        set: { decidedBy: user, decidedAt, ...(plan ? { plan: plan.plan } : {}), ...(plan?.plan === 'run' ? { actionHash: plan.hash } : {}) },
      });
      if (!t.ok) return await notDecided(body, t.why, t.ledger ?? ledger, metric, user);
      metrics.actions.inc({ kind: metric, outcome: kind });
      await showStatus(t.ledger, body.message?.ts);
      if (kind === 'denied') {
        metrics.remediations.inc({ outcome: 'denied' });
        return;
      }
      if (t.ledger.plan === 'steps') {
        metrics.remediations.inc({ outcome: 'guided' });
        await reporter.post(t.ledger.request.channel, renderGuidedSteps(t.ledger), t.ledger.request.threadTs);
        return;
      }
      if (!(await queueRun(t.ledger, user))) return tell(body, NOT_QUEUED);
    } catch (err) {
      metrics.actions.inc({ kind: metric, outcome: 'error' });
      log.log('error', 'decision failed', { requestId, error: (err as Error).message });
      // Slack errors come after the decision and its audit record were stored.
      return tell(body, failureText(err, `The decision is recorded (${kind}), but what follows it could not be posted in the thread`));
    }
  };

  /** The click found the request expired or already decided (maybe a moment ago, by another click or process). */
  const notDecided = async (body: BlockAction, why: string, l: Ledger, metric: 'approve' | 'deny', user: string): Promise<void> => {
    if (why === 'missing') {
      metrics.actions.inc({ kind: metric, outcome: 'unknown' });
      return tell(body, 'This approval request is no longer stored. Nothing changed.');
    }
    if (why === 'expired' || l.state === 'expired') {
      metrics.actions.inc({ kind: metric, outcome: 'expired' });
      const e = l.state === 'pending' ? await approvals.expire(l.request.id, now(), user) : undefined;
      if (e?.ok) {
        metrics.remediations.inc({ outcome: 'expired' });
        await showStatus(e.ledger, body.message?.ts);
      }
      return tell(body, expiredText(e?.ok ? e.ledger : l));
    }
    metrics.actions.inc({ kind: metric, outcome: 'duplicate' });
    // An approval whose job the queue did not take: an approver's click queues it (the same job id: once).
    if (metric === 'approve' && l.state === 'approved' && l.plan === 'run' && canApprove(user, config)) {
      if (!(await queueRun(l, l.decidedBy ?? user))) return tell(body, NOT_QUEUED);
    }
    return tell(body, decidedText(l));
  };

  app.action<BlockAction<ButtonAction>>(/^approve:/, decide('approved'));
  app.action<BlockAction<ButtonAction>>(/^deny:/, decide('denied'));
}

/**
 * `steps:<remediation-id>` (INTERFACES.md section 6, turn 3): a guided
 * remediation's steps, posted at once in the thread the button is in. Nothing
 * is run and nobody is asked: it is audited as a view (`steps-shown`).
 *
 * Bound as `remediate:` is (remediation-click.ts, shared with approvals.ts): the
 * value is a RemediateRef that must name the action id's remediation; the
 * diagnosis must be stored and have been posted in the click's channel, so a
 * copied or forged value posts nothing anywhere; `access.diagnose` applies.
 * A double click (or the same click on two processes) posts once: a claim
 * with SET NX in the queue Redis for STEPS_ONCE_S seconds (skipped when that
 * Redis is down: the steps are posted anyway).
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { recheckRef } from '../refs.js';
import { renderSteps } from '../views/steps.js';
import type { ActionContext } from './context.js';
import { clickedIn, storedRemediation, type ClickedIn, type ClickWords } from './remediation-click.js';

/** Long enough for a double click and Slack's retry of a slow answer (it retries within seconds). */
export const STEPS_ONCE_S = 30;

export function registerStepsActions(app: App, ctx: ActionContext): void {
  const { approvals, reporter, metrics, log, tell } = ctx;
  const now = ctx.now ?? Date.now;
  const count = (outcome: string) => metrics.actions.inc({ kind: 'steps', outcome });

  const words: ClickWords = {
    kind: 'steps',
    forbidden: 'You are not allowed to use remediations here (`access.diagnose`).',
    elsewhere: () => 'This button belongs to a diagnosis posted in another conversation: open the steps there. Nothing was posted.',
    audit: { plan: 'steps' },
  };

  const post = async (body: BlockAction, clicked: ClickedIn): Promise<void> => {
    const user = body.user.id;
    const { ref, channel, threadTs } = clicked;
    const stored = await storedRemediation(ctx, body, clicked, words);
    if (!stored) return;
    const { diagnosis, remediation } = stored;
    const at = new Date(now()).toISOString();
    const record = {
      at, by: user, requestId: '', diagnosisId: ref.diagnosisId, target: diagnosis.target.name ?? diagnosis.target.input, cause: ref.cause,
      remediationId: remediation.id, risk: remediation.risk, mode: remediation.mode, plan: 'steps', requestedBy: user, requestedAt: at, channel,
    };
    const once = [ref.diagnosisId, ref.cause, ref.remediationId, channel];
    // The steps are worth more than the dedupe: with the queue Redis down they are still posted
    // (a double click may then post them twice), as the diagnosis itself is.
    const first = await approvals.claimOnce(once, STEPS_ONCE_S).catch((e: Error) => {
      log.log('warn', 'steps click not deduplicated: the queue Redis did not answer; posting anyway', { diagnosisId: ref.diagnosisId, error: e.message });
      return true;
    });
    if (!first) {
      count('duplicate');
      return tell(body, 'These steps were just posted in this thread.');
    }
    try {
      await reporter.post(channel, renderSteps({
        target: diagnosis.target, cause: ref.cause, remediation, by: user, recheck: recheckRef('d', ref.diagnosisId), blockId: `steps:${remediation.id}`,
      }), threadTs);
    } catch (err) {
      // Not shown: the next click may post them.
      await approvals.release(once).catch(() => undefined);
      throw err;
    }
    count('posted');
    await ctx.audit({ ...record, event: 'steps-shown', outcome: 'viewed', reason: 'guided steps posted; nothing was run' })
      .catch((e: Error) => log.log('warn', 'could not audit the shown steps', { diagnosisId: ref.diagnosisId, error: e.message }));
  };

  app.action<BlockAction<ButtonAction>>(/^steps:/, async ({ ack, body, action }) => {
    await ack();
    const clicked = await clickedIn(ctx, body, action, words);
    if (!clicked) return;
    try {
      await post(body, clicked);
    } catch (err) {
      count('error');
      log.log('error', 'steps not posted', { error: (err as Error).message });
      return tell(body, 'The steps could not be posted in this thread (Slack or the bot\'s Redis failed); try again.');
    }
  });
}

/**
 * What a click on a remediation's button (`remediate:` in approvals.ts, `steps:` in
 * steps.ts) is checked for before either does anything: the clicker may diagnose; the
 * value is a RemediateRef naming the action id's remediation, clicked in a thread; the
 * diagnosis and the remediation are still stored; and the diagnosis was posted in the
 * click's channel (DiagnosisStore.channelOf), so a copied or forged value acts nowhere
 * (that refusal is audited). Each failed check answers the clicker and returns undefined.
 */
import type { BlockAction, ButtonAction } from '@slack/bolt';
import type { Diagnosis, Remediation } from '../../engine/index.js';
import { canDiagnose } from '../admission.js';
import { actionSuffix, decodeRemediateRef, type RemediateRef } from '../refs.js';
import type { ActionContext } from './context.js';

export interface ClickWords {
  kind: 'remediate' | 'steps';
  /** To a clicker outside access.diagnose. */
  forbidden: string;
  /** To a click from another channel than the diagnosis's (`home`: undefined when it was posted in none). */
  elsewhere(home: string | undefined): string;
  /** Added to the refusal's audit record. */
  audit?: Record<string, string>;
}

export interface ClickedIn {
  ref: RemediateRef;
  channel: string;
  threadTs: string;
}

/** The reference and where the button was clicked, or undefined (answered). */
export async function clickedIn(ctx: ActionContext, body: BlockAction, action: ButtonAction, words: ClickWords): Promise<ClickedIn | undefined> {
  const count = (outcome: string) => ctx.metrics.actions.inc({ kind: words.kind, outcome });
  const ref = decodeRemediateRef(action.value);
  const channel = body.channel?.id;
  const threadTs = body.message?.thread_ts ?? body.message?.ts;
  if (!canDiagnose(body.user.id, ctx.config)) {
    count('forbidden');
    await ctx.tell(body, words.forbidden);
    return undefined;
  }
  if (!ref || ref.remediationId !== actionSuffix(action.action_id, words.kind) || !channel || !threadTs) {
    count('invalid');
    await ctx.tell(body, 'This button does not refer to a remediation I know.');
    return undefined;
  }
  return { ref, channel, threadTs };
}

/** The stored diagnosis and remediation the reference names, posted in `channel`; or undefined (answered, a refusal audited). */
export async function storedRemediation(ctx: ActionContext, body: BlockAction, { ref, channel }: ClickedIn, words: ClickWords): Promise<{ diagnosis: Diagnosis; remediation: Remediation } | undefined> {
  const { store, metrics, log } = ctx;
  const user = body.user.id;
  const now = ctx.now ?? Date.now;
  const diagnosis = await store.get(ref.diagnosisId);
  const remediation = diagnosis?.findings.find((f) => f.cause === ref.cause)?.remediations.find((r) => r.id === ref.remediationId);
  if (!diagnosis || !remediation) {
    metrics.actions.inc({ kind: words.kind, outcome: 'expired' });
    await ctx.tell(body, 'This diagnosis is no longer stored. Run `/redis-diagnose` again for fresh findings.');
    return undefined;
  }
  // The button counts only in the channel its diagnosis was posted in: a value naming a
  // diagnosis of another channel (copied, or a forged payload) would act here.
  const home = await store.channelOf(ref.diagnosisId);
  if (home === channel) return { diagnosis, remediation };
  metrics.actions.inc({ kind: words.kind, outcome: 'invalid' });
  log.log('info', `${words.kind} click refused: another channel than its diagnosis`, { user, diagnosisId: ref.diagnosisId, channel, home: home ?? null });
  const at = new Date(now()).toISOString();
  await ctx.audit({
    at, event: 'click-refused', by: user, requestId: '', diagnosisId: ref.diagnosisId,
    target: diagnosis.target.name ?? diagnosis.target.input, cause: ref.cause, remediationId: remediation.id, risk: remediation.risk,
    mode: remediation.mode, ...words.audit, requestedBy: user, requestedAt: at, outcome: 'refused',
    reason: home ? `${words.kind} click from another channel than its diagnosis's (${home})` : `${words.kind} click on a diagnosis posted in no channel`, channel,
  }).catch((e: Error) => log.log('warn', 'could not audit the refused click', { diagnosisId: ref.diagnosisId, error: e.message }));
  await ctx.tell(body, words.elsewhere(home));
  return undefined;
}

/**
 * `recheck:<ref>`: a fresh diagnosis of the target the reference names,
 * posted in the thread the button is in. For people with diagnose access;
 * the target is admitted again at click time (and again by the worker), so a
 * reference cannot reach further than a typed command could.
 *
 * References are `<kind>.<id>`: `d.<diagnosis id>` (a stored diagnosis) is
 * built in; other features register their kinds (ActionDeps.recheckTargets).
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { admitTarget, canDiagnose } from '../admission.js';
import { actionSuffix } from '../refs.js';
import type { ActionContext, RecheckTarget } from './context.js';

export function registerRecheckActions(app: App, ctx: ActionContext): void {
  const { config, store, metrics, log, tell } = ctx;
  const kinds: Record<string, (id: string) => Promise<RecheckTarget | undefined>> = {
    d: async (id) => {
      const d = await store.get(id);
      return d ? { input: d.target.name ?? d.target.input, channel: await store.channelOf(id) } : undefined;
    },
    ...ctx.recheckTargets,
  };

  app.action<BlockAction<ButtonAction>>(/^recheck:/, async ({ ack, body, action }) => {
    await ack();
    const user = body.user.id;
    const ref = actionSuffix(action.action_id, 'recheck');
    const count = (outcome: string) => metrics.actions.inc({ kind: 'recheck', outcome });
    if (!canDiagnose(user, config)) {
      count('forbidden');
      return tell(body, 'You are not allowed to run diagnoses here (`access.diagnose`).');
    }
    const channel = body.channel?.id;
    const threadTs = body.message?.thread_ts ?? body.message?.ts;
    const [kind, ...rest] = (ref ?? '').split('.');
    const resolve = kind ? kinds[kind] : undefined;
    if (!ref || action.value !== ref || !resolve || !channel || !threadTs) {
      count('invalid');
      return tell(body, 'This button does not refer to a target I know.');
    }
    // A store that cannot be read answers like one that no longer has it.
    const found: RecheckTarget | undefined = await resolve(rest.join('.')).catch(() => undefined);
    if (!found) {
      count('expired');
      return tell(body, 'What this button refers to is no longer stored. Run `/redis-diagnose <target>` instead.');
    }
    // Bound to the channel it was posted in, as remediate, ack and snooze are. The refusal does
    // not say which channel that is: a forger learns nothing about where diagnoses go.
    if (found.channel !== channel) {
      count('elsewhere');
      log.log('warn', 'recheck refused: the button belongs to another channel', { user, channel, ref });
      return tell(body, 'This button belongs to a thread in another channel. Run `/redis-diagnose <target>` here instead.');
    }
    const admission = admitTarget(found.input, config);
    if (!admission.ok) {
      count('refused');
      return tell(body, `:no_entry: ${admission.reason}`);
    }
    try {
      const submitted = await ctx.dispatcher.submit({
        input: admission.input,
        origin: { kind: 'slack', channel, threadTs, heading: found.heading ?? 'Re-check of this target', ...(found.verifies ? { verifies: found.verifies } : {}) },
        requestedBy: user,
        requestedAt: Date.now(),
      }, body.trigger_id);
      count(submitted.via === 'busy' ? 'busy' : 'queued');
      if (submitted.via === 'busy') return tell(body, ':warning: The job queue is unreachable and this process is already running as many diagnoses as it may. Try again in a moment.');
    } catch (err) {
      count('error');
      log.log('error', 'recheck failed', { error: (err as Error).message });
      return tell(body, 'The re-check could not be started; try again.');
    }
  });
}

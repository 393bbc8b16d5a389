/**
 * The buttons of an alert (INTERFACES.md section 6): `ack:<ref>` ("I'm on it":
 * who, in the thread; no more reminders) and the `snooze:<ref>` menu (no
 * alert for the target for the chosen time; who and until when goes in the
 * thread and the audit trail). For people with `access.diagnose`. The ref is
 * `i.<incident id>`: resolved and authorised here, at click time.
 * (`recheck:i.<id>` is recheck.ts, with the `i` kind registered by bot.ts.)
 */
import type { App, BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import { IncidentActions, isSnoozeChoice } from '../../monitor/incident-actions.js';
import type { AuditRecord } from '../../stores/audit-log.js';
import { canDiagnose } from '../admission.js';
import { actionSuffix } from '../refs.js';
import { mention } from '../views/mrkdwn.js';
import { slackDateOfMs } from '../views/elements.js';
import type { ActionContext } from './context.js';

/** The incident id of `ack:i.<id>` / `snooze:i.<id>`, when the action id is well formed. */
function incidentOf(actionId: string, kind: 'ack' | 'snooze'): { ref: string; id: string } | undefined {
  const ref = actionSuffix(actionId, kind);
  const id = IncidentActions.idOf(ref);
  return ref && id ? { ref, id } : undefined;
}

/**
 * The snooze, as one entry of the audit stream (stores/audit-log.ts): when, who,
 * what target, which channel, with the incident reference in place of a request
 * id and the snooze's length and end in `mode` and `reason`.
 */
function snoozeAudit(f: { at: number; by: string; ref: string; target: string; until: number; choice: string; channel: string; cause?: string; diagnosisId?: string }): AuditRecord {
  const at = new Date(f.at).toISOString();
  const until = new Date(f.until).toISOString();
  return {
    at, event: 'snoozed', by: f.by, requestId: f.ref, diagnosisId: f.diagnosisId ?? '', target: f.target, cause: f.cause ?? '',
    remediationId: 'snooze', risk: 'low', mode: `snooze ${f.choice}`, requestedBy: f.by, requestedAt: at,
    outcome: 'snoozed', reason: `no alerts for ${f.target} until ${until}`, channel: f.channel,
  };
}

export function registerAlertActions(app: App, ctx: ActionContext): void {
  const { config, metrics, log, tell, alerts } = ctx;
  const count = (kind: string, outcome: string) => metrics.actions.inc({ kind, outcome });

  app.action<BlockAction<ButtonAction>>(/^ack:/, async ({ ack, body, action }) => {
    await ack();
    const user = body.user.id;
    const ref = incidentOf(action.action_id, 'ack');
    if (!canDiagnose(user, config)) {
      count('ack', 'forbidden');
      return tell(body, 'You are not allowed to act on alerts here (`access.diagnose`).');
    }
    if (!alerts || !ref || action.value !== ref.ref) {
      count('ack', 'invalid');
      return tell(body, 'This button does not refer to an incident I know.');
    }
    try {
      const r = await alerts.ack(ref.id, user);
      if (r.kind === 'unknown') {
        count('ack', 'expired');
        return tell(body, 'This incident is no longer stored.');
      }
      if (r.kind === 'already') {
        count('ack', 'duplicate');
        return tell(body, `${mention(r.by)} is already on it.`);
      }
      count('ack', 'acked');
      log.log('info', 'incident acknowledged', { incident: ref.id, target: r.target, by: user });
    } catch (err) {
      count('ack', 'error');
      log.log('error', 'acknowledging the incident failed', { incident: ref.id, error: (err as Error).message });
      return tell(body, 'The acknowledgement could not be recorded or posted; try again (the bot\'s Redis or Slack may be unreachable).');
    }
  });

  app.action<BlockAction<StaticSelectAction>>(/^snooze:/, async ({ ack, body, action }) => {
    await ack();
    const user = body.user.id;
    const ref = incidentOf(action.action_id, 'snooze');
    const choice = action.selected_option?.value;
    if (!canDiagnose(user, config)) {
      count('snooze', 'forbidden');
      return tell(body, 'You are not allowed to snooze alerts here (`access.diagnose`).');
    }
    if (!alerts || !ref || !isSnoozeChoice(choice)) {
      count('snooze', 'invalid');
      return tell(body, 'This menu does not refer to an incident and a duration I know.');
    }
    try {
      const r = await alerts.snooze(ref.id, user, choice);
      if (r.kind === 'unknown') {
        count('snooze', 'expired');
        return tell(body, 'This incident is no longer stored.');
      }
      await ctx.audit(snoozeAudit({ at: Date.now(), by: user, ref: ref.ref, target: r.target, until: r.until, choice, channel: r.channel, ...(r.cause ? { cause: r.cause } : {}), ...(r.diagnosisId ? { diagnosisId: r.diagnosisId } : {}) }));
      count('snooze', 'snoozed');
      return tell(body, `Alerts for *${r.target}* are snoozed until ${slackDateOfMs(r.until)}.`);
    } catch (err) {
      count('snooze', 'error');
      log.log('error', 'snoozing failed', { incident: ref.id, error: (err as Error).message });
      return tell(body, 'The snooze could not be recorded; try again (the bot\'s Redis may be unreachable).');
    }
  });
}

/**
 * The buttons of an alert (INTERFACES.md section 6): `ack:<ref>` ("I'm on it":
 * who, in the thread; no more reminders) and the `snooze:<ref>` menu (no
 * alert for the target for the chosen time; who and until when goes in the
 * thread and the audit trail). For people with `access.diagnose`. The ref is
 * `i.<incident id>`: resolved and authorised here, at click time. A click
 * counts only from the alert's channel and on an open incident
 * (IncidentActions); acks, snoozes and refused clicks are audited with the
 * channel the click came from.
 * (`recheck:i.<id>` is recheck.ts, with the `i` kind registered by bot.ts.)
 */
import type { App, BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import { causeOf, IncidentActions, isSnoozeChoice, type Refused } from '../../monitor/incident-actions.js';
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

interface AuditFields {
  at: number; by: string; ref: string; target: string; channel: string; cause?: string; diagnosisId?: string;
}

/**
 * An ack, a snooze or a refused click on an incident, as one entry of the
 * audit stream (stores/audit-log.ts): when, who, what target, the channel the
 * click came from (not the incident's: a forged click shows where it came
 * from), with the incident reference in place of a request id.
 */
function incidentAudit(f: AuditFields, e: Pick<AuditRecord, 'event' | 'outcome' | 'remediationId' | 'mode' | 'reason'>): AuditRecord {
  const at = new Date(f.at).toISOString();
  return {
    at, by: f.by, requestId: f.ref, diagnosisId: f.diagnosisId ?? '', target: f.target, cause: f.cause ?? '',
    risk: 'low', requestedBy: f.by, requestedAt: at, channel: f.channel, ...e,
  };
}

function snoozeAudit(f: AuditFields & { until: number; choice: string }): AuditRecord {
  return incidentAudit(f, { event: 'snoozed', outcome: 'snoozed', remediationId: 'snooze', mode: `snooze ${f.choice}`, reason: `no alerts for ${f.target} until ${new Date(f.until).toISOString()}` });
}

/** The private answer to a click refused on a known incident (another channel, or resolved). */
function refusedText(r: Refused, what: string): string {
  // The alert's channel is not named: whoever forged the click need not learn where alerts go.
  if (r.kind === 'elsewhere') return `This ${what} belongs to an alert in another conversation: use it there. Nothing changed.`;
  const when = r.resolvedAt !== undefined ? ` at ${slackDateOfMs(r.resolvedAt)}` : '';
  return `This incident of *${r.target}* is already resolved${when}: there is nothing to ${what === 'menu' ? 'snooze' : 'acknowledge'}. Nothing changed (a new incident gets its own alert).`;
}

export function registerAlertActions(app: App, ctx: ActionContext): void {
  const { config, metrics, log, tell, alerts } = ctx;
  const count = (kind: string, outcome: string) => metrics.actions.inc({ kind, outcome });
  const audit = (record: AuditRecord): Promise<void> => ctx.audit(record)
    .catch((err: Error) => log.log('warn', 'could not audit the click', { incident: record.requestId, error: err.message }));
  /** Refused on a known incident: counted, audited with the click's channel, answered privately. */
  const refuse = async (body: BlockAction, kind: 'ack' | 'snooze', ref: string, r: Refused): Promise<void> => {
    const channel = body.channel?.id ?? '';
    count(kind, r.kind === 'elsewhere' ? 'invalid' : 'resolved');
    log.log('info', 'alert click refused', { incident: ref, kind, why: r.kind, channel });
    await audit(incidentAudit({ at: Date.now(), by: body.user.id, ref, target: r.target, channel }, {
      event: 'click-refused', outcome: 'refused', remediationId: kind, mode: kind,
      reason: r.kind === 'elsewhere' ? `${kind} click from another channel than the alert's (${r.channel})` : `${kind} click on a resolved incident`,
    }));
    return tell(body, refusedText(r, kind === 'ack' ? 'button' : 'menu'));
  };

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
      const channel = body.channel?.id;
      const r = await alerts.ack(ref.id, user, channel);
      if (r.kind === 'unknown') {
        count('ack', 'expired');
        return tell(body, 'This incident is no longer stored.');
      }
      if (r.kind === 'elsewhere' || r.kind === 'resolved') return await refuse(body, 'ack', ref.ref, r);
      if (r.kind === 'already') {
        count('ack', 'duplicate');
        return tell(body, `${mention(r.by)} is already on it.`);
      }
      count('ack', 'acked');
      log.log('info', 'incident acknowledged', { incident: ref.id, target: r.target, by: user, channel });
      await audit(incidentAudit({ at: Date.now(), by: user, ref: ref.ref, target: r.target, channel: channel ?? '', ...causeOf(r) }, {
        event: 'acked', outcome: 'acked', remediationId: 'ack', mode: 'ack', reason: `acknowledged: no more reminders for this incident of ${r.target}`,
      }));
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
      const channel = body.channel?.id;
      const r = await alerts.snooze(ref.id, user, choice, channel);
      if (r.kind === 'unknown') {
        count('snooze', 'expired');
        return tell(body, 'This incident is no longer stored.');
      }
      if (r.kind !== 'snoozed') return await refuse(body, 'snooze', ref.ref, r);
      await ctx.audit(snoozeAudit({ at: Date.now(), by: user, ref: ref.ref, target: r.target, until: r.until, choice, channel: channel ?? '', ...causeOf(r) }));
      count('snooze', 'snoozed');
      return tell(body, `Alerts for *${r.target}* are snoozed until ${slackDateOfMs(r.until)}.`);
    } catch (err) {
      count('snooze', 'error');
      log.log('error', 'snoozing failed', { incident: ref.id, error: (err as Error).message });
      return tell(body, 'The snooze could not be recorded; try again (the bot\'s Redis may be unreachable).');
    }
  });
}

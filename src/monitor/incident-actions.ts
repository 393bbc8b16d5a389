/**
 * What people do to an incident, from its alert's buttons: acknowledge it
 * ("I'm on it": stops the reminders) and snooze its target. Slack-free: the
 * button handlers (slack/actions/alerts.ts) authorise the clicker and answer
 * them; this records the act in Redis and tells it in the incident's thread.
 * References are resolved here, at click time: a button carries `i.<id>` only.
 *
 * A click counts only from the incident's own channel (Slack tells which
 * channel a block_actions payload came from; a value copied into a message
 * elsewhere, or a forged payload, names another) and only on an incident
 * still open: an ack or a snooze of a resolved incident would stop nothing
 * that is happening and, for a snooze, silence the target's next incident.
 */
import type { IncidentRecord, MonitorStore } from '../stores/monitor-store.js';
import type { AlertSink } from './alert-sink.js';
import { incidentView, type AlertSettings } from './incident.js';

/** The snooze durations offered (INTERFACES.md section 6: `snooze:<ref>`), by option value. */
export const SNOOZE_OPTIONS = { '1h': 3600_000, '4h': 4 * 3600_000, '24h': 24 * 3600_000 } as const;
export type SnoozeChoice = keyof typeof SNOOZE_OPTIONS;

export function isSnoozeChoice(value: unknown): value is SnoozeChoice {
  return typeof value === 'string' && Object.hasOwn(SNOOZE_OPTIONS, value);
}

export const INCIDENT_REF_RE = /^i\.([A-Za-z0-9_-]{1,80})$/;

/** Why a click on a known incident changed nothing: from another channel, or the incident is resolved. */
export type Refused =
  | { kind: 'elsewhere'; target: string; channel: string }
  | { kind: 'resolved'; target: string; resolvedAt?: number };

export type AckResult =
  | { kind: 'acked'; target: string; cause?: string; diagnosisId?: string }
  | { kind: 'already'; target: string; by: string }
  | Refused
  | { kind: 'unknown' };

export type SnoozeResult =
  | { kind: 'snoozed'; target: string; until: number; cause?: string; diagnosisId?: string }
  | Refused
  | { kind: 'unknown' };

export class IncidentActions {
  constructor(
    private readonly store: MonitorStore,
    private readonly sink: AlertSink,
    /** The alerts config: the views say it the way the monitor does. */
    private readonly settings: Pick<AlertSettings, 'failuresBeforeAlert' | 'intervalSeconds'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The incident id a `i.<id>` reference names, or undefined. */
  static idOf(ref: string | undefined): string | undefined {
    return ref ? INCIDENT_REF_RE.exec(ref)?.[1] : undefined;
  }

  /** The incident, unless the click is refused (unknown, another channel, resolved). */
  private async checked(id: string, channel: string | undefined): Promise<IncidentRecord | Refused | { kind: 'unknown' }> {
    const rec = await this.store.incident(id);
    if (!rec) return { kind: 'unknown' };
    if (channel !== rec.channel) return { kind: 'elsewhere', target: rec.target, channel: rec.channel };
    if (rec.resolvedAt !== undefined || rec.done || !(await this.store.isOpen(rec.target, id))) {
      return { kind: 'resolved', target: rec.target, ...(rec.resolvedAt !== undefined ? { resolvedAt: rec.resolvedAt } : {}) };
    }
    return rec;
  }

  /** `channel`: where the click came from (the payload's channel id). */
  async ack(id: string, by: string, channel: string | undefined): Promise<AckResult> {
    const rec = await this.checked(id, channel);
    if ('kind' in rec) return rec;
    if (!(await this.store.setIncidentOnce(id, 'ackedBy', by))) {
      return { kind: 'already', target: rec.target, by: (await this.store.incidentField(id, 'ackedBy')) ?? '' };
    }
    const at = this.now();
    await this.store.updateIncident(id, { ackedAt: at });
    const acked = { ...rec, ackedBy: by, ackedAt: at };
    if (rec.ts) {
      await this.sink.note(rec.channel, rec.ts, { kind: 'acked', by }, incidentView(acked, this.settings));
      // A grouped incident (grouping.ts): its own message in the group's thread, never the group message.
      if (!acked.groupId || acked.headTs) await this.sink.update(rec.channel, acked.headTs ?? rec.ts, incidentView(acked, this.settings));
    }
    return { kind: 'acked', target: rec.target, ...causeOf(rec) };
  }

  /** `channel`: where the click came from (the payload's channel id). */
  async snooze(id: string, by: string, choice: SnoozeChoice, channel: string | undefined): Promise<SnoozeResult> {
    const rec = await this.checked(id, channel);
    if ('kind' in rec) return rec;
    const at = this.now();
    const until = at + SNOOZE_OPTIONS[choice];
    // Checked again in the write itself: the incident may have resolved since the read above.
    if (!(await this.store.snoozeOpen({ target: rec.target, by, at, until, incidentId: id }, at))) return { kind: 'resolved', target: rec.target };
    if (rec.ts) await this.sink.note(rec.channel, rec.ts, { kind: 'snoozed', by, until, label: choice }, incidentView(rec, this.settings));
    return { kind: 'snoozed', target: rec.target, until, ...causeOf(rec) };
  }
}

/** The cause and diagnosis of an incident (or of a result), only when set. */
export function causeOf(r: { cause?: string; diagnosisId?: string }): { cause?: string; diagnosisId?: string } {
  return { ...(r.cause ? { cause: r.cause } : {}), ...(r.diagnosisId ? { diagnosisId: r.diagnosisId } : {}) };
}

/**
 * What people do to an incident, from its alert's buttons: acknowledge it
 * ("I'm on it": stops the reminders) and snooze its target. Slack-free: the
 * button handlers (slack/actions/alerts.ts) authorise the clicker and answer
 * them; this records the act in Redis and tells it in the incident's thread.
 * References are resolved here, at click time: a button carries `i.<id>` only.
 */
import type { MonitorStore } from '../stores/monitor-store.js';
import type { AlertSink } from './alert-sink.js';
import { incidentView, type AlertSettings } from './incident.js';

/** The snooze durations offered (INTERFACES.md section 6: `snooze:<ref>`), by option value. */
export const SNOOZE_OPTIONS = { '1h': 3600_000, '4h': 4 * 3600_000, '24h': 24 * 3600_000 } as const;
export type SnoozeChoice = keyof typeof SNOOZE_OPTIONS;

export function isSnoozeChoice(value: unknown): value is SnoozeChoice {
  return typeof value === 'string' && Object.hasOwn(SNOOZE_OPTIONS, value);
}

export const INCIDENT_REF_RE = /^i\.([A-Za-z0-9_-]{1,80})$/;

export type AckResult =
  | { kind: 'acked'; target: string }
  | { kind: 'already'; target: string; by: string }
  | { kind: 'unknown' };

export type SnoozeResult =
  | { kind: 'snoozed'; target: string; until: number; cause?: string; diagnosisId?: string; channel: string }
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

  async ack(id: string, by: string): Promise<AckResult> {
    const rec = await this.store.incident(id);
    if (!rec) return { kind: 'unknown' };
    if (!(await this.store.setIncidentOnce(id, 'ackedBy', by))) {
      return { kind: 'already', target: rec.target, by: (await this.store.incidentField(id, 'ackedBy')) ?? '' };
    }
    const at = this.now();
    await this.store.updateIncident(id, { ackedAt: at });
    const acked = { ...rec, ackedBy: by, ackedAt: at };
    if (rec.ts) {
      await this.sink.note(rec.channel, rec.ts, { kind: 'acked', by }, incidentView(acked, this.settings));
      await this.sink.update(rec.channel, rec.ts, incidentView(acked, this.settings));
    }
    return { kind: 'acked', target: rec.target };
  }

  async snooze(id: string, by: string, choice: SnoozeChoice): Promise<SnoozeResult> {
    const rec = await this.store.incident(id);
    if (!rec) return { kind: 'unknown' };
    const at = this.now();
    const until = at + SNOOZE_OPTIONS[choice];
    await this.store.snooze({ target: rec.target, by, at, until, incidentId: id }, at);
    if (rec.ts) await this.sink.note(rec.channel, rec.ts, { kind: 'snoozed', by, until, label: choice }, incidentView(rec, this.settings));
    return { kind: 'snoozed', target: rec.target, until, channel: rec.channel, ...(rec.cause ? { cause: rec.cause } : {}), ...(rec.diagnosisId ? { diagnosisId: rec.diagnosisId } : {}) };
  }
}

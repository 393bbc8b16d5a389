/**
 * What POST /alertmanager hands on: each alert of a payload mapped to a
 * configured target and queued here, then worked off in the background so
 * the answer to Alertmanager never waits on a diagnosis or on Slack (it
 * would time out and resend: a storm). Bounded: at most MAX_PENDING alerts
 * wait (past that they are dropped and counted; Alertmanager sends them
 * again at its next repeat_interval), at most `concurrency` targets are
 * worked on at once, and one target's alerts run in the order received (a
 * resolved never overtakes its firing).
 *
 * Counted in redis_doctor_alertmanager_alerts_total{outcome}:
 *   opened, joined (an incident was already open: the monitor's, or another
 *   alert's), duplicate (a repeat, or the same alert in another group),
 *   ended-before (a late firing of an alert already resolved), resolved,
 *   ended (one of several alerts ended; or the probe resolves it),
 *   not-firing (resolved, never seen firing), unknown-target, dropped, error.
 */
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { ExternalAlert, ExternalIncidents } from '../monitor/external.js';
import { alertKey, alertLabel, timeOf, type TargetMapper } from './mapping.js';
import type { AlertmanagerPayload } from './payload.js';

export const MAX_PENDING = 2000;
const DEFAULT_CONCURRENCY = 4;

interface Item {
  kind: 'fire' | 'end';
  alert: ExternalAlert;
  endsAt: number;
}

export interface IntakeDeps {
  incidents: ExternalIncidents;
  mapper: TargetMapper;
  metrics: Metrics;
  log: Logger;
  concurrency?: number;
  now?: () => number;
}

export class AlertIntake {
  private readonly queues = new Map<string, Item[]>();
  private readonly ready: string[] = [];
  private readonly active = new Set<string>();
  private pending = 0;
  private readonly idle: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly deps: IntakeDeps) {}

  private count(outcome: string, n = 1): void {
    this.deps.metrics.alertmanagerAlerts.inc({ outcome }, n);
  }

  /** Queues the payload's alerts; returns what was accepted, at once. */
  accept(payload: AlertmanagerPayload): { queued: number; unknown: number; dropped: number } {
    const now = (this.deps.now ?? Date.now)();
    let queued = 0;
    let unknown = 0;
    let dropped = 0;
    for (const a of payload.alerts) {
      const target = this.deps.mapper.targetOf(a.labels);
      if (!target) {
        unknown += 1;
        continue;
      }
      if (this.stopped || this.pending >= MAX_PENDING) {
        dropped += 1;
        continue;
      }
      const item: Item = {
        kind: a.status === 'firing' ? 'fire' : 'end',
        alert: { key: alertKey(a), startsAt: timeOf(a.startsAt, now), label: alertLabel(a.labels) },
        endsAt: timeOf(a.endsAt, now),
      };
      let q = this.queues.get(target);
      if (!q) {
        q = [];
        this.queues.set(target, q);
        if (!this.active.has(target)) this.ready.push(target);
      }
      q.push(item);
      this.pending += 1;
      queued += 1;
    }
    if (unknown) {
      this.count('unknown-target', unknown);
      // Logged, never echoed: the labels are the sender's text.
      this.deps.log.log('info', 'Alertmanager alerts for no configured target: ignored', { count: unknown, receiver: (payload.receiver ?? '').slice(0, 60) });
    }
    if (dropped) {
      this.count('dropped', dropped);
      this.deps.log.log('warn', 'Alertmanager alerts dropped: too many waiting (Alertmanager sends them again)', { count: dropped, pending: this.pending });
    }
    this.pump();
    return { queued, unknown, dropped };
  }

  /** Alerts waiting or being worked on. */
  get size(): number {
    return this.pending;
  }

  private pump(): void {
    const max = this.deps.concurrency ?? DEFAULT_CONCURRENCY;
    while (this.active.size < max && this.ready.length > 0) {
      const target = this.ready.shift()!;
      this.active.add(target);
      void this.work(target);
    }
    if (this.pending === 0 && this.active.size === 0) for (const r of this.idle.splice(0)) r();
  }

  private async work(target: string): Promise<void> {
    // One target at a time, its alerts in order; a bounded turn so one busy target does not hold a slot for ever.
    for (let i = 0; i < 50; i++) {
      const q = this.queues.get(target);
      const item = q?.shift();
      if (!item) break;
      if (q!.length === 0) this.queues.delete(target);
      try {
        const outcome = item.kind === 'fire'
          ? await this.deps.incidents.fire(target, item.alert)
          : await this.deps.incidents.end(target, item.alert.key, item.endsAt);
        this.count(outcome);
        if (outcome !== 'duplicate') this.deps.log.log('info', 'Alertmanager alert', { target, outcome, alert: item.alert.label });
      } catch (err) {
        this.count('error');
        this.deps.log.log('warn', 'an Alertmanager alert could not be worked on (Alertmanager sends it again)', { target, error: (err as Error).message });
      } finally {
        this.pending -= 1;
      }
    }
    this.active.delete(target);
    if (this.queues.has(target)) this.ready.push(target);
    this.pump();
  }

  /** Takes no more alerts; resolves once those queued are worked off or `ms` passed. */
  async stop(ms: number): Promise<void> {
    this.stopped = true;
    if (this.pending === 0 && this.active.size === 0) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref();
      this.idle.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

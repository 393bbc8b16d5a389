/** What `/redis-diagnose status` shows of the monitor: each monitored target's state, since when, and its cause. */
import type { MonitorStore } from '../stores/monitor-store.js';
import type { Status } from './state-machine.js';

export interface MonitorStatus {
  status: Status;
  since: number;
  /** The open incident's primary cause (or the last failure's code while suspect). */
  cause?: string;
  lastFailureCode?: string;
  /** The p99 of the last probe's PINGs, ms (monitor/latency.ts). */
  latencyP99Ms?: number;
}

/** States of the monitored targets that have been probed; bounded by the number of targets. */
export async function monitorStatuses(store: MonitorStore, targets: readonly string[]): Promise<Map<string, MonitorStatus>> {
  const states = await store.states(targets);
  const out = new Map<string, MonitorStatus>();
  await Promise.all([...states].map(async ([name, s]) => {
    const stored = s.incident ? await store.incidentField(s.incident.id, 'cause').catch(() => undefined) : undefined;
    const cause = stored && stored !== 'none' ? stored : undefined;
    out.set(name, {
      status: s.status, since: s.since,
      ...(cause ? { cause } : {}),
      ...(s.status !== 'up' && s.lastFailure ? { lastFailureCode: s.lastFailure.code } : {}),
      ...(s.latency ? { latencyP99Ms: s.latency.p99Ms } : {}),
    });
  }));
  return out;
}

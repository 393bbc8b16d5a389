/**
 * An incident as the monitor keeps and shows it: its references (the button
 * ref, the id of each of its diagnoses) and the view of its parent message.
 * Pure.
 */
import { createHash } from 'node:crypto';
import type { IncidentRecord } from '../stores/monitor-store.js';
import type { IncidentView } from './alert-sink.js';

export interface AlertSettings {
  channel: string;
  intervalSeconds: number;
  failuresBeforeAlert: number;
  successesBeforeRecovery: number;
  remindAfterMinutes: number;
  /** A tick's PING p99 above this (ms) counts as a failed probe (monitor/latency.ts); absent: latency never alerts. */
  latencyMs?: number;
  /** alerts.mention: who an alert pages (validated by the schema). */
  mention?: string;
  /** alerts.groupWaitSeconds (grouping.ts); 0 or absent: never group. */
  groupWaitSeconds?: number;
}

export function incidentRef(id: string): string {
  return `i.${id}`;
}

/** `m-<hex>`: a DiagnosisStore id (refs.ts DIAGNOSIS_ID_RE), deterministic per incident and diagnosis number. */
export function incidentDiagnosisId(incidentId: string, n: number): string {
  return `m-${createHash('sha256').update(`${incidentId}\u0000${n}`).digest('hex').slice(0, 24)}`;
}

/** How the parent message shows an incident record (pure). */
export function incidentView(rec: IncidentRecord, s: Pick<AlertSettings, 'failuresBeforeAlert' | 'intervalSeconds'>): IncidentView {
  return {
    id: rec.id, ref: incidentRef(rec.id), target: rec.target, reason: rec.reason,
    firstFailureAt: rec.firstFailureAt, firstCode: rec.firstCode, openedAt: rec.openedAt,
    failuresBeforeAlert: s.failuresBeforeAlert, intervalSeconds: s.intervalSeconds,
    ...(rec.source ? { source: rec.source } : {}),
    ...(rec.targetInfo ? { targetInfo: rec.targetInfo } : {}),
    ...(rec.cause ? { cause: rec.cause } : {}),
    ...(rec.title ? { title: rec.title } : {}),
    ...(rec.diagnosedFrom ? { diagnosedFrom: rec.diagnosedFrom } : {}),
    ...(rec.firstError ? { firstError: rec.firstError } : {}),
    ...(rec.lastOkAt !== undefined ? { lastOkAt: rec.lastOkAt } : {}),
    ...(rec.ackedBy ? { ackedBy: rec.ackedBy } : {}),
    ...(rec.resolvedAt !== undefined ? { resolvedAt: rec.resolvedAt } : {}),
    ...(rec.downtimeMs !== undefined ? { downtimeMs: rec.downtimeMs } : {}),
    ...(rec.mention ? { mention: rec.mention } : {}),
    ...(rec.runbookUrl ? { runbookUrl: rec.runbookUrl } : {}),
    ...(rec.dashboardUrl ? { dashboardUrl: rec.dashboardUrl } : {}),
    ...(rec.groupId ? { inGroup: true } : {}),
  };
}

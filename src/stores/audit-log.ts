/**
 * The audit trail of remediations: one entry per request, decision,
 * execution and result, in a Redis stream under the queue's hash-tag prefix
 * (`<prefix>:store:audit-log`), capped with `XADD … MAXLEN ~ 10000` ("~"
 * lets Redis trim whole macro nodes: cheap, and never fewer than 10000 kept).
 *
 * Every entry repeats the context of its request — who asked, who decided,
 * target, cause, remediation id, the command, the outcome, the timestamps —
 * so one entry answers "what happened" without joining others. Entries are
 * flat field/value pairs (redis-cli XREVRANGE reads them as they are).
 * Transitions write their entry inside the same Lua script as the state
 * change (approval-store.ts); entries with no state change (a refused click)
 * are appended here.
 */
import type { Redis } from 'ioredis';
import { withTimeout } from '../util/timeout.js';
import { storeKey } from './keys.js';
import type { RequestState } from './remediation-states.js';

export const AUDIT_MAX = 10_000;
const REDIS_MS = 1000;

export type AuditEvent =
  | 'requested' | 'approved' | 'denied' | 'expired' | 'withdrawn'
  | 'started' | 'applied' | 'failed' | 'unknown' | 'refused'
  /** Someone clicked a decision button and was refused (not an approver, own request …); nothing changed. */
  | 'click-refused'
  /** An alert's target was snoozed (the monitor): no alerts for it until the time in `reason`. */
  | 'snoozed'
  /** Someone acknowledged an alert's incident ("I'm on it"): no more reminders for it. */
  | 'acked'
  /** Someone opened a guided remediation's steps (`steps:`): a view, nothing was changed or run. */
  | 'steps-shown'
  /** An approver set (`silenced`) or ended (`unsilenced`) a maintenance window (slack/commands-silence.ts). */
  | 'silenced' | 'unsilenced'
  /** A command that changes something was refused (not an approver); nothing changed. */
  | 'command-refused';

export interface AuditRecord {
  at: string;
  event: AuditEvent;
  /** Who did this: a Slack user id, or `worker:<host>:<pid>` for an execution. */
  by: string;
  requestId: string;
  diagnosisId: string;
  /** The config target name, or the ad-hoc address. */
  target: string;
  cause: string;
  remediationId: string;
  risk: string;
  mode: string;
  /** `run` (the command is sent once approved) or `steps` (guided: steps are posted). */
  plan?: string;
  /** The argv, space-joined, exactly as sent or to be sent. */
  command?: string;
  requestedBy: string;
  requestedAt: string;
  decidedBy?: string;
  decidedAt?: string;
  /** The request's state after this event (`snoozed`, `acked` for an alert's buttons; `refused` for a refused click on one; `viewed` for shown steps). */
  outcome: RequestState | 'snoozed' | 'acked' | 'viewed' | 'silenced' | 'unsilenced';
  /** The server's reply (redacted, cut), for execution results. */
  reply?: string;
  reason?: string;
  channel: string;
}

export interface AuditEntry {
  /** The stream entry id (`<ms>-<seq>`). */
  id: string;
  record: AuditRecord;
}

const MAX_FIELD = 2000;

/** Field/value pairs for XADD, undefined fields left out, each value cut. */
export function auditFields(record: AuditRecord): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(record)) {
    if (v === undefined) continue;
    const text = String(v);
    out.push(k, text.length > MAX_FIELD ? `${text.slice(0, MAX_FIELD - 1)}…` : text);
  }
  return out;
}

function recordOf(fields: string[]): AuditRecord {
  const r: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) r[fields[i]!] = fields[i + 1]!;
  return r as unknown as AuditRecord;
}

export class AuditLog {
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly onAppend?: (record: AuditRecord, id: string) => void) {}

  get key(): string {
    return storeKey(this.prefix, 'audit-log');
  }

  /** For the stores' transition scripts: the entry is written there, then announced here (the log line). */
  announce(record: AuditRecord, id: string): void {
    this.onAppend?.(record, id);
  }

  async append(record: AuditRecord): Promise<string> {
    const id = await withTimeout(
      this.redis.xadd(this.key, 'MAXLEN', '~', String(AUDIT_MAX), '*', ...auditFields(record)),
      REDIS_MS, 'writing the audit record',
    );
    this.announce(record, id ?? '');
    return id ?? '';
  }

  /** The newest `count` entries, newest first. */
  async latest(count: number): Promise<AuditEntry[]> {
    const rows = await withTimeout(this.redis.xrevrange(this.key, '+', '-', 'COUNT', count), REDIS_MS, 'reading the audit trail');
    return rows.map(([id, fields]) => ({ id, record: recordOf(fields) }));
  }
}

/**
 * Approval requests for remediations, their decisions and the audit trail,
 * in the queue Redis under the queue's hash-tag prefix.
 *
 * Idempotence comes from SET NX: one request per (diagnosis, remediation),
 * one decision per request — a double click, or two approvers clicking at
 * once, finds the first outcome instead of making a second one. There is no
 * in-memory fallback on purpose: an approval that cannot be audited is not
 * recorded.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CauseId, Remediation, TargetInfo } from '../engine/types.js';
import { withTimeout } from '../jobs/redis.js';

export interface ApprovalRequest {
  id: string;
  diagnosisId: string;
  target: TargetInfo;
  cause: CauseId;
  remediation: Remediation;
  requestedBy: string;
  channel: string;
  /** The thread of the diagnosis the request was made in. */
  threadTs: string;
  createdAt: string;
}

export type DecisionKind = 'approved' | 'denied';

export interface Decision {
  requestId: string;
  decision: DecisionKind;
  by: string;
  at: string;
}

export interface AuditRecord {
  at: string;
  event: 'requested' | DecisionKind;
  requestId: string;
  by: string;
  diagnosisId: string;
  target: string;
  cause: CauseId;
  remediationId: string;
  risk: string;
  mode: string;
  channel: string;
}

const TTL_S = 30 * 24 * 3600;
const AUDIT_MAX = 10_000;
const REDIS_MS = 1000;

export class ApprovalStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(...parts: string[]): string {
    return [this.prefix, 'store', ...parts].join(':');
  }

  private run<T>(work: Promise<T>, what: string): Promise<T> {
    return withTimeout(work, REDIS_MS, what);
  }

  /** Creates the request unless one exists for this diagnosis and remediation; returns the one that counts. */
  async request(fields: Omit<ApprovalRequest, 'id' | 'createdAt'>): Promise<{ request: ApprovalRequest; created: boolean }> {
    const request: ApprovalRequest = { ...fields, id: `r${randomBytes(9).toString('base64url')}`, createdAt: new Date().toISOString() };
    const own = this.key('approval', request.id);
    // The record is written before it is claimed, so whoever loses the claim can read the winner's record.
    await this.run(this.redis.set(own, JSON.stringify(request), 'EX', TTL_S), 'recording the approval request');
    const slot = this.key('approval-for', fields.diagnosisId, fields.remediation.id);
    const won = await this.run(this.redis.set(slot, request.id, 'EX', TTL_S, 'NX'), 'recording the approval request');
    if (won === 'OK') return { request, created: true };
    const existingId = await this.run(this.redis.get(slot), 'reading the approval request');
    const existing = existingId ? await this.get(existingId) : undefined;
    if (!existing) return { request, created: true };
    await this.run(this.redis.del(own), 'dropping a duplicate approval request');
    return { request: existing, created: false };
  }

  async get(id: string): Promise<ApprovalRequest | undefined> {
    const text = await this.run(this.redis.get(this.key('approval', id)), 'reading the approval request');
    return text ? (JSON.parse(text) as ApprovalRequest) : undefined;
  }

  /** The first decision wins; `decided` is false when an earlier one was found. */
  async decide(requestId: string, decision: DecisionKind, by: string): Promise<{ decision: Decision; decided: boolean }> {
    const mine: Decision = { requestId, decision, by, at: new Date().toISOString() };
    const key = this.key('approval', requestId, 'decision');
    const won = await this.run(this.redis.set(key, JSON.stringify(mine), 'EX', TTL_S, 'NX'), 'recording the decision');
    if (won === 'OK') return { decision: mine, decided: true };
    const text = await this.run(this.redis.get(key), 'reading the decision');
    return { decision: text ? (JSON.parse(text) as Decision) : mine, decided: false };
  }

  async audit(record: AuditRecord): Promise<void> {
    const key = this.key('audit');
    await this.run(this.redis.multi().lpush(key, JSON.stringify(record)).ltrim(key, 0, AUDIT_MAX - 1).exec(), 'writing the audit record');
  }
}

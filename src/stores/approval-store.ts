/**
 * Approval requests for remediations, their decisions and the audit trail,
 * in the queue Redis under the queue's hash-tag prefix.
 *
 * Idempotence comes from SET NX: one request per (diagnosis, remediation),
 * one decision per request — a double click, or two approvers clicking at
 * once, finds the first outcome instead of making a second one. There is no
 * in-memory fallback on purpose: an approval that cannot be audited is not
 * recorded — a decision and its audit record are written by one Lua script.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CauseId, Remediation, TargetInfo } from '../engine/index.js';
import { withTimeout } from '../util/timeout.js';

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

/**
 * SET NX of the decision, and only if it won, LPUSH + LTRIM of its audit
 * record. Redis runs a script atomically ("no other script or Redis command
 * will be executed while a script is executing"), but does not undo writes
 * already made when a later command fails: so whatever can make the audit
 * push fail (a key of another type) is checked before the first write. Both
 * keys share the prefix's hash tag, one Cluster slot.
 *
 * KEYS: decision, audit list. ARGV: decision JSON, TTL s, audit JSON, audit max.
 * Returns {1, decision} when this one was stored, else {0, the earlier one}.
 */
const DECIDE_SCRIPT = `
local kind = redis.call('TYPE', KEYS[2]).ok
if kind ~= 'list' and kind ~= 'none' then
  return redis.error_reply('WRONGTYPE the audit trail ' .. KEYS[2] .. ' is a ' .. kind .. ', not a list')
end
if redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'NX') then
  redis.call('LPUSH', KEYS[2], ARGV[3])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[4]) - 1)
  return {1, ARGV[1]}
end
return {0, redis.call('GET', KEYS[1])}
`;

/**
 * Frees the (diagnosis, remediation) slot if it still names this request, and
 * drops the request record. KEYS: slot, request record. ARGV: request id.
 */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('DEL', KEYS[2])
return 1
`;

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

  /** Undoes request(): for a request that was never shown, so that the next click can ask again. */
  async release(request: ApprovalRequest): Promise<void> {
    const keys = [this.key('approval-for', request.diagnosisId, request.remediation.id), this.key('approval', request.id)];
    await this.run(this.redis.eval(RELEASE_SCRIPT, keys.length, ...keys, request.id), 'releasing the approval request');
  }

  async get(id: string): Promise<ApprovalRequest | undefined> {
    const text = await this.run(this.redis.get(this.key('approval', id)), 'reading the approval request');
    return text ? (JSON.parse(text) as ApprovalRequest) : undefined;
  }

  /**
   * The first decision wins, stored together with the audit record `auditOf`
   * makes of it (or neither is); `decided` is false when an earlier one was found.
   */
  async decide(requestId: string, decision: DecisionKind, by: string, auditOf: (d: Decision) => AuditRecord): Promise<{ decision: Decision; decided: boolean }> {
    const mine: Decision = { requestId, decision, by, at: new Date().toISOString() };
    const keys = [this.key('approval', requestId, 'decision'), this.key('audit')];
    const [won, text] = (await this.run(
      this.redis.eval(DECIDE_SCRIPT, keys.length, ...keys, JSON.stringify(mine), TTL_S, JSON.stringify(auditOf(mine)), AUDIT_MAX),
      'recording the decision and its audit record',
    )) as [number, string | null];
    if (won === 1) return { decision: mine, decided: true };
    return { decision: text ? (JSON.parse(text) as Decision) : mine, decided: false };
  }

  async audit(record: AuditRecord): Promise<void> {
    const key = this.key('audit');
    await this.run(this.redis.multi().lpush(key, JSON.stringify(record)).ltrim(key, 0, AUDIT_MAX - 1).exec(), 'writing the audit record');
  }
}

/**
 * Approval requests for remediations and their ledger, in the queue Redis
 * under the queue's hash-tag prefix (one Cluster slot for every key a script
 * touches):
 *
 *   <prefix>:store:remediation:<request-id>        hash: the request and its state (the ledger)
 *   <prefix>:store:remediation-for:<diagnosis>:<remediation>   the request holding that fix's slot
 *   <prefix>:store:audit-log                       stream: the audit trail (audit-log.ts)
 *
 * Every change of state is one Lua script: it checks the current state
 * against the transitions of remediation-states.ts (and, where it matters,
 * the expiry, the action hash, the runner), writes the new state and appends
 * the audit entry — atomically ("no other script or Redis command will be
 * executed while a script is executing"), so of two clicks on two web
 * processes, or two workers, exactly one wins, and no state changes without
 * its audit entry. Redis does not undo writes made before a later command of
 * the script fails, so what could make the audit append fail (a key of
 * another type) is checked before the first write, and the entry is appended
 * before the state is written.
 *
 * There is no in-memory fallback on purpose: a fix that cannot be recorded
 * is not approved, and one that cannot be claimed is not run.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CauseId, Remediation, TargetInfo } from '../engine/index.js';
import { withTimeout } from '../util/timeout.js';
import { AUDIT_MAX, auditFields, type AuditEvent, type AuditLog, type AuditRecord } from './audit-log.js';
import { storeKey } from './keys.js';
import { isRequestState, REOPENING, sourcesOf, type RequestState } from './remediation-states.js';

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
  /** After this a click changes nothing (access.approvalTtlSeconds). */
  expiresAt: string;
}

export type Plan = 'run' | 'steps';

/** A request with its state: what the ledger hash holds. */
export interface Ledger {
  request: ApprovalRequest;
  state: RequestState;
  /** The approval request message in Slack, once posted. */
  messageTs?: string;
  decidedBy?: string;
  decidedAt?: string;
  plan?: Plan;
  /** Hash of the exact action approved (target + argv): the worker runs only what hashes the same. */
  actionHash?: string;
  /** Who claimed the execution (a job attempt). */
  runner?: string;
  startedAt?: string;
  finishedAt?: string;
  /** The command was written to the target's connection. */
  sent?: boolean;
  reply?: string;
  reason?: string;
}

export type TransitionFailure = 'missing' | 'state' | 'expired' | 'guard';

export type Transition =
  | { ok: true; ledger: Ledger; from: RequestState }
  | { ok: false; why: TransitionFailure; ledger?: Ledger };

/** Records are kept 30 days (config/schema.ts bounds approvalTtlSeconds by it). */
const TTL_S = 30 * 24 * 3600;
const REDIS_MS = 1000;

/**
 * The one script every state change goes through.
 *
 * KEYS: ledger hash, audit stream.
 * ARGV: to-state, allowed from-states (space separated), now (ms), expiry check ('1': must not have
 *       expired, '2': must have expired, '0': none),
 *       guard field ('' for none), guard value, audit max length, n (field pairs to set),
 *       then n field/value pairs, then the audit entry's field/value pairs.
 * Returns {status, state before, HGETALL after, audit entry id}; status ok | missing | state | expired | guard.
 */
const TRANSITION_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing', '', {}} end
local kind = redis.call('TYPE', KEYS[2]).ok
if kind ~= 'stream' and kind ~= 'none' then
  return redis.error_reply('WRONGTYPE the audit trail ' .. KEYS[2] .. ' is a ' .. kind .. ', not a stream')
end
local state = redis.call('HGET', KEYS[1], 'state')
local allowed = false
for s in string.gmatch(ARGV[2], '%S+') do
  if s == state then allowed = true end
end
if not allowed then return {'state', state, redis.call('HGETALL', KEYS[1])} end
local expired = tonumber(redis.call('HGET', KEYS[1], 'expiresAtMs') or '0') <= tonumber(ARGV[3])
if ARGV[4] == '1' and expired then return {'expired', state, redis.call('HGETALL', KEYS[1])} end
if ARGV[4] == '2' and not expired then return {'guard', state, redis.call('HGETALL', KEYS[1])} end
if ARGV[5] ~= '' and redis.call('HGET', KEYS[1], ARGV[5]) ~= ARGV[6] then
  return {'guard', state, redis.call('HGETALL', KEYS[1])}
end
local n = tonumber(ARGV[8])
local audit = {}
for i = 9 + 2 * n, #ARGV do audit[#audit + 1] = ARGV[i] end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*', unpack(audit))
local set = {'state', ARGV[1]}
for i = 9, 8 + 2 * n do set[#set + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(set))
return {'ok', state, redis.call('HGETALL', KEYS[1]), id}
`;

/**
 * A new request, unless the fix's slot is held by a live one.
 *
 * KEYS: slot, new ledger, audit stream, the ledger the slot named when the caller read it ('' → a dummy key).
 * ARGV: new id, id the slot held ('' if none), reopening states, now (ms), key TTL s, audit max,
 *       n (ledger field pairs), the pairs, then the audit entry's pairs.
 * Returns {'created', id, audit entry id} | {'exists', id, state} | {'stale', id} (pending, past its expiry) | {'retry'} (the slot moved).
 */
const CREATE_SCRIPT = `
local held = redis.call('GET', KEYS[1]) or ''
if held ~= ARGV[2] then return {'retry'} end
if held ~= '' then
  local state = redis.call('HGET', KEYS[4], 'state')
  if state then
    local reopens = false
    for s in string.gmatch(ARGV[3], '%S+') do
      if s == state then reopens = true end
    end
    if not reopens then
      if state == 'pending' and tonumber(redis.call('HGET', KEYS[4], 'expiresAtMs') or '0') <= tonumber(ARGV[4]) then
        return {'stale', held}
      end
      return {'exists', held, state}
    end
  end
end
local kind = redis.call('TYPE', KEYS[3]).ok
if kind ~= 'stream' and kind ~= 'none' then
  return redis.error_reply('WRONGTYPE the audit trail ' .. KEYS[3] .. ' is a ' .. kind .. ', not a stream')
end
local n = tonumber(ARGV[7])
local audit = {}
for i = 8 + 2 * n, #ARGV do audit[#audit + 1] = ARGV[i] end
local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', unpack(audit))
local fields = {}
for i = 8, 7 + 2 * n do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[5])
return {'created', ARGV[1], id}
`;

/** HSET on an existing ledger only. KEYS: ledger. ARGV: field, value. */
const SET_IF_EXISTS_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1 end
return 0
`;

function pairsOf(fields: Record<string, string | undefined>): string[] {
  return Object.entries(fields).flatMap(([k, v]) => (v === undefined ? [] : [k, v]));
}

function ledgerOf(flat: string[]): Ledger | undefined {
  const h: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) h[flat[i]!] = flat[i + 1]!;
  if (!h.request || !isRequestState(h.state)) return undefined;
  const ledger: Ledger = { request: JSON.parse(h.request) as ApprovalRequest, state: h.state };
  if (h.messageTs) ledger.messageTs = h.messageTs;
  if (h.decidedBy) ledger.decidedBy = h.decidedBy;
  if (h.decidedAt) ledger.decidedAt = h.decidedAt;
  if (h.plan === 'run' || h.plan === 'steps') ledger.plan = h.plan;
  if (h.actionHash) ledger.actionHash = h.actionHash;
  if (h.runner) ledger.runner = h.runner;
  if (h.startedAt) ledger.startedAt = h.startedAt;
  if (h.finishedAt) ledger.finishedAt = h.finishedAt;
  if (h.sent !== undefined) ledger.sent = h.sent === '1';
  if (h.reply !== undefined) ledger.reply = h.reply;
  if (h.reason !== undefined) ledger.reason = h.reason;
  return ledger;
}

/** The argv as shown and audited. */
export function commandText(argv: readonly string[] | undefined): string | undefined {
  return argv && argv.length > 0 ? argv.join(' ') : undefined;
}

export interface TransitionSpec {
  to: RequestState;
  now: number;
  /**
   * `before`: refuse (status `expired`) when the request is past its expiry — decisions check it,
   * executions do not; `after`: refuse (status `guard`) unless it is past its expiry.
   */
  expiry?: 'before' | 'after';
  /** The field must hold this value (the action hash, the runner). */
  guard?: { field: 'actionHash' | 'runner'; value: string };
  set?: Partial<Record<'decidedBy' | 'decidedAt' | 'plan' | 'actionHash' | 'runner' | 'startedAt' | 'finishedAt' | 'sent' | 'reply' | 'reason', string>>;
  event: AuditEvent;
  by: string;
}

type WithScripts = Redis & {
  rdApprovalTransition(ledger: string, audit: string, ...args: string[]): Promise<unknown>;
  rdApprovalCreate(slot: string, ledger: string, audit: string, held: string, ...args: string[]): Promise<unknown>;
  rdApprovalSetIfExists(ledger: string, field: string, value: string): Promise<unknown>;
};

export class ApprovalStore {
  private readonly redis: WithScripts;

  constructor(redis: Redis, private readonly prefix: string, readonly audit: AuditLog) {
    // defineCommand sends EVALSHA and falls back to EVAL when the script is not cached (a restarted Redis).
    if (!('rdApprovalTransition' in redis)) {
      redis.defineCommand('rdApprovalTransition', { numberOfKeys: 2, lua: TRANSITION_SCRIPT });
      redis.defineCommand('rdApprovalCreate', { numberOfKeys: 4, lua: CREATE_SCRIPT });
      redis.defineCommand('rdApprovalSetIfExists', { numberOfKeys: 1, lua: SET_IF_EXISTS_SCRIPT });
    }
    this.redis = redis as unknown as WithScripts;
  }

  private key(...parts: string[]): string {
    return storeKey(this.prefix, ...parts);
  }

  ledgerKey(id: string): string {
    return this.key('remediation', id);
  }

  private slotKey(diagnosisId: string, remediationId: string): string {
    return this.key('remediation-for', diagnosisId, remediationId);
  }

  private run<T>(work: Promise<T>, what: string): Promise<T> {
    return withTimeout(work, REDIS_MS, what);
  }

  /**
   * True for the first claim of `parts` within `ttlSeconds`, false for every
   * other: SET NX is atomic in Redis, so of a double click (or the same click
   * on two processes) one posts. The key expires by itself; release() frees it
   * early when what it guarded could not be done.
   */
  async claimOnce(parts: string[], ttlSeconds: number): Promise<boolean> {
    return (await this.run(this.redis.set(this.key('once', ...parts), '1', 'EX', ttlSeconds, 'NX'), 'claiming the click')) === 'OK';
  }

  async release(parts: string[]): Promise<void> {
    await this.run(this.redis.del(this.key('once', ...parts)), 'releasing the click');
  }

  /** The audit entry of an event on `ledger` (its fields as they are after the event). */
  auditOf(ledger: Ledger, event: AuditEvent, by: string, at: string, extra: Partial<AuditRecord> = {}): AuditRecord {
    const r = ledger.request;
    return {
      at, event, by, requestId: r.id, diagnosisId: r.diagnosisId, target: r.target.name ?? r.target.input, cause: r.cause,
      remediationId: r.remediation.id, risk: r.remediation.risk, mode: r.remediation.mode, plan: ledger.plan,
      command: commandText(r.remediation.redisCommand), requestedBy: r.requestedBy, requestedAt: r.createdAt,
      decidedBy: ledger.decidedBy, decidedAt: ledger.decidedAt, outcome: ledger.state, reply: ledger.reply, reason: ledger.reason,
      channel: r.channel, ...extra,
    };
  }

  /**
   * Creates the request unless a live one holds this fix's slot (pending and
   * not expired, approved, running, or finished); returns the one that counts.
   * A request that was denied, expired or never shown frees the slot.
   */
  async request(fields: Omit<ApprovalRequest, 'id' | 'createdAt' | 'expiresAt'>, ttlSeconds: number, now: number): Promise<{ ledger: Ledger; created: boolean }> {
    const request: ApprovalRequest = {
      ...fields, id: `r${randomBytes(12).toString('base64url')}`,
      createdAt: new Date(now).toISOString(), expiresAt: new Date(now + ttlSeconds * 1000).toISOString(),
    };
    const ledger: Ledger = { request, state: 'pending' };
    const slot = this.slotKey(fields.diagnosisId, fields.remediation.id);
    const record = this.auditOf(ledger, 'requested', fields.requestedBy, request.createdAt);
    const hash = pairsOf({ request: JSON.stringify(request), state: 'pending', expiresAtMs: String(now + ttlSeconds * 1000), requestedBy: fields.requestedBy });
    // Bounded: each round either decides or finds the slot moved by a concurrent click.
    for (let round = 0; round < 4; round++) {
      const held = (await this.run(this.redis.get(slot), 'reading the approval request')) ?? '';
      const reply = (await this.run(
        this.redis.rdApprovalCreate(
          slot, this.ledgerKey(request.id), this.audit.key, held ? this.ledgerKey(held) : this.key('remediation', '-'),
          request.id, held, REOPENING.join(' '), String(now), String(TTL_S), String(AUDIT_MAX), String(hash.length / 2), ...hash, ...auditFields(record),
        ),
        'recording the approval request',
      )) as string[];
      if (reply[0] === 'created') {
        this.audit.announce(record, reply[2] ?? '');
        return { ledger, created: true };
      }
      if (reply[0] === 'stale') {
        await this.expire(reply[1]!, now, fields.requestedBy);
        continue;
      }
      if (reply[0] === 'exists') {
        const existing = await this.get(reply[1]!);
        if (existing) return { ledger: existing, created: false };
      }
    }
    throw new Error('the approval request slot kept changing; try again');
  }

  async get(id: string): Promise<Ledger | undefined> {
    const flat = await this.run(this.redis.hgetall(this.ledgerKey(id)), 'reading the approval request');
    return ledgerOf(Object.entries(flat).flat());
  }

  /** Where the request message is, once posted (chat.update edits it later). */
  async setMessage(id: string, ts: string): Promise<void> {
    await this.run(this.redis.rdApprovalSetIfExists(this.ledgerKey(id), 'messageTs', ts), 'recording the approval message');
  }

  /** One state change with its audit entry, or nothing (see TRANSITION_SCRIPT). */
  async transition(id: string, spec: TransitionSpec): Promise<Transition> {
    const before = await this.get(id);
    if (!before) return { ok: false, why: 'missing' };
    const set: Record<string, string | undefined> = { ...spec.set };
    const after: Ledger = { ...before, state: spec.to };
    for (const [k, v] of Object.entries(set)) {
      if (v === undefined) continue;
      if (k === 'sent') after.sent = v === '1';
      else if (k === 'plan') after.plan = v as Plan;
      else (after as unknown as Record<string, string>)[k] = v;
    }
    const at = new Date(spec.now).toISOString();
    const record = this.auditOf(after, spec.event, spec.by, at);
    const pairs = pairsOf(set);
    const [status, , flat, auditId] = (await this.run(
      this.redis.rdApprovalTransition(
        this.ledgerKey(id), this.audit.key,
        spec.to, sourcesOf(spec.to).join(' '), String(spec.now), spec.expiry === 'before' ? '1' : spec.expiry === 'after' ? '2' : '0',
        spec.guard?.field ?? '', spec.guard?.value ?? '', String(AUDIT_MAX), String(pairs.length / 2), ...pairs, ...auditFields(record),
      ),
      `recording the ${spec.event} state and its audit record`,
    )) as [string, string, string[], string | undefined];
    const ledger = ledgerOf(flat ?? []);
    if (status === 'ok' && ledger) {
      this.audit.announce(record, auditId ?? '');
      return { ok: true, ledger, from: before.state };
    }
    return { ok: false, why: (status === 'ok' ? 'missing' : status) as TransitionFailure, ...(ledger ? { ledger } : {}) };
  }

  /** pending → expired, once the click that finds it late arrives (there is no sweeper). */
  expire(id: string, now: number, by: string): Promise<Transition> {
    return this.transition(id, { to: 'expired', now, expiry: 'after', event: 'expired', by, set: { reason: 'no decision before the request expired' } });
  }

  /** For a request that was never shown (Slack refused the post): frees the slot so the next click asks again. */
  withdraw(id: string, now: number, by: string, reason: string): Promise<Transition> {
    return this.transition(id, { to: 'withdrawn', now, event: 'withdrawn', by, set: { reason } });
  }
}

/**
 * What the monitor keeps in the queue Redis, under the queue's hash-tag
 * prefix (one Redis Cluster slot), so a restarted or second worker carries on
 * where another stopped:
 *
 *   <prefix>:store:monitor:state:<target>         hash  v (version), s (TargetState JSON), t (last tick counted)
 *   <prefix>:store:monitor:incident:<id>          hash  the incident: target, channel, cause, Slack ts, ack …
 *   <prefix>:store:monitor:claim:<id>:<what>      string, SET NX PX: who may post <what> now (a lease)
 *   <prefix>:store:monitor:snooze:<target>        string, PX: who snoozed the target and until when
 *   <prefix>:store:monitor:backlog, slack-wait …  the alerts waiting for Slack (alert-backlog.ts)
 *   <prefix>:store:monitor:group…, groupkey:…    grouped alerts (group-store.ts)
 *   <prefix>:store:monitor:silences              maintenance windows (silence-store.ts)
 *
 * State transitions are compare-and-set on the version (a Lua script: Redis
 * runs it atomically), so two workers that probed the same target never both
 * count their result on the same old state: the loser gets the current state
 * in the same reply and recomputes. The script also refuses a tick that is
 * not newer than the last one counted (a job run twice). Claims are leases (SET NX PX): a worker that dies holding one
 * only delays the work by the lease, it cannot strand it.
 */
import type { Redis } from 'ioredis';
import type { TargetInfo } from '../engine/index.js';
import type { TargetState } from '../monitor/state-machine.js';
import { withTimeout } from '../util/timeout.js';
import { AlertBacklog } from './alert-backlog.js';
import { GroupStore } from './group-store.js';
import { storeKey } from './keys.js';

export interface IncidentRecord {
  id: string;
  target: string;
  channel: string;
  openedAt: number;
  reason: 'down' | 'flapping';
  /** Opened by an external alert (monitor/external.ts), not by the probe. */
  source?: 'alertmanager';
  firstFailureAt: number;
  firstCode: string;
  firstError?: string;
  lastOkAt?: number;
  targetInfo?: TargetInfo;
  /** The diagnosis whose findings are in the thread (DiagnosisStore id), its primary cause and title. */
  diagnosisId?: string;
  cause?: string;
  title?: string;
  /** From where the cause was diagnosed, for a target probed from other locations (monitor/incident-location.ts). */
  diagnosedFrom?: string;
  /** The probe failure code the last diagnosis was run for; a new code runs another. */
  diagCode?: string;
  diagnoses: number;
  /** The parent message (alerts.channel), and when it was posted. */
  ts?: string;
  postedAt?: number;
  /** The reminder period last told (1 = the first remindAfterMinutes after the alert). */
  reminded?: number;
  findingsPosted: number;
  findingsTotal?: number;
  flapNoted?: boolean;
  /** Cause-change notes posted. */
  notes: number;
  ackedBy?: string;
  ackedAt?: number;
  resolvedAt?: number;
  downtimeMs?: number;
  recoveryPosted?: boolean;
  parentResolved?: boolean;
  done?: boolean;
  /** Routing (monitor/routing.ts), fixed when the incident opens: who the alert pages, the target's links. */
  mention?: string;
  runbookUrl?: string;
  dashboardUrl?: string;
  /** A grouped alert (monitor/grouping.ts): the group, and this target's own message in the group's thread (`ts` is the group's). */
  groupId?: string;
  headTs?: string;
}

/** The fields of an incident stored as they are read (strings). */
export type IncidentTextField = { [K in keyof IncidentRecord]-?: IncidentRecord[K] extends string | undefined ? K : never }[keyof IncidentRecord];

export interface SnoozeRecord {
  target: string;
  by: string;
  at: number;
  until: number;
  /** The incident whose button was used. */
  incidentId?: string;
}

const REDIS_MS = 1000;
/** An incident is kept this long after it opened (and 30 days after it resolved). */
const INCIDENT_TTL_MS = 90 * 24 * 3600 * 1000;
export const CLOSED_INCIDENT_TTL_MS = 30 * 24 * 3600 * 1000;

/**
 * KEYS: state hash. ARGV: expected version, new state JSON, tick ('' for a write that is not a tick).
 * Returns {1, new version} when written; {0, version, state} when another
 * writer got there first; {-1, version, state} when this tick was counted already.
 */
const CAS_SCRIPT = `
local cur = redis.call('HMGET', KEYS[1], 'v', 't', 's')
local v = tonumber(cur[1] or '0')
if ARGV[3] ~= '' and cur[2] and tonumber(cur[2]) >= tonumber(ARGV[3]) then return {-1, v, cur[3]} end
if v ~= tonumber(ARGV[1]) then return {0, v, cur[3]} end
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'v', v + 1, 's', ARGV[2], 't', ARGV[3])
else
  redis.call('HSET', KEYS[1], 'v', v + 1, 's', ARGV[2])
end
return {1, v + 1}
`;

/**
 * The same compare-and-set for many targets in one call (the monitor's batch
 * writes, monitor/state-writer.ts). KEYS: state hashes. ARGV: per key, three
 * values: expected version, new state JSON, tick. Returns one {code, version,
 * state|false} per key, as CAS_SCRIPT would.
 */
const CAS_MANY_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local b = (i - 1) * 3
  local cur = redis.call('HMGET', key, 'v', 't', 's')
  local v = tonumber(cur[1] or '0')
  if cur[2] and tonumber(cur[2]) >= tonumber(ARGV[b + 3]) then
    out[i] = {-1, v, cur[3]}
  elseif v ~= tonumber(ARGV[b + 1]) then
    out[i] = {0, v, cur[3]}
  else
    redis.call('HSET', key, 'v', v + 1, 's', ARGV[b + 2], 't', ARGV[b + 3])
    out[i] = {1, v + 1}
  end
end
return out
`;

/** KEYS: incident hash. ARGV: ttl ms, field, value, field, value … Creates it only when absent. */
const CREATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;

/**
 * KEYS: state hash, snooze key. ARGV: incident id, snooze JSON, ms. Sets the
 * snooze only while that incident is the target's open one (the state's
 * `incident`): in the same script as the check, so an incident that resolves
 * meanwhile (state writes are scripts too) cannot be snoozed after the fact.
 */
const SNOOZE_OPEN_SCRIPT = `
local s = redis.call('HGET', KEYS[1], 's')
if not s then return 0 end
local st = cjson.decode(s)
if type(st.incident) ~= 'table' or st.incident.id ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1
`;

/** KEYS: claim key. ARGV: owner. Deletes the claim only if this owner still holds it. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const NUMBER_FIELDS = ['openedAt', 'firstFailureAt', 'lastOkAt', 'diagnoses', 'findingsPosted', 'findingsTotal', 'notes', 'ackedAt', 'resolvedAt', 'downtimeMs', 'postedAt', 'reminded'] as const;
const BOOLEAN_FIELDS = ['flapNoted', 'recoveryPosted', 'parentResolved', 'done'] as const;

function toFields(rec: Partial<IncidentRecord>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (v === undefined) continue;
    out.push(k, k === 'targetInfo' ? JSON.stringify(v) : typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  return out;
}

function fromFields(h: Record<string, string>): IncidentRecord | undefined {
  if (!h.id || !h.target) return undefined;
  const rec: Record<string, unknown> = { ...h };
  for (const k of NUMBER_FIELDS) if (h[k] !== undefined) rec[k] = Number(h[k]);
  for (const k of BOOLEAN_FIELDS) if (h[k] !== undefined) rec[k] = h[k] === '1';
  if (h.targetInfo) rec.targetInfo = JSON.parse(h.targetInfo) as TargetInfo;
  rec.diagnoses ??= 0;
  rec.findingsPosted ??= 0;
  rec.notes ??= 0;
  return rec as unknown as IncidentRecord;
}

export type CasResult =
  | { kind: 'written'; version: number }
  | { kind: 'conflict' | 'duplicate'; version: number; state?: TargetState };

type WithScripts = Redis & {
  rdMonitorCas(key: string, version: number, state: string, tick: string): Promise<[number, number, string | null]>;
  rdMonitorCasMany(n: number, ...keysAndArgs: (string | number)[]): Promise<[number, number, string | null][]>;
  rdMonitorCreate(key: string, ttl: number, ...fields: string[]): Promise<number>;
  rdMonitorRelease(key: string, owner: string): Promise<number>;
  rdMonitorSnoozeOpen(state: string, snooze: string, id: string, rec: string, ms: number): Promise<number>;
};

/** removeStatesExcept's bounds. */
const STALE_SCANS = 200;
const STALE_MAX = 20_000;
const STALE_BATCH = 500;

export class MonitorStore {
  private readonly redis: WithScripts;
  /** The alerts waiting for Slack (alert-backlog.ts). */
  readonly backlog: AlertBacklog;
  /** Grouped alerts (group-store.ts). */
  readonly groups: GroupStore;

  constructor(redis: Redis, private readonly prefix: string) {
    // defineCommand sends EVALSHA and falls back to EVAL when the script is not cached (a restarted Redis).
    if (!('rdMonitorCas' in redis)) {
      redis.defineCommand('rdMonitorCas', { numberOfKeys: 1, lua: CAS_SCRIPT });
      redis.defineCommand('rdMonitorCasMany', { lua: CAS_MANY_SCRIPT });
      redis.defineCommand('rdMonitorCreate', { numberOfKeys: 1, lua: CREATE_SCRIPT });
      redis.defineCommand('rdMonitorRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
      redis.defineCommand('rdMonitorSnoozeOpen', { numberOfKeys: 2, lua: SNOOZE_OPEN_SCRIPT });
    }
    this.redis = redis as unknown as WithScripts;
    this.backlog = new AlertBacklog(redis, prefix);
    this.groups = new GroupStore(redis, prefix);
  }

  key(...parts: string[]): string {
    return storeKey(this.prefix, 'monitor', ...parts);
  }

  private run<T>(work: Promise<T>, what: string): Promise<T> {
    return withTimeout(work, REDIS_MS, what);
  }

  async readState(target: string): Promise<{ state?: TargetState; version: number }> {
    const [v, s] = await this.run(this.redis.hmget(this.key('state', target), 'v', 's'), 'reading the target state');
    return { version: Number(v ?? 0), ...(s ? { state: JSON.parse(s) as TargetState } : {}) };
  }

  /**
   * Compare-and-set: written when `version` was still current (and `tick`,
   * if given, newer than the last counted); otherwise the current state, so
   * the caller can recompute without another round trip.
   */
  async casState(target: string, version: number, state: TargetState, tick?: number): Promise<CasResult> {
    const [code, v, s] = await this.run(this.redis.rdMonitorCas(this.key('state', target), version, JSON.stringify(state), tick === undefined ? '' : String(tick)), 'writing the target state');
    if (Number(code) === 1) return { kind: 'written', version: Number(v) };
    return { kind: Number(code) === -1 ? 'duplicate' : 'conflict', version: Number(v), ...(s ? { state: JSON.parse(s) as TargetState } : {}) };
  }

  /**
   * casState for many targets in one Lua call (one round trip, one script run
   * in Redis): each entry is compared and set on its own, as casState would.
   */
  async casStates(entries: readonly { target: string; version: number; state: TargetState; tick: number }[]): Promise<CasResult[]> {
    if (entries.length === 0) return [];
    const keys = entries.map((e) => this.key('state', e.target));
    const args: (string | number)[] = [];
    for (const e of entries) args.push(e.version, JSON.stringify(e.state), String(e.tick));
    const replies = await this.run(this.redis.rdMonitorCasMany(keys.length, ...keys, ...args), 'writing the target states');
    return replies.map(([code, v, s]) => (Number(code) === 1
      ? { kind: 'written' as const, version: Number(v) }
      : { kind: Number(code) === -1 ? 'duplicate' as const : 'conflict' as const, version: Number(v), ...(s ? { state: JSON.parse(s) as TargetState } : {}) }));
  }

  /** The states and versions of these targets in one pipeline (absent: version 0, never probed). */
  async readStates(targets: readonly string[]): Promise<Map<string, { state?: TargetState; version: number }>> {
    const out = new Map<string, { state?: TargetState; version: number }>();
    if (targets.length === 0) return out;
    const pipe = this.redis.pipeline();
    for (const t of targets) pipe.hmget(this.key('state', t), 'v', 's');
    const results = (await this.run(pipe.exec(), 'reading target states')) ?? [];
    results.forEach(([err, reply], i) => {
      if (err) return;
      const [v, s] = reply as [string | null, string | null];
      out.set(targets[i]!, { version: Number(v ?? 0), ...(s ? { state: JSON.parse(s) as TargetState } : {}) });
    });
    return out;
  }

  /** Compare-and-set without a tick: true when written. */
  async writeState(target: string, version: number, state: TargetState): Promise<boolean> {
    return (await this.casState(target, version, state)).kind === 'written';
  }

  /** The states of these targets (absent: never probed). */
  async states(targets: readonly string[]): Promise<Map<string, TargetState>> {
    const out = new Map<string, TargetState>();
    if (targets.length === 0) return out;
    const pipe = this.redis.pipeline();
    for (const t of targets) pipe.hget(this.key('state', t), 's');
    const results = (await this.run(pipe.exec(), 'reading target states')) ?? [];
    results.forEach(([err, text], i) => {
      if (!err && typeof text === 'string') out.set(targets[i]!, JSON.parse(text) as TargetState);
    });
    return out;
  }

  async removeStates(targets: readonly string[]): Promise<void> {
    if (targets.length === 0) return;
    await this.run(this.redis.del(...targets.map((t) => this.key('state', t))), 'removing target states');
  }

  /**
   * Deletes the stored states of targets not in `keep` (removed from the
   * config): SCAN over the state keys, bounded (at most STALE_SCANS calls of
   * COUNT 1000, and STALE_MAX states per call of this), deleted in batches of
   * STALE_BATCH. Returns the targets whose states were deleted.
   */
  async removeStatesExcept(keep: ReadonlySet<string>): Promise<string[]> {
    const head = this.key('state', '');
    const match = `${head.replace(/[*?[\]\\]/g, '\\$&')}*`;
    const stale: string[] = [];
    let cursor = '0';
    for (let i = 0; i < STALE_SCANS && stale.length < STALE_MAX; i++) {
      const [next, keys] = await this.run(this.redis.scan(cursor, 'MATCH', match, 'COUNT', 1000), 'listing target states');
      for (const k of keys) {
        const target = k.slice(head.length);
        if (k.startsWith(head) && !keep.has(target) && stale.length < STALE_MAX) stale.push(target);
      }
      cursor = next;
      if (cursor === '0') break;
    }
    const unique = [...new Set(stale)];
    for (let i = 0; i < unique.length; i += STALE_BATCH) await this.removeStates(unique.slice(i, i + STALE_BATCH));
    return unique;
  }

  async incident(id: string): Promise<IncidentRecord | undefined> {
    return fromFields(await this.run(this.redis.hgetall(this.key('incident', id)), 'reading the incident'));
  }

  /** One text field of the incident, as incident() would give it (undefined when no record is stored), without reading the rest. */
  async incidentField(id: string, field: IncidentTextField): Promise<string | undefined> {
    const [recId, target, value] = await this.run(this.redis.hmget(this.key('incident', id), 'id', 'target', field), 'reading the incident');
    return recId && target ? (value ?? undefined) : undefined;
  }

  /** Creates the record unless it exists; returns the one that counts. */
  async createIncident(rec: IncidentRecord): Promise<IncidentRecord> {
    await this.run(this.redis.rdMonitorCreate(this.key('incident', rec.id), INCIDENT_TTL_MS, ...toFields(rec)), 'recording the incident');
    return (await this.incident(rec.id)) ?? rec;
  }

  async updateIncident(id: string, fields: Partial<IncidentRecord>): Promise<void> {
    const f = toFields(fields);
    if (f.length > 0) await this.run(this.redis.hset(this.key('incident', id), ...f), 'updating the incident');
  }

  /** HSETNX: true when this call set the field (the first ack wins). */
  async setIncidentOnce(id: string, field: keyof IncidentRecord, value: string): Promise<boolean> {
    return (await this.run(this.redis.hsetnx(this.key('incident', id), field, value), 'updating the incident')) === 1;
  }

  async unsetIncident(id: string, ...fields: (keyof IncidentRecord)[]): Promise<void> {
    await this.run(this.redis.hdel(this.key('incident', id), ...fields), 'updating the incident');
  }

  async expireIncident(id: string, ms: number): Promise<void> {
    await this.run(this.redis.pexpire(this.key('incident', id), ms), 'expiring the incident');
  }

  /** The target and the channel of an incident's alert (recheck buttons), or undefined when it is not stored. */
  async incidentRef(id: string): Promise<{ target: string; channel: string | undefined } | undefined> {
    const [target, channel] = await this.run(this.redis.hmget(this.key('incident', id), 'target', 'channel'), 'reading the incident');
    return target ? { target, channel: channel ?? undefined } : undefined;
  }

  /** SET NX PX: true when `owner` now holds the lease on `what` of the incident. */
  async claim(id: string, what: string, owner: string, leaseMs: number): Promise<boolean> {
    return (await this.run(this.redis.set(this.key('claim', id, what), owner, 'PX', leaseMs, 'NX'), 'claiming')) === 'OK';
  }

  async release(id: string, what: string, owner: string): Promise<void> {
    await this.run(this.redis.rdMonitorRelease(this.key('claim', id, what), owner), 'releasing the claim');
  }

  async snooze(rec: SnoozeRecord, now: number): Promise<void> {
    const ms = Math.max(1, rec.until - now);
    await this.run(this.redis.set(this.key('snooze', rec.target), JSON.stringify(rec), 'PX', ms), 'recording the snooze');
  }

  /** Whether `id` is the open incident of `target` (the state says so; a resolved one is `closed` or gone). */
  async isOpen(target: string, id: string): Promise<boolean> {
    return (await this.readState(target)).state?.incident?.id === id;
  }

  /** The snooze of a button: recorded only while its incident (rec.incidentId) is still the target's open one. */
  async snoozeOpen(rec: SnoozeRecord & { incidentId: string }, now: number): Promise<boolean> {
    const ms = Math.max(1, rec.until - now);
    return (await this.run(this.redis.rdMonitorSnoozeOpen(this.key('state', rec.target), this.key('snooze', rec.target), rec.incidentId, JSON.stringify(rec), ms), 'recording the snooze')) === 1;
  }

  /** Targets with an externally opened incident or alert (monitor/external.ts sweeps them): added, or removed. */
  async trackExternal(target: string, on: boolean): Promise<void> {
    const key = this.key('external');
    await this.run(on ? this.redis.sadd(key, target) : this.redis.srem(key, target), 'tracking external alerts');
  }

  /** Up to `max` of the tracked targets. */
  async externalTargets(max: number): Promise<string[]> {
    return this.run(this.redis.srandmember(this.key('external'), max), 'reading external alerts');
  }

  /** The snooze in force for the target at `now`, if any. */
  async snoozed(target: string, now: number): Promise<SnoozeRecord | undefined> {
    const text = await this.run(this.redis.get(this.key('snooze', target)), 'reading the snooze');
    if (!text) return undefined;
    const rec = JSON.parse(text) as SnoozeRecord;
    return rec.until > now ? rec : undefined;
  }
}

/**
 * Grouped alerts (monitor/grouping.ts), shared by every worker in the queue
 * Redis under the queue's hash-tag prefix (one Cluster slot):
 *
 *   <prefix>:store:monitor:groupkey:<sha>     string, PX groupWait: the open group of one channel + host, or channel + cause
 *   <prefix>:store:monitor:group:<gid>        hash  channel, ts (the group's parent message), cause, host, openedAt
 *   <prefix>:store:monitor:group:<gid>:m      list  the member incident ids, in the order they joined (capped)
 *
 * Registering a posted alert as a group and joining one are Lua scripts:
 * two workers posting at once never both join past the cap, never add a
 * member twice, and a key expiring (the window closing) cuts every later
 * incident off at one instant.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { withTimeout } from '../util/timeout.js';
import { storeKey } from './keys.js';

const REDIS_MS = 1000;
/** A group is kept as long as a closed incident (30 days). */
const GROUP_TTL_MS = 30 * 24 * 3600 * 1000;
/** Members of one group: past this, an incident posts its own alert (the group message lists at most this many). */
export const MAX_GROUP_MEMBERS = 40;

/**
 * KEYS: group hash, member list, group key … ARGV: ttl ms, window ms, incident id, field, value …
 * Creates the group with its first member and points every free group key at it (SET NX PX).
 */
const REGISTER_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
local gid = redis.call('HGET', KEYS[1], 'id')
for i = 3, #KEYS do redis.call('SET', KEYS[i], gid, 'PX', ARGV[2], 'NX') end
return 1
`;

/**
 * KEYS: group key … ARGV: incident id, max members, prefix of group keys (…:group:).
 * The first open group a key names that has room: the incident is added (once). Returns {gid, ts, n} or nil.
 */
const JOIN_SCRIPT = `
for i = 1, #KEYS do
  local gid = redis.call('GET', KEYS[i])
  if gid then
    local g = ARGV[3] .. gid
    local ts = redis.call('HGET', g, 'ts')
    if ts then
      local m = g .. ':m'
      local members = redis.call('LRANGE', m, 0, -1)
      for _, id in ipairs(members) do
        if id == ARGV[1] then return {gid, ts, #members} end
      end
      if #members < tonumber(ARGV[2]) then
        redis.call('RPUSH', m, ARGV[1])
        return {gid, ts, #members + 1}
      end
    end
  end
end
return nil
`;

type WithScripts = Redis & {
  rdGroupRegister(...args: (string | number)[]): Promise<number>;
  rdGroupJoin(...args: (string | number)[]): Promise<[string, string, number] | null>;
};

export interface GroupRecord {
  id: string;
  channel: string;
  ts: string;
  /** The first member's cause and host: what the group shares. */
  cause?: string;
  host?: string;
  openedAt: number;
  members: string[];
}

export class GroupStore {
  private readonly redis: WithScripts;

  constructor(redis: Redis, private readonly prefix: string) {
    if (!('rdGroupJoin' in redis)) {
      redis.defineCommand('rdGroupRegister', { lua: REGISTER_SCRIPT });
      redis.defineCommand('rdGroupJoin', { lua: JOIN_SCRIPT });
    }
    this.redis = redis as unknown as WithScripts;
  }

  private key(...parts: string[]): string {
    return storeKey(this.prefix, 'monitor', ...parts);
  }

  /** The key of one shared trait (host or cause) in one channel: hashed, whatever the text. */
  groupKey(channel: string, kind: 'host' | 'cause', value: string): string {
    return this.key('groupkey', createHash('sha256').update(`${channel}\u0000${kind}\u0000${value}`).digest('hex').slice(0, 32));
  }

  /** Makes `incident` (just posted at `ts`) the first member of a new group open for `windowMs` under `keys`. */
  async register(g: Omit<GroupRecord, 'members'>, incident: string, keys: string[], windowMs: number): Promise<void> {
    const fields = ['id', g.id, 'channel', g.channel, 'ts', g.ts, 'openedAt', String(g.openedAt), ...(g.cause ? ['cause', g.cause] : []), ...(g.host ? ['host', g.host] : [])];
    const all = [this.key('group', g.id), this.key('group', g.id, 'm'), ...keys];
    await withTimeout(this.redis.rdGroupRegister(all.length, ...all, GROUP_TTL_MS, Math.max(1, windowMs), incident, ...fields), REDIS_MS, 'registering the alert group');
  }

  /** Joins the open group one of `keys` names, if it has room: its id, its message, how many members it has now. */
  async join(incident: string, keys: string[]): Promise<{ gid: string; ts: string; members: number } | undefined> {
    if (keys.length === 0) return undefined;
    const r = await withTimeout(this.redis.rdGroupJoin(keys.length, ...keys, incident, MAX_GROUP_MEMBERS, `${this.key('group')}:`), REDIS_MS, 'joining the alert group');
    return r ? { gid: r[0], ts: r[1], members: Number(r[2]) } : undefined;
  }

  async get(gid: string): Promise<GroupRecord | undefined> {
    const r = await withTimeout(this.redis.multi().hgetall(this.key('group', gid)).lrange(this.key('group', gid, 'm'), 0, MAX_GROUP_MEMBERS - 1).exec(), REDIS_MS, 'reading the alert group');
    const h = (r?.[0]?.[1] ?? {}) as Record<string, string>;
    if (!h.id || !h.ts || !h.channel) return undefined;
    return {
      id: h.id, channel: h.channel, ts: h.ts, openedAt: Number(h.openedAt ?? 0),
      ...(h.cause ? { cause: h.cause } : {}), ...(h.host ? { host: h.host } : {}),
      members: (r?.[1]?.[1] as string[] | undefined) ?? [],
    };
  }
}

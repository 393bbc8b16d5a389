/**
 * Maintenance windows (monitor/silences.ts), shared by every worker and the
 * front end, in the queue Redis under the queue's hash-tag prefix:
 *
 *   <prefix>:store:monitor:silences   hash  target name or `*` → SilenceRecord JSON
 *
 * One field per target (a new silence of a target replaces its old one), so
 * the hash holds at most one entry per configured target plus `*`. Ended
 * silences are dropped as they are read (HDEL only if unchanged: a Lua
 * script, so a silence set meanwhile is never removed).
 */
import type { Redis } from 'ioredis';
import { withTimeout } from '../util/timeout.js';
import type { SilenceRecord } from '../monitor/silences.js';
import { storeKey } from './keys.js';

const REDIS_MS = 1000;
/** A hash this large is not ours to read whole (the schema bounds targets long before). */
const MAX_FIELDS = 10_000;

/** KEYS: hash. ARGV: field, value. Deletes the field only if it still holds that value. */
const DROP_IF_SAME = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`;

type WithScripts = Redis & { rdSilenceDrop(key: string, field: string, value: string): Promise<number> };

function parse(text: string): SilenceRecord | undefined {
  try {
    const r = JSON.parse(text) as SilenceRecord;
    return typeof r.target === 'string' && typeof r.until === 'number' && typeof r.by === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

export class SilenceStore {
  private readonly redis: WithScripts;

  constructor(redis: Redis, private readonly prefix: string) {
    if (!('rdSilenceDrop' in redis)) redis.defineCommand('rdSilenceDrop', { numberOfKeys: 1, lua: DROP_IF_SAME });
    this.redis = redis as WithScripts;
  }

  private get key(): string {
    return storeKey(this.prefix, 'monitor', 'silences');
  }

  /** Sets (or replaces) the silence of rec.target. */
  async set(rec: SilenceRecord): Promise<void> {
    await withTimeout(this.redis.hset(this.key, rec.target, JSON.stringify(rec)), REDIS_MS, 'recording the silence');
  }

  /** Ends the silence of `target` now; returns the one that was in force, if any. */
  async end(target: string, now: number): Promise<SilenceRecord | undefined> {
    const text = await withTimeout(this.redis.hget(this.key, target), REDIS_MS, 'reading the silence');
    if (!text) return undefined;
    await withTimeout(this.redis.rdSilenceDrop(this.key, target, text), REDIS_MS, 'ending the silence');
    const rec = parse(text);
    return rec && rec.until > now ? rec : undefined;
  }

  /** The silences in force at `now`, soonest-ending first; ended ones are dropped. */
  async active(now: number): Promise<SilenceRecord[]> {
    const n = await withTimeout(this.redis.hlen(this.key), REDIS_MS, 'reading the silences');
    if (n === 0 || n > MAX_FIELDS) return [];
    const all = await withTimeout(this.redis.hgetall(this.key), REDIS_MS, 'reading the silences');
    const out: SilenceRecord[] = [];
    for (const [field, text] of Object.entries(all)) {
      const rec = parse(text);
      if (rec && rec.until > now) out.push(rec);
      else await this.redis.rdSilenceDrop(this.key, field, text).catch(() => undefined);
    }
    return out.sort((a, b) => a.until - b.until);
  }
}

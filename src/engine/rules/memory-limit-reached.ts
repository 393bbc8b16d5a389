/**
 * Memory at maxmemory with nothing Redis may evict: write commands fail with
 *   -OOM command not allowed when used memory > 'maxmemory'.
 * Redis compares used_memory minus mem_not_counted_for_evict (replication
 * and AOF buffers) with maxmemory (evict.c). Nothing can be evicted under
 * maxmemory-policy noeviction, nor under a volatile-* policy when no key has
 * a TTL (INFO keyspace expires=0). Reads and PING keep working: the server
 * is degraded, not down. Within 10 % of the limit it is a warning.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { Observations, Remediation } from '../model/types.js';
import { config, firstError, humanBytes, info, infoNumber, infoQuote, replyEvidence } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

const NEAR = 0.9;

/** Keys with a TTL across all databases (INFO keyspace: db0:keys=10,expires=2,avg_ttl=0). */
export function volatileKeys(obs: Observations): number {
  let total = 0;
  for (const value of Object.values(obs.info?.sections['keyspace'] ?? {})) {
    total += Number(/expires=(\d+)/.exec(value)?.[1] ?? 0);
  }
  return total;
}

function memory(obs: Observations) {
  const used = infoNumber(obs, 'used_memory');
  const max = infoNumber(obs, 'maxmemory') ?? (config(obs, 'maxmemory') !== undefined ? Number(config(obs, 'maxmemory')) : undefined);
  const policy = info(obs, 'maxmemory_policy') ?? config(obs, 'maxmemory-policy');
  if (used === undefined || max === undefined || !(max > 0) || !policy) return undefined;
  const counted = used - (infoNumber(obs, 'mem_not_counted_for_evict') ?? 0);
  const noTtlKeys = policy.startsWith('volatile-') && volatileKeys(obs) === 0;
  const stuck = policy === 'noeviction' || noTtlKeys;
  return { used, counted, max, policy, stuck, noTtlKeys, systemBytes: infoNumber(obs, 'total_system_memory') };
}

export const rule = defineRule({
  cause: 'memory-limit-reached',
  impact: 'degrading',
  evaluate(obs) {
    const oom = firstError(obs, /^OOM\b/i);
    const m = memory(obs);
    const atLimit = m !== undefined && m.stuck && m.counted >= m.max;
    const near = m !== undefined && m.stuck && m.counted >= NEAR * m.max;
    if (!oom && !atLimit && !near) return undefined;
    const evidence: string[] = [];
    if (oom) evidence.push(replyEvidence(oom));
    const fields = infoQuote(obs, ['used_memory', 'used_memory_human', 'maxmemory', 'maxmemory_human', 'maxmemory_policy']);
    if (fields) evidence.push(fields);
    if (m && m.counted !== m.used) evidence.push(`mem_not_counted_for_evict:${m.used - m.counted} (replication/AOF buffers, not counted against maxmemory)`);
    if (m?.noTtlKeys) evidence.push(`policy ${m.policy} evicts only keys with a TTL, and no key has one (INFO keyspace expires=0)`);
    const t = fixTarget(obs);
    const fixes: Remediation[] = [];
    const evictInstead = m?.noTtlKeys ? `allkeys-${m.policy.replace(/^volatile-/, '').replace('ttl', 'lru')}` : 'allkeys-lru';
    const to = m ? Math.max(m.counted, m.max) * 1.25 : undefined;
    fixes.push(REMEDIATIONS['raise-maxmemory'](t, { ...(to !== undefined ? { toBytes: to } : {}), ...(m?.systemBytes ? { systemBytes: m.systemBytes } : {}) }));
    fixes.push(REMEDIATIONS['set-eviction-policy'](t, { policy: evictInstead }));
    fixes.push(REMEDIATIONS['free-memory'](t));
    const usage = m ? ` (${humanBytes(m.counted)} used of maxmemory ${humanBytes(m.max)}, policy ${m.policy})` : '';
    const critical = oom !== undefined || atLimit;
    return {
      severity: critical ? 'critical' : 'warning',
      confidence: critical ? 'confirmed' : 'likely',
      title: critical ? `Redis is at its memory limit and refuses writes${usage}` : `Redis is close to its memory limit and cannot evict${usage}`,
      evidence,
      remediations: fixes,
      ...(m ? { details: { usedMemory: m.counted, maxmemory: m.max, policy: m.policy } } : {}),
    };
  },
});

import { describe, expect, it } from 'vitest';
import { rule, volatileKeys } from '../../../src/engine/rules/memory-limit-reached.js';
import { err, healthy, session, TEXT, withInfo } from '../fixtures.js';

const MB = 1024 * 1024;

describe('memory-limit-reached', () => {
  it('is critical at maxmemory with noeviction, quoting the INFO fields', () => {
    const obs = withInfo(healthy(), {
      memory: { used_memory: String(105 * MB), used_memory_human: '105.00M', maxmemory: String(100 * MB), maxmemory_human: '100.00M', maxmemory_policy: 'noeviction' },
    });
    const f = rule.evaluate(obs);
    expect(f?.cause).toBe('memory-limit-reached');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('Redis is at its memory limit and refuses writes (105.00M used of maxmemory 100.00M, policy noeviction)');
    expect(f?.evidence[0]).toBe(`used_memory:${105 * MB} used_memory_human:105.00M maxmemory:${100 * MB} maxmemory_human:100.00M maxmemory_policy:noeviction`);
    expect(f?.remediations.map((r) => r.id)).toEqual(['raise-maxmemory', 'set-eviction-policy', 'free-memory']);
    // 1.25 × 105 MiB, rounded up to whole megabytes.
    expect(f?.remediations[0]?.redisCommand).toEqual(['CONFIG', 'SET', 'maxmemory', '132mb']);
    expect(f?.remediations[1]?.redisCommand).toEqual(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
  });

  it('is critical on -OOM from a write', () => {
    const obs = healthy();
    obs.resp = session([
      ['PING', { kind: 'status', text: 'PONG' }],
      ['SET', err(TEXT.oom)],
    ]);
    const f = rule.evaluate(obs);
    expect(f?.severity).toBe('critical');
    expect(f?.evidence[0]).toBe(`SET → -${TEXT.oom}`);
  });

  it('is critical under volatile-lru when no key has a TTL', () => {
    const obs = withInfo(healthy(), { memory: { used_memory: String(50 * MB), maxmemory: String(50 * MB), maxmemory_policy: 'volatile-lru' } });
    const f = rule.evaluate(obs);
    expect(f?.severity).toBe('critical');
    expect(f?.evidence).toContain('policy volatile-lru evicts only keys with a TTL, and no key has one (INFO keyspace expires=0)');
    expect(f?.remediations[1]?.redisCommand).toEqual(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
  });

  it('warns within 10 % of the limit', () => {
    const obs = withInfo(healthy(), { memory: { used_memory: String(95 * MB), maxmemory: String(100 * MB), maxmemory_policy: 'noeviction' } });
    expect(rule.evaluate(obs)?.severity).toBe('warning');
  });

  it('does not fire without a limit, with an evicting policy, or under volatile-* with TTL keys', () => {
    expect(rule.evaluate(healthy())).toBeUndefined();
    const evicting = withInfo(healthy(), { memory: { used_memory: String(100 * MB), maxmemory: String(100 * MB), maxmemory_policy: 'allkeys-lru' } });
    expect(rule.evaluate(evicting)).toBeUndefined();
    const ttl = withInfo(healthy(), {
      memory: { used_memory: String(100 * MB), maxmemory: String(100 * MB), maxmemory_policy: 'volatile-ttl' },
      keyspace: { db0: 'keys=10,expires=4,avg_ttl=1000', db1: 'keys=2,expires=1,avg_ttl=5' },
    });
    expect(volatileKeys(ttl)).toBe(5);
    expect(rule.evaluate(ttl)).toBeUndefined();
  });
});

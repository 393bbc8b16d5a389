/** Which approved fixes may run a command: the policy the web (at click time) and the worker (at run time) both apply. */
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { Remediation, TargetInfo } from '../../src/engine/model/types.js';
import { REMEDIATIONS } from '../../src/engine/remediations/index.js';
import { actionHash, allowedCommand, COMMAND_SHAPES, planFor } from '../../src/jobs/remediation-action.js';

const config = configSchema.parse({
  targets: [
    { name: 'auto', url: 'redis://10.0.0.5:6379', fixes: 'automatic' },
    { name: 'manual', url: 'redis://10.0.0.6:6379' },
    { name: 'sentinel', url: 'redis://10.0.0.7:26379', sentinelMaster: 'mymaster', fixes: 'automatic' },
  ],
  access: { allowAdHocTargets: true, adHocNetworks: ['10.0.0.0/8'] },
});
const named = (name: string, host = '10.0.0.5'): TargetInfo => ({ input: name, name, host, port: 6379, tls: false });
const fix = (extra: Partial<Remediation> = {}): Remediation => ({ id: 'set-eviction-policy', title: 't', risk: 'medium', mode: 'automatic', steps: [], redisCommand: ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'], ...extra });
const t = { host: '10.0.0.5', port: 6379, tls: false, authProvided: false };

describe('planFor', () => {
  it('runs an allowed command only on a config target with fixes: automatic', () => {
    expect(planFor(named('auto'), fix(), config)).toMatchObject({ plan: 'run', argv: ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'] });
    expect(planFor(named('manual', '10.0.0.6'), fix(), config)).toMatchObject({ plan: 'steps', why: expect.stringContaining('fixes: guided') });
    expect(planFor({ input: '10.0.0.9:6379', host: '10.0.0.9', port: 6379, tls: false }, fix(), config)).toMatchObject({ plan: 'steps', why: expect.stringContaining('ad-hoc') });
    expect(planFor(named('sentinel', '10.0.0.7'), fix(), config)).toMatchObject({ plan: 'steps', why: expect.stringContaining('Sentinel') });
    expect(planFor(named('auto'), fix({ mode: 'guided' }), config).plan).toBe('steps');
    expect(planFor(named('gone'), fix(), config).plan).toBe('steps');
  });

  it('refuses any argv outside the shapes, whatever the stored remediation says', () => {
    for (const argv of [
      ['CONFIG', 'SET', 'dir', '/etc'], ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru', 'save', ''], ['FLUSHALL'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'evict-everything'], ['BGSAVE', 'SCHEDULE'], ['config', 'set', 'maxmemory-policy', 'allkeys-lru'],
    ]) {
      expect(allowedCommand({ id: 'set-eviction-policy', redisCommand: argv })).toBeUndefined();
      expect(planFor(named('auto'), fix({ redisCommand: argv }), config).plan).toBe('steps');
    }
    expect(allowedCommand({ id: 'retry-bgsave', redisCommand: ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'] })).toBeUndefined();
    expect(allowedCommand({ id: 'no-such-fix', redisCommand: ['BGSAVE'] })).toBeUndefined();
  });

  it('allows exactly what the engine\'s automatic remediations build', () => {
    const built = [
      REMEDIATIONS['raise-maxclients'](t, { to: 20000 }), REMEDIATIONS['set-idle-timeout'](t), REMEDIATIONS['kill-busy-script'](t, { kind: 'script' }),
      REMEDIATIONS['kill-busy-script'](t, { kind: 'function' }), REMEDIATIONS['raise-maxmemory'](t, { toBytes: 5_000_000 }),
      REMEDIATIONS['set-eviction-policy'](t, { policy: 'allkeys-lfu' }), REMEDIATIONS['retry-bgsave'](t), REMEDIATIONS['allow-writes-on-save-error'](t),
    ];
    for (const r of built) expect(allowedCommand(r), r.id).toEqual(r.redisCommand);
    const automatic = Object.values(REMEDIATIONS).map((f) => (f as (x: typeof t, p?: object) => Remediation)(t, { toBytes: 1 })).filter((r) => r.mode === 'automatic').map((r) => r.id);
    expect(Object.keys(COMMAND_SHAPES).sort()).toEqual([...new Set(automatic)].sort());
  });

  it('hashes the exact action: another address, TLS or argument is another action', () => {
    const argv = ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'];
    const h = actionHash(named('auto'), argv);
    expect(actionHash(named('auto'), [...argv])).toBe(h);
    expect(actionHash({ ...named('auto'), port: 6380 }, argv)).not.toBe(h);
    expect(actionHash({ ...named('auto'), tls: true }, argv)).not.toBe(h);
    expect(actionHash(named('auto'), ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu'])).not.toBe(h);
  });
});

import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/cluster-client-required.js';
import { clusterObs, topology } from '../topology-fixtures.js';
import { err, healthy, INFO_COMMAND, session } from '../fixtures.js';

describe('cluster-client-required', () => {
  it('a cluster node, client unknown: info, possible, the -MOVED a plain client gets quoted', () => {
    const f = rule.evaluate(clusterObs());
    expect(f).toMatchObject({ cause: 'cluster-client-required', severity: 'info', confidence: 'possible', details: { reason: 'cluster-node', slotsServed: 5461 } });
    expect(f?.evidence[1]).toBe('EXISTS redis-doctor:slot:b → -MOVED 6321 10.0.0.5:7001');
    expect(f?.remediations[0]?.steps[1]).toContain("new Redis.Cluster([{ host: '10.0.0.5', port: 7000 }])");
  });

  it('a plain client: critical, confirmed; a cluster-aware one: nothing', () => {
    const plain = clusterObs();
    plain.topology!.expected = { cluster: false };
    expect(rule.evaluate(plain)).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { reason: 'plain-client-on-cluster' } });
    const aware = clusterObs();
    aware.topology!.expected = { cluster: true };
    expect(rule.evaluate(aware)).toBeUndefined();
  });

  it('a URL with /1 on a cluster node: SELECT refused, critical, even for a cluster-aware client', () => {
    const obs = clusterObs();
    obs.topology!.expected = { cluster: true };
    obs.target.db = 1;
    obs.resp = session([['SELECT 1', err('ERR SELECT is not allowed in cluster mode')], ['PING', { kind: 'status', text: 'PONG' }], [INFO_COMMAND, { kind: 'string', text: '# Server' }]]);
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { reason: 'select-in-cluster', db: 1 } });
    expect(f?.evidence[0]).toBe('SELECT 1 → -ERR SELECT is not allowed in cluster mode');
  });

  it('a cluster client on a standalone server: critical, confirmed by "cluster support disabled"', () => {
    const obs = healthy();
    obs.topology = topology('standalone', {
      role: 'master',
      expected: { cluster: true },
      commands: [{ command: 'CLUSTER SHARDS', check: 'cluster-shards', purpose: 'quote', reply: err('ERR This instance has cluster support disabled'), durationMs: 1 }],
    });
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { reason: 'cluster-client-on-standalone', mode: 'standalone' } });
    expect(f?.evidence[1]).toBe('CLUSTER SHARDS → -ERR This instance has cluster support disabled');
    expect(f?.remediations.map((r) => r.id)).toEqual(['use-standalone-client']);
  });

  it('does not fire on a standalone server for a client not said to be cluster-aware', () => {
    const obs = healthy();
    obs.topology = topology('standalone', { role: 'master' });
    expect(rule.evaluate(obs)).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});

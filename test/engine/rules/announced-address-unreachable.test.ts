import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/announced-address-unreachable.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { clusterDownObs, clusterObs, IDS, refusedNode, sentinelObs } from '../topology-fixtures.js';
import { healthy, refused } from '../fixtures.js';

describe('announced-address-unreachable', () => {
  it('a cluster master the cluster sees as up, its announced address refused: critical, confirmed, the node and address named', () => {
    const obs = clusterObs();
    obs.topology!.cluster!.nodes[2] = { ...obs.topology!.cluster!.nodes[2]!, endpoint: '172.17.0.4', linkState: 'disconnected' };
    obs.topology!.cluster!.keyProbes[2] = { key: 'redis-doctor:slot:d', reply: { kind: 'error', text: 'MOVED 14455 172.17.0.4:7002' } };
    obs.topology!.followed[1] = refusedNode('cluster-node', '172.17.0.4', 7002, { expectedId: IDS.c });
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ cause: 'announced-address-unreachable', severity: 'critical', confidence: 'confirmed', details: { addresses: '172.17.0.4:7002', kind: 'cluster' } });
    expect(f?.title).toBe(`Clients are handed 172.17.0.4:7002 for cluster master ${IDS.c.slice(0, 8)}, and it does not connect from here`);
    expect(f?.evidence).toEqual([
      `CLUSTER SHARDS hands clients 172.17.0.4:7002 for master ${IDS.c.slice(0, 8)}`,
      'from here: refused (ECONNREFUSED): nothing listens at that address from here',
      'EXISTS redis-doctor:slot:d → -MOVED 14455 172.17.0.4:7002: clients are sent there',
      'the cluster does not flag it failing (flags master, link disconnected): it runs, but announces an address clients cannot reach (cluster-announce-ip / -port, NAT, Docker)',
    ]);
    expect(f?.remediations.map((r) => r.id)).toEqual(['fix-announced-address', 'check-network-path']);
    expect(f?.remediations[0]?.steps.join('\n')).toContain('CONFIG SET cluster-announce-ip <reachable-ip>');
  });

  it('an empty endpoint is confirmed; a timeout only likely', () => {
    const empty = clusterObs();
    empty.topology!.followed[1] = refusedNode('cluster-node', '', 7002, { expectedId: IDS.c, connect: { ok: false, code: 'NOADDR', durationMs: 0 } });
    expect(rule.evaluate(empty)).toMatchObject({ confidence: 'confirmed' });
    expect(rule.evaluate(empty)?.evidence[1]).toBe('from here: no address to connect to (empty or "?" endpoint)');
    const silent = clusterObs();
    silent.topology!.followed[1] = refusedNode('cluster-node', '10.0.0.5', 7002, { expectedId: IDS.c, connect: { ok: false, code: 'ETIMEDOUT', durationMs: 2000 } });
    expect(rule.evaluate(silent)).toMatchObject({ confidence: 'likely' });
  });

  it('a replica the Sentinel lists, running (the primary lists it online) at another address: a warning', () => {
    const obs = sentinelObs();
    obs.topology!.followed = [refusedNode('sentinel-replica', '10.0.0.6', 6379, { expectedId: 'b'.repeat(40) })];
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'warning', confidence: 'confirmed', details: { kind: 'replica' } });
    expect(f?.evidence).toContain('the primary lists it as a connected replica (state=online): it runs, but not at the address it announces (replica-announce-ip / replica-announce-port, NAT, Docker)');
  });

  it('a replica the Sentinel remembers but that is gone: info, and how to make Sentinel forget it', () => {
    const obs = sentinelObs();
    obs.topology!.sentinel!.replicas = [{ host: '10.0.0.7', port: 6379, flags: ['s_down', 'slave', 'disconnected'] }];
    obs.topology!.followed = [refusedNode('sentinel-replica', '10.0.0.7', 6379)];
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'info', details: { kind: 'gone-replica' } });
    expect(f?.remediations.map((r) => r.id)).toEqual(['forget-gone-replica']);
  });

  it('the primary a Sentinel names refuses: critical, and it explains away the followed primary\'s connection-refused', () => {
    const obs = sentinelObs();
    const primary = refused();
    primary.target = { input: '10.0.0.5:6379', host: '10.0.0.5', port: 6379, tls: false };
    primary.neighbours = undefined as never;
    delete primary.neighbours;
    obs.topology!.primary!.observations = primary;
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { kind: 'sentinel-primary', addresses: '10.0.0.5:6379' } });
    expect(f?.evidence[2]).toBe('the Sentinel sees it as up (flags master): it runs, but not at an address clients reach from here (announced address, NAT, Docker bridge)');
    const result = evaluate(obs);
    expect(result.findings.map((x) => x.cause)).toEqual(['announced-address-unreachable']);
    expect(result.verdict).toBe('unreachable');
  });

  it('does not fire when every address connects, for a node the cluster flags failing (cluster-down\'s), or without topology', () => {
    expect(rule.evaluate(clusterObs())).toBeUndefined();
    expect(rule.evaluate(sentinelObs())).toBeUndefined();
    expect(rule.evaluate(clusterDownObs())).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/cluster-down.js';
import { clusterDownObs, clusterNode, clusterObs, IDS, node, NOT_SERVED } from '../topology-fixtures.js';
import { healthy } from '../fixtures.js';

describe('cluster-down', () => {
  it('cluster_state:fail, a node flagged fail that does not connect: critical, confirmed, the variant quoted, the node named as down', () => {
    const f = rule.evaluate(clusterDownObs());
    expect(f).toMatchObject({ cause: 'cluster-down', severity: 'critical', confidence: 'confirmed' });
    expect(f?.title).toBe('Redis Cluster is down: cluster_state:fail, 5461 slots on failing nodes (1 node flagged failing)');
    expect(f?.evidence[0]).toBe('CLUSTER INFO: cluster_state:fail cluster_slots_assigned:16384 cluster_slots_ok:10923 cluster_slots_pfail:0 cluster_slots_fail:5461 cluster_known_nodes:3 cluster_size:3');
    expect(f?.evidence[1]).toBe('EXISTS redis-doctor:slot:c → -CLUSTERDOWN The cluster is down: every key command is refused, reads and writes');
    expect(f?.evidence[2]).toBe(`master ${IDS.c.slice(0, 8)} 10.0.0.5:7002 flagged fail, link disconnected (bus port 17002); it does not connect from here either: refused (ECONNREFUSED): nothing listens at that address from here — the node is down or unreachable`);
    expect(f?.remediations.map((r) => r.id)).toEqual(['restore-cluster-node']);
    expect(f?.details).toMatchObject({ reason: 'cluster-down', state: 'fail', slotsFail: 5461, failingNodes: '10.0.0.5:7002' });
  });

  it('a failing node that answers clients from here: its bus port is named', () => {
    const obs = clusterDownObs();
    obs.topology!.followed[1] = node('cluster-node', '10.0.0.5', 7002, { expectedId: IDS.c, myId: IDS.c, bus: { port: 17002, ok: false, code: 'ETIMEDOUT' } });
    const f = rule.evaluate(obs);
    expect(f?.evidence[2]).toMatch(/it answers clients from here, so the others cannot reach its cluster bus: bus port 17002 is the likely block \(it does not accept from here either: ETIMEDOUT\)/);
    expect(f?.remediations[0]?.id).toBe('open-cluster-bus-port');
    expect(f?.remediations[0]?.steps.join('\n')).toContain('nc -vz 10.0.0.5 17002');
  });

  it('no slots assigned: "Hash slot not served", and the slots to assign', () => {
    const obs = clusterObs();
    const c = obs.topology!.cluster!;
    c.info = { ...c.info, cluster_state: 'fail', cluster_slots_assigned: '0', cluster_slots_ok: '0', cluster_known_nodes: '1', cluster_size: '0' };
    c.nodes = [{ ...c.nodes[0]!, slots: [] }];
    c.keyProbes = c.keyProbes.map((k) => ({ ...k, reply: { kind: 'error', text: NOT_SERVED } }));
    obs.topology!.followed = [];
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { reason: 'slot-not-served', slotsAssigned: 0 } });
    expect(f?.title).toBe('Redis Cluster is down: 16384 hash slots have no node (-CLUSTERDOWN Hash slot not served)');
    expect(f?.remediations.map((r) => r.id)).toEqual(['assign-cluster-slots']);
  });

  it('a reader on a cluster that allows reads when down: a warning', () => {
    const obs = clusterDownObs();
    obs.topology!.cluster!.config!['cluster-allow-reads-when-down'] = 'yes';
    obs.topology!.expected = { access: 'read' };
    expect(rule.evaluate(obs)?.severity).toBe('warning');
  });

  it('10,000 nodes flagged failing: the title, evidence and details stay bounded (a count and the first few)', () => {
    const obs = clusterObs();
    const c = obs.topology!.cluster!;
    c.nodes = [c.nodes[0]!, ...Array.from({ length: 10_000 }, (_, i) => clusterNode(i.toString(16).padStart(40, '0'), 10_000 + i, [], { flags: ['master', 'fail?'] }))];
    const f = rule.evaluate(obs)!;
    expect(f.title).toBe('Cluster nodes are failing (10.0.0.5:10000, 10.0.0.5:10001, 10.0.0.5:10002 and 9997 more); cluster_state is still ok');
    expect(f.evidence.join('\n').length).toBeLessThan(4000);
    expect(f.evidence).toContain('… and 9996 more flagged nodes');
    expect(f.details).toMatchObject({ failingNodeCount: 10_000 });
    expect(String(f.details!['failingNodes']).split(',')).toHaveLength(8);
  });

  it('a flagged node the follow policy refused: named as not followed, nothing sent there', () => {
    const obs = clusterDownObs();
    obs.topology!.followed = obs.topology!.followed.filter((n) => n.expectedId !== IDS.c);
    obs.topology!.notFollowed = [{ via: 'cluster-node', host: '10.0.0.5', port: 7002, reason: 'outside the allowed networks' }];
    obs.topology!.notFollowedCount = 5;
    const f = rule.evaluate(obs)!;
    expect(f.evidence).toContain(`master ${IDS.c.slice(0, 8)} 10.0.0.5:7002 flagged fail, link disconnected (bus port 17002); not followed (outside the allowed networks): nothing was sent to it`);
    expect(f.evidence).toContain('not followed: 10.0.0.5:7002 (outside the allowed networks); nothing was sent there');
    expect(f.evidence).toContain('… and 4 more addresses not followed');
  });

  it('does not fire on a healthy cluster or outside a cluster', () => {
    expect(rule.evaluate(clusterObs())).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});

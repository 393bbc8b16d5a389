/**
 * Redis Cluster, real redis-server processes on loopback: one three-node
 * cluster shared by the cases (healthy, a plain client, db 1, a node that
 * announces an address of a namespace where nothing listens, then a node
 * killed), and a lone cluster node with no slots.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diagnose, runDeadlineMs } from '../../src/engine/pipeline/diagnose.js';
import type { Diagnosis } from '../../src/engine/model/types.js';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { pollUntil } from '../lab/poll.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { clusterArgs, clusterState, clusterView, NODE_TIMEOUT_MS, startCluster, type Cluster } from '../lab/topology.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';

const check = (d: Diagnosis, id: string) => d.checks.find((c) => c.id === id);
const finding = (d: Diagnosis, cause: string) => d.findings.find((f) => f.cause === cause);

describeLab('Redis Cluster', [need.binary('redis-server'), need.binary('redis-cli'), need.netns()], () => {
  let cluster: Cluster;
  let ns: Netns;
  beforeAll(async () => {
    [cluster, ns] = await Promise.all([startCluster(3), createNetns()]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([cluster?.stop(), ns?.destroy()]);
  });
  const first = () => cluster.nodes[0]!;
  const target = () => targetOf(first().host, first().port);

  it('healthy three-node cluster: healthy, every node followed, the node kind noted (cluster-client-required, info, possible)', async () => {
    const d = await diagnose(target(), { timeoutMs: 1000 });
    expectDiagnosis(d, { primaryCause: null, verdict: 'healthy' });
    expect(d.findings.map((f) => [f.cause, f.severity, f.confidence])).toEqual([['cluster-client-required', 'info', 'possible']]);
    expect(check(d, 'topology')?.detail).toMatch(/^cluster node, primary \(INFO redis_mode:cluster\), cluster_state:ok, 3 nodes/);
    expect(check(d, 'cluster-info')).toMatchObject({ status: 'pass' });
    expect(check(d, 'cluster-info')?.detail).toContain('cluster_state:ok cluster_slots_assigned:16384');
    expect(check(d, 'cluster-shards')).toMatchObject({ status: 'pass', detail: '3 nodes (3 masters)' });
    expect(check(d, 'cluster-keys')?.detail).toMatch(/-MOVED \d+ 127\.0\.0\.1:\d+/);
    expect(check(d, 'topology-follow')).toMatchObject({ status: 'pass', detail: '2 of 2 nodes answer' });
    // A cluster-aware client: nothing to say.
    const aware = await diagnose(target(), { timeoutMs: 1000, topology: { cluster: true } });
    expect(aware.findings).toEqual([]);
  });

  it('a plain client, and a URL with db 1 → cluster-client-required, confirmed by -MOVED and the SELECT refusal', async () => {
    const plain = await diagnose(target(), { timeoutMs: 1000, topology: { cluster: false } });
    expectDiagnosis(plain, { primaryCause: 'cluster-client-required', verdict: 'unreachable', evidence: /EXISTS redis-doctor:slot:\w → -MOVED \d+ 127\.0\.0\.1:\d+/ });
    expect(plain.findings[0]).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { reason: 'plain-client-on-cluster' } });

    const db1 = await diagnose({ ...target(), db: 1 }, { timeoutMs: 1000, topology: { cluster: true } });
    expectDiagnosis(db1, { primaryCause: 'cluster-client-required', verdict: 'unreachable', evidence: /SELECT 1 → -ERR SELECT is not allowed in cluster mode/ });
    expect(db1.findings[0]).toMatchObject({ confidence: 'confirmed', details: { reason: 'select-in-cluster', db: 1 } });
  });

  it('a node announcing the address of a namespace where nothing listens → announced-address-unreachable, confirmed', async () => {
    const third = cluster.nodes[2]!;
    const id = cluster.ids[2]!;
    await third.cli('CONFIG', 'SET', 'cluster-announce-ip', ns.nsAddress);
    try {
      await pollUntil(async () => ((await clusterView(first(), id))?.address.startsWith(`${ns.nsAddress}:`) ? true : undefined), { what: 'node 1 to learn the announced address', timeoutMs: 10_000 });
      const d = await diagnose(target(), { timeoutMs: 1000 });
      expectDiagnosis(d, { primaryCause: 'announced-address-unreachable', verdict: 'unreachable', evidence: new RegExp(`CLUSTER SHARDS hands clients ${ns.nsAddress.replace(/\./g, '\\.')}:${third.port} for master ${id.slice(0, 8)}`) });
      const f = d.findings[0]!;
      expect(f).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { addresses: `${ns.nsAddress}:${third.port}`, kind: 'cluster' } });
      expect(f.evidence.join('\n')).toContain('refused (ECONNREFUSED)');
      expect(f.evidence.join('\n')).toMatch(/the cluster does not flag it failing/);
      expect(f.remediations.map((r) => r.id)).toEqual(['fix-announced-address', 'check-network-path']);
      expect(finding(d, 'cluster-down')).toBeUndefined();

      // The same address behind a DROP rule: no answer within the bound, so only likely; the run stays bounded.
      await ns.iptables(['-A', 'INPUT', '-p', 'tcp', '--dport', String(third.port), '-j', 'DROP']);
      const dropped = await diagnose(target(), { timeoutMs: 300 });
      expectDiagnosis(dropped, { primaryCause: 'announced-address-unreachable', verdict: 'unreachable', evidence: /no answer within 300 ms \(ETIMEDOUT\)/ });
      expect(dropped.findings[0]?.confidence).toBe('likely');
      expect(check(dropped, 'topology-follow')!.durationMs).toBeLessThan(300 * 3 + 200);
      expect(dropped.durationMs).toBeLessThan(runDeadlineMs(300));
    } finally {
      await ns.iptables(['-F', 'INPUT']);
      await third.cli('CONFIG', 'SET', 'cluster-announce-ip', '');
      // Every other node, not only node 1: once the node fails, node 1 takes its address from the others' gossip
      // (cluster.c, clusterProcessGossipSection), and a stale one would bring the namespace address back.
      const others = cluster.nodes.slice(0, 2);
      await pollUntil(async () => ((await Promise.all(others.map((n) => clusterView(n, id)))).every((v) => v?.address.startsWith('127.0.0.1:')) ? true : undefined), { what: 'nodes 1 and 2 to learn 127.0.0.1 again', timeoutMs: 10_000 });
    }
  }, 30_000);

  it('a node killed: cluster_state:fail after the node timeout → cluster-down, confirmed, the node named as down', async () => {
    const third = cluster.nodes[2]!;
    await third.stop({ graceMs: 0 });
    await pollUntil(async () => ((await clusterState(first())) === 'fail' ? true : undefined), { what: 'cluster_state:fail', timeoutMs: 10 * NODE_TIMEOUT_MS, intervalMs: 100 });
    const d = await diagnose(target(), { timeoutMs: 1000 });
    expectDiagnosis(d, { primaryCause: 'cluster-down', verdict: 'unreachable', evidence: /-CLUSTERDOWN The cluster is down: every key command is refused/ });
    const f = d.findings[0]!;
    expect(f).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { reason: 'cluster-down', state: 'fail', slotsFail: 5462 } });
    expect(f.evidence.join('\n')).toMatch(new RegExp(`master ${cluster.ids[2]!.slice(0, 8)} 127\\.0\\.0\\.1:${third.port} flagged fail.*does not connect from here either: refused`));
    expect(f.remediations[0]?.id).toBe('restore-cluster-node');
  }, 30_000);
});

describeLab('Redis Cluster node with no slots', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  let lone: RedisServer;
  beforeAll(async () => {
    lone = await startRedis({ args: clusterArgs() });
  });
  afterAll(() => lone?.stop());

  it('no slots assigned → cluster-down, "Hash slot not served", confirmed', async () => {
    const d = await diagnose(targetOf(lone.host, lone.port), { timeoutMs: 1000 });
    expectDiagnosis(d, { primaryCause: 'cluster-down', verdict: 'unreachable', evidence: /EXISTS redis-doctor:slot:c → -CLUSTERDOWN Hash slot not served/ });
    expect(d.findings[0]).toMatchObject({ confidence: 'confirmed', details: { reason: 'slot-not-served', slotsAssigned: 0 } });
    expect(d.findings[0]?.remediations.map((r) => r.id)).toContain('assign-cluster-slots');
    expect(check(d, 'cluster-keys')?.status).toBe('warn');
  });
});

/**
 * Literal observations for the topology rules: a replica, a cluster node, a
 * Sentinel target, as the topology phase records them against redis-server
 * 7.0.15 (texts and shapes captured from the servers of
 * test/integration/{replication,cluster,sentinel}.test.ts).
 */
import type { ClusterNodeEntry, FollowedNode, Observations, TopologyObservation } from '../../src/engine/model/types.js';
import { healthy, INFO_COMMAND, session, withInfo } from './fixtures.js';

export const IDS = {
  a: '2a0f1194b1fb13f95aef16614d96f343acddc859',
  b: '0784bb94df410cf50b646ecd9e6941e7bac81019',
  c: '200eb03c4605454fb1d1067ed4730bc10577329b',
} as const;

export const CLUSTERDOWN = 'CLUSTERDOWN The cluster is down';
export const NOT_SERVED = 'CLUSTERDOWN Hash slot not served';

/** A node followed one hop away that answered +PONG. */
export function node(via: FollowedNode['via'], host: string, port: number, extra: Partial<FollowedNode> = {}): FollowedNode {
  return { via, host, port, connect: { ok: true, address: host, durationMs: 1 }, ping: '+PONG', errors: [], durationMs: 2, ...extra };
}

/** The same node, its connect refused. */
export function refusedNode(via: FollowedNode['via'], host: string, port: number, extra: Partial<FollowedNode> = {}): FollowedNode {
  return { via, host, port, connect: { ok: false, code: 'ECONNREFUSED', address: host, durationMs: 1 }, errors: [], durationMs: 1, ...extra };
}

export function topology(kind: TopologyObservation['kind'], extra: Partial<TopologyObservation> = {}): TopologyObservation {
  return { kind, source: 'info', expected: {}, commands: [], followed: [], ...extra };
}

/** A replica of 10.0.0.4:6379, its link up; the primary followed and answering role:master. */
export function replicaObs(access?: 'read' | 'write'): Observations {
  const obs = withInfo(healthy(), {
    replication: { role: 'slave', master_host: '10.0.0.4', master_port: '6379', master_link_status: 'up', slave_read_only: '1', connected_slaves: '0' },
  });
  obs.topology = topology('standalone', {
    role: 'slave',
    expected: access ? { access } : {},
    followed: [node('replica-primary', '10.0.0.4', 6379, { info: { redis_mode: 'standalone', role: 'master', run_id: 'f'.repeat(40) } })],
  });
  return obs;
}

export function clusterNode(id: string, port: number, slots: [number, number][], extra: Partial<ClusterNodeEntry> = {}): ClusterNodeEntry {
  return { id, endpoint: '10.0.0.5', ip: '10.0.0.5', port, busPort: port + 10000, role: 'master', health: 'online', flags: ['master'], linkState: 'connected', slots, myself: false, ...extra };
}

/** Node 10.0.0.5:7000 of a healthy three-master cluster (7000, 7001, 7002 on the same host). */
export function clusterObs(): Observations {
  const obs = healthy();
  obs.target = { input: '10.0.0.5:7000', host: '10.0.0.5', port: 7000, tls: false };
  obs.tcp = { ...obs.tcp!, port: 7000 };
  obs.info!.sections['server'] = { ...obs.info!.sections['server'], redis_mode: 'cluster', tcp_port: '7000' };
  obs.topology = topology('cluster', {
    role: 'master',
    cluster: {
      info: { cluster_state: 'ok', cluster_slots_assigned: '16384', cluster_slots_ok: '16384', cluster_slots_pfail: '0', cluster_slots_fail: '0', cluster_known_nodes: '3', cluster_size: '3' },
      nodes: [
        clusterNode(IDS.a, 7000, [[0, 5460]], { flags: ['myself', 'master'], myself: true }),
        clusterNode(IDS.b, 7001, [[5461, 10922]]),
        clusterNode(IDS.c, 7002, [[10923, 16383]]),
      ],
      source: 'shards',
      config: { 'cluster-announce-ip': '', 'cluster-port': '0', 'cluster-require-full-coverage': 'yes', 'cluster-allow-reads-when-down': 'no' },
      keyProbes: [
        { key: 'redis-doctor:slot:c', reply: { kind: 'integer', text: '0' } },
        { key: 'redis-doctor:slot:b', reply: { kind: 'error', text: 'MOVED 6321 10.0.0.5:7001' } },
        { key: 'redis-doctor:slot:d', reply: { kind: 'error', text: 'MOVED 14455 10.0.0.5:7002' } },
      ],
    },
    followed: [node('cluster-node', '10.0.0.5', 7001, { expectedId: IDS.b, myId: IDS.b }), node('cluster-node', '10.0.0.5', 7002, { expectedId: IDS.c, myId: IDS.c })],
  });
  return obs;
}

/** The cluster after node 7002 died: flagged fail, its slots failing, key commands refused. */
export function clusterDownObs(): Observations {
  const obs = clusterObs();
  const c = obs.topology!.cluster!;
  c.info = { ...c.info, cluster_state: 'fail', cluster_slots_ok: '10923', cluster_slots_fail: '5461' };
  c.nodes[2] = { ...c.nodes[2]!, flags: ['master', 'fail'], linkState: 'disconnected', health: 'fail' };
  c.keyProbes = c.keyProbes.map((k) => ({ ...k, reply: { kind: 'error', text: CLUSTERDOWN } }));
  obs.topology!.followed[1] = refusedNode('cluster-node', '10.0.0.5', 7002, { expectedId: IDS.c, bus: { port: 17002, ok: false, code: 'ECONNREFUSED' } });
  return obs;
}

/** The primary of mymaster at 10.0.0.5:6379, as the full probes see it: healthy. */
export function primaryObservations(): Observations {
  const obs = withInfo(healthy(), { replication: { role: 'master', connected_slaves: '1', slave0: 'ip=10.0.0.6,port=6379,state=online,offset=975,lag=0' } });
  obs.info!.sections['server'] = { ...obs.info!.sections['server'], run_id: 'a'.repeat(40) };
  obs.topology = topology('standalone', { role: 'master' });
  return obs;
}

/** A Sentinel at 10.0.0.9:26379 asked for mymaster (null: no name configured); it names 10.0.0.5:6379, one replica 10.0.0.6:6379, no peers. */
export function sentinelObs(name: string | null = 'mymaster'): Observations {
  const obs = healthy();
  obs.target = { input: '10.0.0.9:26379', host: '10.0.0.9', port: 26379, tls: false };
  obs.tcp = { ok: true, address: '10.0.0.9', port: 26379, durationMs: 1 };
  obs.dns = { lookedUp: false, ok: true, addresses: [{ address: '10.0.0.9', family: 4 }], durationMs: 0 };
  obs.resp = session([['PING', { kind: 'status', text: 'PONG' }], [INFO_COMMAND, { kind: 'string', text: '# Server' }]]);
  obs.info = { sections: { server: { redis_version: '7.0.15', redis_mode: 'sentinel', tcp_port: '26379' }, clients: { connected_clients: '3', maxclients: '10000' } } };
  obs.topology = topology('sentinel', {
    role: 'sentinel',
    expected: name ? { sentinelMaster: name } : {},
    sentinel: {
      masters: [{ name: 'mymaster', host: '10.0.0.5', port: 6379, runId: 'a'.repeat(40), flags: ['master'], numSlaves: 1, numOtherSentinels: 0, quorum: 1 }],
      ...(name ? { masterAddr: { host: '10.0.0.5', port: 6379 }, replicas: [{ host: '10.0.0.6', port: 6379, runId: 'b'.repeat(40), flags: ['slave'], masterLinkStatus: 'ok' }], sentinels: [], ckquorum: { ok: true, text: '+OK 1 usable Sentinels. Quorum and failover authorization can be reached' } } : {}),
    },
    followed: name ? [node('sentinel-replica', '10.0.0.6', 6379, { expectedId: 'b'.repeat(40), info: { role: 'slave', run_id: 'b'.repeat(40) } })] : [],
    primary: { sentinel: '10.0.0.9:26379', masterName: 'mymaster', observations: primaryObservations() },
  });
  return obs;
}

/** A data node (10.0.0.5:6379, now a replica of 10.0.0.6) configured as the Sentinel for mymaster; a Sentinel's hello names 10.0.0.6. */
export function staleTargetObs(): Observations {
  const obs = replicaObs();
  obs.info!.sections['replication'] = { ...obs.info!.sections['replication'], master_host: '10.0.0.6' };
  obs.target = { ...obs.target, input: 'cache-prod', name: 'cache-prod' };
  obs.topology = topology('standalone', {
    role: 'slave',
    expected: { sentinelMaster: 'mymaster' },
    commands: [{ command: 'SENTINEL GET-MASTER-ADDR-BY-NAME mymaster', check: 'sentinel-master', purpose: 'quote', reply: { kind: 'error', text: "ERR unknown command 'SENTINEL', with args beginning with: 'GET-MASTER-ADDR-BY-NAME' 'mymaster' " }, durationMs: 1 }],
    discovery: { waitedMs: 812, hellos: [{ sentinelHost: '10.0.0.9', sentinelPort: 26379, sentinelRunId: 'c'.repeat(40), masterName: 'mymaster', masterHost: '10.0.0.6', masterPort: 6379 }] },
    followed: [
      node('replica-primary', '10.0.0.6', 6379, { info: { role: 'master' } }),
      node('hello-sentinel', '10.0.0.9', 26379, { expectedId: 'c'.repeat(40), masterAddr: { host: '10.0.0.6', port: 6379 }, ckquorum: { ok: true, text: '+OK 1 usable Sentinels. Quorum and failover authorization can be reached' } }),
    ],
  });
  return obs;
}

/** A primary with min-replicas-to-write 1 and no good replica; CONFIG answered. */
export function noReplicasObs(withConfig = true): Observations {
  const obs = withInfo(healthy(), { replication: { role: 'master', connected_slaves: '0', min_slaves_good_slaves: '0' } });
  obs.topology = topology('standalone', {
    role: 'master',
    ...(withConfig ? { minReplicas: { 'min-replicas-to-write': '1', 'min-replicas-max-lag': '10' } } : {}),
    commands: [
      withConfig
        ? { command: 'CONFIG GET min-replicas-*', check: 'min-replicas', purpose: 'evidence', reply: { kind: 'array', text: 'min-replicas-to-write 1 min-replicas-max-lag 10' }, durationMs: 1 }
        : { command: 'CONFIG GET min-replicas-*', check: 'min-replicas', purpose: 'evidence', reply: { kind: 'error', text: "ERR unknown command 'CONFIG', with args beginning with: 'GET' 'min-replicas-*' " }, durationMs: 1 },
    ],
  });
  return obs;
}

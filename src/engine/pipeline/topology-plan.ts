/**
 * The pure half of the topology phase: what the target is (from INFO, or
 * ROLE when INFO was refused), which read-only commands the one follow-up
 * round trip sends, and the `topology` line of "what was checked". How the
 * replies become a TopologyObservation is topology-absorb.ts (loaded only
 * when a follow-up went out).
 *
 * The follow-up is planned only when INFO says it is needed, so a healthy
 * standalone primary costs no extra round trip:
 *   Sentinel (redis_mode:sentinel)  SENTINEL MASTERS [+ GET-MASTER-ADDR-BY-NAME, REPLICAS, SENTINELS, CKQUORUM <name>]
 *   cluster node (redis_mode:cluster)  CLUSTER INFO, CLUSTER SHARDS (SLOTS before 7.0), CLUSTER NODES,
 *                                   CONFIG GET cluster-*, EXISTS on three keys spread over the slots
 *   primary with min-replicas-to-write (INFO min_slaves_good_slaves)  CONFIG GET min-replicas-*
 *   a data node where a Sentinel was configured  SENTINEL GET-MASTER-ADDR-BY-NAME <name> (the reply clients get)
 *   a standalone server where a cluster client was configured  CLUSTER SHARDS (the same)
 *   INFO refused, PING answered  ROLE
 */
import type { TopologyOptions } from '../model/options.js';
import type { TopologyCommand, TopologyExpectation, TopologyKind, TopologyObservation } from '../model/topology.js';
import type { Observations } from '../model/types.js';
import { hostPort } from '../shared/address.js';
import { infoField } from '../probes/info.js';
import { clip } from './check-details.js';
import type { CheckOutcome } from './steps.js';

/**
 * Keys whose hash slots fall in each third of the 16384 slots (CLUSTER KEYSLOT:
 * 2192, 6321, 14455), so on a cluster of several masters at least one of them
 * usually lives elsewhere and EXISTS shows the -MOVED a plain client gets.
 * EXISTS reads; the keys are never written.
 */
export const SLOT_PROBE_KEYS = ['redis-doctor:slot:c', 'redis-doctor:slot:b', 'redis-doctor:slot:d'] as const;

export interface PlannedTopologyCommand {
  label: string;
  args: string[];
  check: string;
  purpose: TopologyCommand['purpose'];
}

export function expectationOf(options: TopologyOptions | undefined): TopologyExpectation {
  const out: TopologyExpectation = {};
  if (options?.sentinelMaster) out.sentinelMaster = options.sentinelMaster;
  if (options?.cluster !== undefined) out.cluster = options.cluster;
  if (options?.access) out.access = options.access;
  return out;
}

/** What INFO says the target is. */
export function classify(obs: Observations): { kind: TopologyKind; role?: string; source: TopologyObservation['source'] } {
  const mode = infoField(obs.info?.sections, 'redis_mode');
  const role = infoField(obs.info?.sections, 'role');
  const kind: TopologyKind = mode === 'sentinel' ? 'sentinel' : mode === 'cluster' ? 'cluster' : mode === 'standalone' ? 'standalone' : 'unknown';
  if (kind === 'unknown') return { kind, source: 'none' };
  return { kind, role: kind === 'sentinel' ? 'sentinel' : role, source: 'info' };
}

function majorVersion(obs: Observations): number | undefined {
  const v = infoField(obs.info?.sections, 'redis_version');
  const major = v ? Number(v.split('.')[0]) : NaN;
  return Number.isFinite(major) ? major : undefined;
}

const cmd = (check: string, args: string[], purpose: PlannedTopologyCommand['purpose'] = 'evidence'): PlannedTopologyCommand => ({ label: args.join(' '), args, check, purpose });

export function planFollowUp(obs: Observations, topo: Pick<TopologyObservation, 'kind' | 'expected'>): PlannedTopologyCommand[] {
  const name = topo.expected.sentinelMaster;
  if (topo.kind === 'sentinel') {
    const out = [cmd('sentinel-masters', ['SENTINEL', 'MASTERS'])];
    if (name) {
      out.push(
        cmd('sentinel-master', ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name]),
        cmd('sentinel-replicas', ['SENTINEL', 'REPLICAS', name]),
        cmd('sentinel-sentinels', ['SENTINEL', 'SENTINELS', name]),
        cmd('sentinel-ckquorum', ['SENTINEL', 'CKQUORUM', name]),
      );
    }
    return out;
  }
  if (topo.kind === 'cluster') {
    const shards = (majorVersion(obs) ?? 7) >= 7 ? ['CLUSTER', 'SHARDS'] : ['CLUSTER', 'SLOTS'];
    return [
      cmd('cluster-info', ['CLUSTER', 'INFO']),
      cmd('cluster-shards', shards),
      cmd('cluster-nodes', ['CLUSTER', 'NODES']),
      cmd('cluster-config', ['CONFIG', 'GET', 'cluster-*']),
      ...SLOT_PROBE_KEYS.map((key) => cmd('cluster-keys', ['EXISTS', key])),
    ];
  }
  const out: PlannedTopologyCommand[] = [];
  if (topo.kind === 'unknown') {
    // INFO refused (renamed, or denied by an ACL) while PING works: ROLE still says what the server is.
    if (obs.resp?.ok) out.push(cmd('role', ['ROLE']));
    return out;
  }
  if (name) out.push(cmd('sentinel-master', ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name], 'quote'));
  if (topo.expected.cluster === true) out.push(cmd('cluster-shards', ['CLUSTER', 'SHARDS'], 'quote'));
  if (infoField(obs.info?.sections, 'min_slaves_good_slaves') !== undefined) out.push(cmd('min-replicas', ['CONFIG', 'GET', 'min-replicas-*']));
  return out;
}

/** What the target is, for the `topology` check. */
export function topologyCheck(obs: Observations, topo: TopologyObservation): CheckOutcome {
  const status = topo.followUpTimedOut ? 'warn' : 'pass';
  const suffix = topo.followUpTimedOut ? ' (the follow-up commands timed out)' : '';
  const role = topo.role === 'slave' ? 'replica' : topo.role === 'master' ? 'primary' : topo.role;
  switch (topo.kind) {
    case 'sentinel': {
      const masters = topo.sentinel?.masters;
      const names = masters ? `${masters.length} master${masters.length === 1 ? '' : 's'}${masters.length ? `: ${masters.slice(0, 4).map((m) => m.name).join(', ')}` : ''}` : 'masters unknown';
      return { status, detail: clip(`Sentinel (INFO redis_mode:sentinel), ${names}${suffix}`) };
    }
    case 'cluster': {
      const state = topo.cluster?.info?.['cluster_state'];
      const nodes = topo.cluster?.nodes.length;
      return { status, detail: clip(`cluster node, ${role ?? 'role unknown'} (INFO redis_mode:cluster)${state ? `, cluster_state:${state}` : ''}${nodes ? `, ${nodes} nodes` : ''}${suffix}`) };
    }
    case 'standalone': {
      const of = topo.role === 'slave' ? ` of ${hostPort(infoField(obs.info?.sections, 'master_host') ?? '?', Number(infoField(obs.info?.sections, 'master_port') ?? 6379))}` : '';
      return { status, detail: clip(`standalone ${role ?? 'server'}${of} (INFO redis_mode:standalone, role:${topo.role ?? '?'})${suffix}`) };
    }
    default:
      if (topo.source === 'role') return { status, detail: clip(`${role ?? 'unknown'} (ROLE; INFO did not answer)${suffix}`) };
      return { status: 'skip', detail: 'INFO did not say (not answered)' };
  }
}

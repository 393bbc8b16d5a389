/**
 * An address the topology hands to clients does not connect from where the
 * doctor runs: the primary a Sentinel names (SENTINEL GET-MASTER-ADDR-BY-NAME),
 * a replica it lists (SENTINEL REPLICAS), a cluster node's endpoint
 * (CLUSTER SHARDS / SLOTS, the address -MOVED sends clients to). Usual
 * causes: replica-announce-ip / cluster-announce-ip set to an internal
 * address, NAT or a Docker bridge (172.17.x.x), an empty or "?" endpoint
 * (cluster-preferred-endpoint-type unknown-endpoint, or hostname without one).
 *
 * Which node and what failed is named. Sentinel-aware and cluster clients
 * connect to exactly these addresses, so for a primary, or a cluster master
 * serving slots, it is critical; for a replica a warning (readers sent there
 * fail, writers do not). A cluster node the cluster itself flags failing is
 * down rather than mis-announced: cluster-down reports it.
 *
 * How sure: a refusal, an unreachable route, a name that does not resolve, an
 * empty endpoint are replies: confirmed; silence until the bound: likely.
 * It explains the followed primary's own refused or timed-out connect
 * (supersedes those generic findings).
 */
import { fixTarget, fixTargetAt, REMEDIATIONS } from '../remediations/index.js';
import type { Confidence, FollowedNode, Observations, Severity } from '../model/types.js';
import { hostPort } from './helpers/observed.js';
import { clusterNodeLabel, connectConfidence, connectFailure, followed, nodeAddress, nodeHost, topologyOf } from './helpers/topology.js';
import { defineRule } from './helpers/define.js';

interface Unreachable {
  what: string;
  /** host:port as quoted, and its two halves (for the network-path steps). */
  address: string;
  host: string;
  port: number;
  kind: 'cluster' | 'replica' | 'sentinel-primary' | 'gone-replica';
  severity: Severity;
  confidence: Confidence;
  lines: string[];
}

const FAILING = ['fail', 'fail?'];

/** The followed Sentinel primary: its own DNS or TCP step failed. */
function sentinelPrimary(obs: Observations): Unreachable | undefined {
  const p = obs.topology?.primary;
  const o = p?.observations;
  if (!p || !o) return undefined;
  const address = hostPort(o.target.host, o.target.port);
  const master = obs.topology?.sentinel?.masters?.find((m) => m.name === p.masterName);
  const down = master?.flags.filter((f) => f === 's_down' || f === 'o_down') ?? [];
  const lines = [`SENTINEL GET-MASTER-ADDR-BY-NAME ${p.masterName} → ${o.target.host} ${o.target.port}: the address Sentinel-aware clients connect to`];
  let confidence: Confidence = 'confirmed';
  if (o.dns && !o.dns.ok) lines.push(`lookup of "${o.target.host}" failed here (${o.dns.code ?? 'no address'})`);
  else if (o.tcp && !o.tcp.ok) {
    if (o.tcp.code === 'ETIMEDOUT') confidence = 'likely';
    lines.push(`TCP connect to ${address} from here: ${o.tcp.code ?? 'failed'}${o.tcp.code === 'ECONNREFUSED' ? ' (refused)' : o.tcp.code === 'ETIMEDOUT' ? ' (no answer within the bound)' : ''}`);
  } else return undefined;
  if (down.length) lines.push(`the Sentinel flags it ${down.join(',')}: it cannot reach it either — the primary is down${down.includes('o_down') ? ', and a failover is due' : ''}`);
  else if (master) lines.push(`the Sentinel sees it as up (flags ${master.flags.join(',')}): it runs, but not at an address clients reach from here (announced address, NAT, Docker bridge)`);
  return { what: `the primary of "${p.masterName}"`, address, host: o.target.host, port: o.target.port, kind: 'sentinel-primary', severity: 'critical', confidence, lines };
}

/** The primary's INFO lists this replica as connected: it runs, just not at the announced address. */
function listedOnline(obs: Observations, n: FollowedNode): boolean {
  const replication = obs.topology?.primary?.observations.info?.sections['replication'] ?? {};
  return Object.entries(replication).some(([k, v]) => /^slave\d+$/.test(k) && v.includes(`ip=${n.host},`) && v.includes(`port=${n.port},`) && v.includes('state=online'));
}

/**
 * A replica Sentinel lists that does not connect. The primary lists it online: it runs, at
 * another address than it announces (warning). Sentinel flags it down and the primary does
 * not list it: a replica gone, still remembered; Sentinel-aware clients skip replicas flagged
 * s_down or disconnected, so nobody is sent there (info). Otherwise Sentinel hands it out.
 */
function sentinelReplica(obs: Observations, n: FollowedNode): Unreachable {
  const entry = obs.topology?.sentinel?.replicas?.find((r) => r.host === n.host && r.port === n.port);
  const lines = [`SENTINEL REPLICAS lists ${nodeAddress(n)}${entry ? ` (flags ${entry.flags.join(',')})` : ''}: the address Sentinel hands to clients that read from replicas`, `from here: ${connectFailure(n, obs.client.timeoutMs)}`];
  const flaggedDown = entry?.flags.some((f) => f === 's_down' || f === 'o_down' || f === 'disconnected') ?? false;
  const base = { what: 'a replica', address: nodeAddress(n), host: nodeHost(n), port: n.port, confidence: connectConfidence(n) };
  if (listedOnline(obs, n)) {
    lines.push('the primary lists it as a connected replica (state=online): it runs, but not at the address it announces (replica-announce-ip / replica-announce-port, NAT, Docker)');
    if (flaggedDown) lines.push('the Sentinel cannot reach it there either (flagged down): Sentinel-aware clients skip it, so readers lose this replica and a failover cannot promote it');
    return { ...base, kind: 'replica', severity: 'warning', lines };
  }
  if (flaggedDown && obs.topology?.primary?.observations.info) {
    lines.push('the primary does not list it among its replicas and the Sentinel flags it down: a replica gone, still remembered; Sentinel-aware clients skip it');
    return { ...base, what: 'a replica that is gone', kind: 'gone-replica', severity: 'info', lines };
  }
  return { ...base, kind: 'replica', severity: 'warning', lines };
}

function clusterNode(obs: Observations, n: FollowedNode): Unreachable | undefined {
  const entry = obs.topology?.cluster?.nodes.find((x) => x.id === n.expectedId);
  if (entry?.flags.some((f) => FAILING.includes(f))) return undefined;
  const source = obs.topology?.cluster?.source === 'slots' ? 'CLUSTER SLOTS' : 'CLUSTER SHARDS';
  const label = entry ? clusterNodeLabel(entry) : nodeAddress(n);
  const lines = [`${source} hands clients ${nodeAddress(n)} for ${entry ? `${entry.role} ${entry.id.slice(0, 8)}` : label}`, `from here: ${connectFailure(n, obs.client.timeoutMs)}`];
  const moved = obs.topology?.cluster?.keyProbes.find((k) => k.reply.kind === 'error' && k.reply.text.endsWith(` ${nodeAddress(n)}`));
  if (moved) lines.push(`EXISTS ${moved.key} → -${moved.reply.text}: clients are sent there`);
  if (entry && n.connect.code !== 'NOADDR') {
    lines.push(`the cluster does not flag it failing (flags ${entry.flags.join(',') || '-'}, link ${entry.linkState ?? '?'}): it runs, but announces an address clients cannot reach (cluster-announce-ip / -port, NAT, Docker)`);
  }
  const servesSlots = entry ? entry.role === 'master' && entry.slots.length > 0 : true;
  return { what: entry ? `cluster ${entry.role} ${entry.id.slice(0, 8)}` : 'a cluster node', address: nodeAddress(n), host: nodeHost(n), port: n.port, kind: 'cluster', severity: servesSlots ? 'critical' : 'warning', confidence: n.connect.code === 'NOADDR' ? 'confirmed' : connectConfidence(n), lines };
}

export const rule = defineRule({
  cause: 'announced-address-unreachable',
  impact: 'unusable',
  supersedes: ['connection-refused', 'connection-timeout', 'host-unreachable', 'dns-resolution-failed'],
  evaluate(obs) {
    const topo = topologyOf(obs);
    if (!topo) return undefined;
    const found: Unreachable[] = [];
    const primary = sentinelPrimary(obs);
    if (primary) found.push(primary);
    for (const n of followed(obs, 'sentinel-replica', 'cluster-node')) {
      if (n.connect.ok) continue;
      const u = n.via === 'sentinel-replica' ? sentinelReplica(obs, n) : clusterNode(obs, n);
      if (u) found.push(u);
    }
    if (found.length === 0) return undefined;
    const order = { critical: 0, warning: 1, info: 2 } as const;
    found.sort((a, b) => order[a.severity] - order[b.severity]);
    const worst = found[0]!;
    const confidence: Confidence = found.some((f) => f.confidence === 'confirmed') ? 'confirmed' : 'likely';
    const title = found.length === 1
      ? `Clients are handed ${worst.address} for ${worst.what}, and it does not connect from here`
      : `${found.length} addresses handed to clients do not connect from here: ${found.slice(0, 3).map((f) => `${f.address} (${f.what})`).join(', ')}${found.length > 3 ? ' …' : ''}`;
    const evidence = found.slice(0, 4).flatMap((f) => f.lines);
    if (found.length > 4) evidence.push(`… and ${found.length - 4} more`);
    const t = fixTarget(obs);
    const master = obs.topology?.primary?.masterName ?? obs.topology?.expected.sentinelMaster;
    return {
      severity: worst.severity,
      confidence,
      title,
      evidence,
      remediations: worst.kind === 'gone-replica'
        ? [REMEDIATIONS['forget-gone-replica'](t, { ...(master ? { master } : {}), replica: worst.address })]
        : [
            REMEDIATIONS['fix-announced-address'](t, { kind: worst.kind, node: `${worst.what} (${worst.address})`, address: worst.address }),
            REMEDIATIONS['check-network-path'](fixTargetAt(t, worst.host, worst.port)),
          ],
      details: { addresses: found.slice(0, 8).map((f) => f.address).join(','), kind: worst.kind },
    };
  },
});

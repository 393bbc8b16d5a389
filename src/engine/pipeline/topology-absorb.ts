/**
 * The follow-up round trip's replies → the topology observation, and one
 * check per command family. Loaded only when a follow-up was sent (the
 * healthy standalone path never pays for the reply parsers).
 */
import type { TopologyCommand, TopologyObservation } from '../model/topology.js';
import type { BatchResult } from '../probes/resp-connection.js';
import { wireText, type RespNode } from '../probes/resp-parser.js';
import { hostPort } from '../shared/address.js';
import {
  mergeClusterNodes,
  parseCkquorum,
  parseClusterNodes,
  parseClusterShards,
  parseClusterSlots,
  parseConfigGet,
  parseFieldLines,
  parseMasterAddr,
  parseSentinelMasters,
  parseSentinelPeers,
} from '../probes/topology-replies.js';
import { clip } from './check-details.js';
import type { CheckOutcome } from './steps.js';
import type { PlannedTopologyCommand } from './topology-plan.js';

function asError(node: RespNode | undefined): boolean {
  return node?.kind === 'error';
}

/** The follow-up's replies → the topology observation (in place). */
export function absorbFollowUp(topo: TopologyObservation, plan: readonly PlannedTopologyCommand[], batch: BatchResult): void {
  if (batch.timedOut) topo.followUpTimedOut = true;
  const byCheck = new Map<string, RespNode | undefined>();
  const keyProbes: { key: string; reply: RespNode }[] = [];
  plan.forEach((p, i) => {
    const r = batch.replies[i];
    const reply = r?.reply;
    topo.commands.push({ command: p.label, check: p.check, purpose: p.purpose, durationMs: r?.durationMs ?? 0, ...(reply ? { reply: { kind: reply.kind, text: reply.text } } : {}) });
    if (p.check === 'cluster-keys') {
      if (reply) keyProbes.push({ key: p.args[1]!, reply });
    } else {
      byCheck.set(p.check, reply);
    }
  });
  const ok = (check: string) => {
    const n = byCheck.get(check);
    return n && !asError(n) ? n : undefined;
  };
  if (topo.kind === 'sentinel') {
    const masters = parseSentinelMasters(ok('sentinel-masters'));
    const masterAddr = parseMasterAddr(ok('sentinel-master'));
    const replicas = parseSentinelPeers(ok('sentinel-replicas'));
    const sentinels = parseSentinelPeers(ok('sentinel-sentinels'));
    const ckquorum = parseCkquorum(byCheck.get('sentinel-ckquorum'));
    topo.sentinel = {
      ...(masters ? { masters } : {}),
      ...(masterAddr !== undefined ? { masterAddr } : {}),
      ...(replicas ? { replicas } : {}),
      ...(sentinels ? { sentinels } : {}),
      ...(ckquorum ? { ckquorum } : {}),
    };
  }
  if (topo.kind === 'cluster') {
    const info = ok('cluster-info');
    const shardsNode = ok('cluster-shards');
    const shardsCommand = plan.find((p) => p.check === 'cluster-shards')?.label;
    const listed = shardsCommand === 'CLUSTER SLOTS' ? parseClusterSlots(shardsNode) : parseClusterShards(shardsNode);
    const nodesText = ok('cluster-nodes');
    const fromNodes = nodesText?.kind === 'string' ? parseClusterNodes(nodesText.text) : undefined;
    const config = parseConfigGet(ok('cluster-config'));
    topo.cluster = {
      ...(info?.kind === 'string' ? { info: parseFieldLines(info.text) } : {}),
      nodes: mergeClusterNodes(listed, fromNodes),
      ...(listed ? { source: shardsCommand === 'CLUSTER SLOTS' ? 'slots' as const : 'shards' as const } : fromNodes ? { source: 'nodes' as const } : {}),
      ...(config ? { config } : {}),
      keyProbes: keyProbes.map((k) => ({ key: k.key, reply: { kind: k.reply.kind, text: k.reply.text } })),
    };
  }
  const minReplicas = parseConfigGet(ok('min-replicas'));
  if (minReplicas) topo.minReplicas = minReplicas;
  const role = ok('role');
  if (role) {
    topo.roleReply = role.text;
    const first = role.items?.[0]?.text;
    if (first) {
      topo.role = first;
      topo.source = 'role';
      if (first === 'sentinel') topo.kind = 'sentinel';
    }
  }
}

/** One line per follow-up check id (several commands may share one: the key probes). */
export function commandChecks(topo: TopologyObservation): { id: string; outcome: CheckOutcome; durationMs: number }[] {
  const out: { id: string; outcome: CheckOutcome; durationMs: number }[] = [];
  const ids = [...new Set(topo.commands.map((c) => c.check))];
  for (const id of ids) {
    const commands = topo.commands.filter((c) => c.check === id);
    const durationMs = Math.max(...commands.map((c) => c.durationMs));
    const errors = commands.filter((c) => c.reply?.kind === 'error');
    const missing = commands.filter((c) => !c.reply);
    if (missing.length === commands.length) {
      out.push({ id, outcome: { status: 'fail', detail: topo.followUpTimedOut ? 'no reply before the timeout' : 'no reply (connection closed)' }, durationMs });
      continue;
    }
    if (errors.length > 0 && id !== 'cluster-keys') {
      const first = errors[0]!;
      out.push({ id, outcome: { status: first.purpose === 'quote' ? 'fail' : 'warn', detail: clip(`${first.command} ${wireText(first.reply!)}`) }, durationMs });
      continue;
    }
    // A key lookup refused for another reason than a redirect (-CLUSTERDOWN …) is worth a look.
    const refused = id === 'cluster-keys' && errors.some((c) => !/^(MOVED|ASK) /.test(c.reply!.text));
    out.push({ id, outcome: { status: refused ? 'warn' : 'pass', detail: clip(passDetail(id, topo, commands)) }, durationMs });
  }
  return out;
}

function passDetail(id: string, topo: TopologyObservation, commands: TopologyCommand[]): string {
  const s = topo.sentinel;
  const c = topo.cluster;
  switch (id) {
    case 'sentinel-masters':
      return `${s?.masters?.length ?? 0} monitored: ${(s?.masters ?? []).slice(0, 4).map((m) => `${m.name} ${hostPort(m.host, m.port)} (${m.flags.join(',')})`).join('; ')}`;
    case 'sentinel-master':
      return s?.masterAddr ? `primary ${hostPort(s.masterAddr.host, s.masterAddr.port)}` : s?.masterAddr === null ? 'no master of that name (null reply)' : commands[0]?.reply?.text ?? '';
    case 'sentinel-replicas':
    case 'sentinel-sentinels': {
      const list = id === 'sentinel-replicas' ? s?.replicas : s?.sentinels;
      return `${list?.length ?? 0}${list?.length ? `: ${list.slice(0, 4).map((r) => `${hostPort(r.host, r.port)} (${r.flags.join(',')})`).join('; ')}` : ''}`;
    }
    case 'sentinel-ckquorum':
      return s?.ckquorum?.text ?? '';
    case 'cluster-info': {
      const i = c?.info ?? {};
      return ['cluster_state', 'cluster_slots_assigned', 'cluster_slots_ok', 'cluster_slots_pfail', 'cluster_slots_fail', 'cluster_known_nodes']
        .filter((f) => i[f] !== undefined).map((f) => `${f}:${i[f]}`).join(' ');
    }
    case 'cluster-shards':
    case 'cluster-nodes': {
      const nodes = c?.nodes ?? [];
      const flagged = nodes.filter((n) => n.flags.some((f) => ['fail', 'fail?', 'handshake', 'noaddr'].includes(f)));
      const masters = nodes.filter((n) => n.role === 'master').length;
      return `${nodes.length} nodes (${masters} masters)${flagged.length ? `; flagged: ${flagged.map((n) => `${hostPort(n.endpoint || n.ip || '?', n.port)} ${n.flags.filter((f) => f !== 'master' && f !== 'slave').join(',')}`).join('; ')}` : ''}`;
    }
    case 'cluster-config': {
      const cfg = c?.config ?? {};
      return ['cluster-announce-ip', 'cluster-announce-port', 'cluster-announce-bus-port', 'cluster-port', 'cluster-preferred-endpoint-type', 'cluster-require-full-coverage']
        .filter((f) => cfg[f] !== undefined).map((f) => `${f}:${cfg[f] === '' ? '""' : cfg[f]}`).join(' ');
    }
    case 'cluster-keys':
      return commands.map((k) => `${k.command} ${k.reply ? wireText(k.reply) : '?'}`).join(', ');
    case 'min-replicas':
      // CONFIG GET answers in hash order: quote in a fixed one.
      return ['min-replicas-to-write', 'min-replicas-max-lag'].filter((k) => topo.minReplicas?.[k] !== undefined).map((k) => `${k}:${topo.minReplicas![k]}`).join(' ');
    case 'role':
      return `ROLE ${topo.roleReply ?? ''}`;
    default:
      return commands[0]?.reply ? wireText(commands[0].reply) : '';
  }
}

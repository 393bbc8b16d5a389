/**
 * The pure half of the topology phase: what the target is (from INFO, or
 * ROLE when INFO was refused), which read-only commands the one follow-up
 * round trip sends, how their replies become a TopologyObservation, and the
 * line each one gets in "what was checked".
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
import type { BatchResult } from '../probes/resp-connection.js';
import type { RespNode } from '../probes/resp-parser.js';
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
import { wireText } from './check-details.js';
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

function infoField(obs: Observations, field: string): string | undefined {
  for (const fields of Object.values(obs.info?.sections ?? {})) if (fields[field] !== undefined) return fields[field];
  return undefined;
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
  const mode = infoField(obs, 'redis_mode');
  const role = infoField(obs, 'role');
  const kind: TopologyKind = mode === 'sentinel' ? 'sentinel' : mode === 'cluster' ? 'cluster' : mode === 'standalone' ? 'standalone' : 'unknown';
  if (kind === 'unknown') return { kind, source: 'none' };
  return { kind, role: kind === 'sentinel' ? 'sentinel' : role, source: 'info' };
}

function majorVersion(obs: Observations): number | undefined {
  const v = infoField(obs, 'redis_version');
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
  if (infoField(obs, 'min_slaves_good_slaves') !== undefined) out.push(cmd('min-replicas', ['CONFIG', 'GET', 'min-replicas-*']));
  return out;
}

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

const MAX_DETAIL = 160;
function clip(text: string): string {
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text;
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
      const of = topo.role === 'slave' ? ` of ${hostPort(infoField(obs, 'master_host') ?? '?', Number(infoField(obs, 'master_port') ?? 6379))}` : '';
      return { status, detail: clip(`standalone ${role ?? 'server'}${of} (INFO redis_mode:standalone, role:${topo.role ?? '?'})${suffix}`) };
    }
    default:
      if (topo.source === 'role') return { status, detail: clip(`${role ?? 'unknown'} (ROLE; INFO did not answer)${suffix}`) };
      return { status: 'skip', detail: 'INFO did not say (not answered)' };
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
      return Object.entries(topo.minReplicas ?? {}).map(([k, v]) => `${k}:${v}`).join(' ');
    case 'role':
      return `ROLE ${topo.roleReply ?? ''}`;
    default:
      return commands[0]?.reply ? wireText(commands[0].reply) : '';
  }
}

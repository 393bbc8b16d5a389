/**
 * A Redis Cluster that cannot serve (all or some of) its keys. CLUSTER INFO
 * says cluster_state:fail, fewer than 16384 slots assigned, or slots in
 * pfail/fail; a key command then gets one of (cluster.c, clusterRedirectClient):
 *   -CLUSTERDOWN The cluster is down                              (CLUSTER_REDIR_DOWN_STATE: every key command)
 *   -CLUSTERDOWN The cluster is down and only accepts read commands   (CLUSTER_REDIR_DOWN_RO_STATE: writes, with cluster-allow-reads-when-down yes)
 *   -CLUSTERDOWN Hash slot not served                            (CLUSTER_REDIR_DOWN_UNBOUND: no node owns the key's slot)
 * The topology phase sends EXISTS on three keys spread over the slots, so the
 * variant the clients get is quoted, not guessed.
 *
 * Nodes CLUSTER NODES flags fail? (this node's view) or fail (the majority's)
 * or handshake: the others cannot talk to them over the cluster bus (port +
 * 10000 unless cluster-port). Which of "the node is down" and "its bus port
 * is blocked" it is, the follow hop says: a node that answers clients from
 * here but is flagged failing points at its bus port; one that does not
 * connect at all is down (or unreachable).
 *
 * Critical when cluster_state:fail (a reader with allow-reads-when-down: a
 * warning), a warning while the state is still ok (failing nodes, slots not
 * covered with cluster-require-full-coverage no). Impact `unusable`: in the
 * default configuration no key command is served.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { ClusterNodeEntry, Remediation } from '../model/types.js';
import { clip, hostPort, wire } from './helpers/observed.js';
import { answered, clusterNodeLabel, connectFailure, followed, nodeReply, notFollowedNotes, topologyOf } from './helpers/topology.js';
import { defineRule } from './helpers/define.js';

const SLOTS = 16384;
const FAILING_FLAGS = ['fail', 'fail?', 'handshake', 'noaddr'];
/** Nodes named in a title or in details: a cluster may list thousands (the rest is a count). */
const NAMED_IN_TITLE = 3;
const NAMED_IN_DETAILS = 8;

/** `a, b, c and 9997 more`: bounded whatever the cluster lists. */
function someOf(names: readonly string[], max: number): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

const VARIANTS: [RegExp, string, string][] = [
  [/^CLUSTERDOWN Hash slot not served/i, 'slot-not-served', 'no node serves that key\'s hash slot'],
  [/^CLUSTERDOWN The cluster is down and only accepts read commands/i, 'reads-only', 'reads are served (cluster-allow-reads-when-down yes), writes are refused'],
  [/^CLUSTERDOWN The cluster is down/i, 'cluster-down', 'every key command is refused, reads and writes'],
];

function num(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

export const rule = defineRule({
  cause: 'cluster-down',
  impact: 'unusable',
  evaluate(obs) {
    const topo = topologyOf(obs);
    const cluster = topo?.cluster;
    if (topo?.kind !== 'cluster' || !cluster) return undefined;
    const ci = cluster.info ?? {};
    const state = ci['cluster_state'];
    const assigned = num(ci['cluster_slots_assigned']);
    const pfail = num(ci['cluster_slots_pfail']) ?? 0;
    const fail = num(ci['cluster_slots_fail']) ?? 0;
    const downReplies = cluster.keyProbes.filter((k) => k.reply.kind === 'error' && /^CLUSTERDOWN\b/i.test(k.reply.text));
    const flagged = cluster.nodes.filter((n) => !n.myself && n.flags.some((f) => FAILING_FLAGS.includes(f)));
    const unassigned = assigned !== undefined ? SLOTS - assigned : 0;
    if (state !== 'fail' && unassigned === 0 && pfail === 0 && fail === 0 && downReplies.length === 0 && flagged.length === 0) return undefined;

    const evidence: string[] = [];
    const quoted = ['cluster_state', 'cluster_slots_assigned', 'cluster_slots_ok', 'cluster_slots_pfail', 'cluster_slots_fail', 'cluster_known_nodes', 'cluster_size']
      .filter((f) => ci[f] !== undefined).map((f) => `${f}:${ci[f]}`).join(' ');
    if (quoted) evidence.push(`CLUSTER INFO: ${quoted}`);
    const seen = new Set<string>();
    let reason: string | undefined;
    for (const k of downReplies) {
      const variant = VARIANTS.find(([re]) => re.test(k.reply.text));
      if (!variant || seen.has(variant[1])) continue;
      seen.add(variant[1]);
      reason ??= variant[1];
      evidence.push(`EXISTS ${k.key} → ${wire(k.reply)}: ${variant[2]}`);
    }
    if (unassigned > 0) {
      evidence.push(`${unassigned} of ${SLOTS} hash slots are assigned to no node${cluster.config?.['cluster-require-full-coverage'] === 'no' ? ' (cluster-require-full-coverage no: the covered slots keep serving)' : ' (with cluster-require-full-coverage yes, the default, that stops the whole cluster)'}`);
      reason ??= 'slot-not-served';
    }
    const readsAllowed = cluster.config?.['cluster-allow-reads-when-down'] === 'yes';
    if (state === 'fail' && readsAllowed) evidence.push('cluster-allow-reads-when-down yes: reads are served, writes get -CLUSTERDOWN The cluster is down and only accepts read commands');

    const nodeNotes: string[] = [];
    let busSuspect: ClusterNodeEntry | undefined;
    let downNode: ClusterNodeEntry | undefined;
    for (const n of flagged.slice(0, 4)) {
      const f = n.flags.filter((x) => FAILING_FLAGS.includes(x)).join(',');
      const bus = n.busPort ?? n.port + 10000;
      const probe = followed(obs, 'cluster-node').find((x) => x.expectedId === n.id);
      let line = `${clusterNodeLabel(n)} flagged ${f}${n.linkState === 'disconnected' ? ', link disconnected' : ''} (bus port ${bus})`;
      if (probe && answered(probe)) {
        busSuspect ??= n;
        line += `; it answers clients from here, so the others cannot reach its cluster bus: bus port ${bus} is the likely block`;
        if (probe.bus) line += probe.bus.ok ? ` (it accepts from here: a firewall between the nodes, or a wrong cluster-announce-bus-port)` : ` (it does not accept from here either: ${probe.bus.code ?? 'failed'})`;
      } else if (probe && !probe.connect.ok) {
        downNode ??= n;
        line += `; it does not connect from here either: ${connectFailure(probe, obs.client.timeoutMs)} — the node is down or unreachable`;
      } else if (probe) {
        line += `; from here: ${nodeReply(probe) ?? 'no answer'}`;
      } else {
        const refused = topo.notFollowed?.find((r) => r.port === n.port && (r.host === n.endpoint || r.host === n.ip));
        if (refused) line += `; not followed (${refused.reason}): nothing was sent to it`;
      }
      nodeNotes.push(clip(line, 400));
    }
    evidence.push(...nodeNotes);
    if (flagged.length > 4) evidence.push(`… and ${flagged.length - 4} more flagged nodes`);
    evidence.push(...notFollowedNotes(obs));
    reason ??= state === 'fail' ? 'cluster-down' : 'nodes-failing';

    const failingSlots = fail + pfail;
    const title = state === 'fail'
      ? reason === 'slot-not-served'
        ? `Redis Cluster is down: ${unassigned > 0 ? `${unassigned} hash slots have no node` : 'a key\'s hash slot has no node'} (-CLUSTERDOWN Hash slot not served)`
        : `Redis Cluster is down: cluster_state:fail${failingSlots ? `, ${failingSlots} slots on failing nodes` : ''}${flagged.length ? ` (${flagged.length} node${flagged.length === 1 ? '' : 's'} flagged failing)` : ''}`
      : unassigned > 0
        ? `${unassigned} hash slots have no node: keys there get -CLUSTERDOWN Hash slot not served`
        : `Cluster nodes are failing (${flagged.length ? someOf(flagged.map((n) => hostPort(n.endpoint || n.ip || '?', n.port)), NAMED_IN_TITLE) : `${failingSlots} slots in pfail/fail`}); cluster_state is still ok`;

    const t = fixTarget(obs);
    const remediations: Remediation[] = [];
    const nodeName = (n: ClusterNodeEntry) => hostPort(n.ip || n.endpoint || '?', n.port);
    if (busSuspect) remediations.push(REMEDIATIONS['open-cluster-bus-port'](t, { node: nodeName(busSuspect), busPort: busSuspect.busPort ?? busSuspect.port + 10000 }));
    if (fail > 0 || pfail > 0 || flagged.length > 0) remediations.push(REMEDIATIONS['restore-cluster-node'](t, (downNode ?? flagged[0]) ? { node: nodeName((downNode ?? flagged[0])!) } : {}));
    const maybeBus = flagged.find((n) => n !== downNode && !followed(obs, 'cluster-node').some((x) => x.expectedId === n.id && !x.connect.ok));
    if (!busSuspect && maybeBus) remediations.push(REMEDIATIONS['open-cluster-bus-port'](t, { node: nodeName(maybeBus), busPort: maybeBus.busPort ?? maybeBus.port + 10000 }));
    if (unassigned > 0 || reason === 'slot-not-served') remediations.push(REMEDIATIONS['assign-cluster-slots'](t, unassigned > 0 ? { unassigned } : {}));
    if (remediations.length === 0) remediations.push(REMEDIATIONS['restore-cluster-node'](t));

    const access = topo.expected.access;
    return {
      severity: state === 'fail' ? (readsAllowed && access === 'read' ? 'warning' : 'critical') : 'warning',
      confidence: 'confirmed',
      title,
      evidence,
      remediations,
      details: {
        reason,
        ...(state ? { state } : {}),
        ...(assigned !== undefined ? { slotsAssigned: assigned } : {}),
        slotsFail: fail,
        slotsPfail: pfail,
        ...(flagged.length ? { failingNodes: flagged.slice(0, NAMED_IN_DETAILS).map(nodeName).join(','), failingNodeCount: flagged.length } : {}),
      },
    };
  },
});

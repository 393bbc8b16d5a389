/**
 * The topology phase, after the handshake answered:
 *
 *   topology            what the target is (INFO; no I/O) and, when INFO says it is needed,
 *                       one follow-up round trip on the same connection (topology-plan.ts),
 *                       each command reported as its own check (cluster-info, sentinel-masters …)
 *   sentinel-discovery  a data node where a Sentinel was configured: listen for the Sentinels'
 *                       hello messages on it (at most HELLO_WAIT_MAX_MS)
 *   topology-follow     one hop, every probe in parallel, the hop bounded as a whole by
 *                       FOLLOW_HOP_TIMEOUTS × the timeout (and the run's deadline):
 *                         Sentinel target: the primary it names, diagnosed with the full network
 *                           probes (checks `primary:…`), its replicas and the other Sentinels;
 *                         cluster node: every node CLUSTER SHARDS lists (at most MAX_FOLLOWED_NODES),
 *                           and the bus port of the nodes flagged failing;
 *                         replica: its primary;
 *                         discovered Sentinels: the primary each names.
 * Followed nodes are not followed further (one hop). Which addresses are
 * contacted at all, and which get the target's credentials (never a Sentinel
 * learned from a hello or SENTINEL SENTINELS), is follow-policy.ts.
 */
import type { TopologyObservation } from '../model/topology.js';
import type { RespConnection } from '../probes/resp-connection.js';
import { classify, expectationOf, planFollowUp, topologyCheck } from './topology-plan.js';
import type { ProbeContext } from './network-probes.js';

/** The follow hop as a whole: connect, TLS and one round trip per node, in parallel. */
export const FOLLOW_HOP_TIMEOUTS = 3;
/** At most this many nodes probed in one hop (the primary included). */
export const MAX_FOLLOWED_NODES = 32;
/** Discovered Sentinels asked for the primary. */
export const MAX_HELLO_SENTINELS = 8;
/** The listen for Sentinel hellos: one publish period (2 s, sentinel.c sentinel_publish_period) and a margin. */
export const HELLO_WAIT_MAX_MS = 2500;

/** Whether the target's kind calls for the hop (or the hello listen) even without a follow-up round trip. */
function wantsHop(ctx: ProbeContext, topo: TopologyObservation): boolean {
  if ((ctx.depth ?? 0) > 0 || ctx.options.topology?.follow === false) return false;
  return topo.kind === 'sentinel' || topo.kind === 'cluster' || topo.role === 'slave' || topo.expected.sentinelMaster !== undefined;
}

/**
 * What the target is; then, only when INFO says it is needed, the follow-up
 * and the hop — in topology-follow.ts, loaded on demand, so the healthy
 * standalone path costs a `topology` check noted from INFO and nothing else.
 */
export async function runTopologyPhase(ctx: ProbeContext, conn: RespConnection | undefined, address: string): Promise<void> {
  const { obs } = ctx;
  const c = classify(obs);
  const topo: TopologyObservation = {
    kind: c.kind,
    ...(c.role !== undefined ? { role: c.role } : {}),
    source: c.source,
    expected: expectationOf(ctx.options.topology),
    commands: [],
    followed: [],
  };
  obs.topology = topo;
  const plan = conn ? planFollowUp(obs, topo) : [];
  const hop = wantsHop(ctx, topo);
  if (plan.length === 0 && !hop) {
    ctx.steps.note('topology', topologyCheck(obs, topo), 0);
    conn?.close();
    return;
  }
  const follow = await import('./topology-follow.js');
  await follow.continueTopology(ctx, conn, address, topo, plan, hop);
}

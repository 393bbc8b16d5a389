/**
 * The client and the server disagree about Redis Cluster.
 *
 * A cluster node (INFO redis_mode:cluster) serves only the keys of its own
 * hash slots; for the others it answers (cluster.c, clusterRedirectClient)
 *   -MOVED <slot> <host>:<port>      (-ASK <slot> <host>:<port> while the slot migrates)
 * which only a cluster-aware client follows; and it has database 0 only
 * (db.c, selectCommand): "-ERR SELECT is not allowed in cluster mode", so a
 * URL with /<db> fails every client on connect (critical, confirmed).
 * Whether the client is cluster-aware only the caller knows (config
 * `cluster`): a plain client is critical (confirmed by the -MOVED the key
 * probes got); unknown, an info note (`possible`): a healthy cluster stays
 * healthy.
 *
 * The reverse (config `cluster: true`, a standalone server or a Sentinel):
 * a cluster client asks for the slot map on connect and gets (cluster.c)
 *   -ERR This instance has cluster support disabled
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { firstError, replyEvidence, targetLabel, wire } from './helpers/observed.js';
import { quoteReply, topologyCommand, topologyOf } from './helpers/topology.js';
import { defineRule } from './helpers/define.js';
import type { FindingDraft } from '../model/types.js';

const SELECT_REFUSED = /^ERR SELECT is not allowed in cluster mode/i;

export const rule = defineRule({
  cause: 'cluster-client-required',
  impact: 'unusable',
  evaluate(obs): FindingDraft | undefined {
    const topo = topologyOf(obs);
    if (!topo) return undefined;
    const t = fixTarget(obs);
    const target = targetLabel(obs);
    if (topo.kind !== 'cluster') {
      if (topo.expected.cluster !== true || (topo.kind !== 'standalone' && topo.kind !== 'sentinel')) return undefined;
      const shards = topologyCommand(obs, 'cluster-shards');
      return {
        severity: 'critical',
        confidence: 'confirmed',
        title: `A cluster client cannot use ${target}: ${topo.kind === 'sentinel' ? 'it is a Sentinel' : 'cluster support is disabled there'}`,
        evidence: [
          `INFO redis_mode:${topo.kind}: not a cluster node`,
          ...(shards ? [quoteReply(shards)] : []),
          'a cluster-aware client asks for the slot map (CLUSTER SLOTS or CLUSTER SHARDS) on connect and fails on that reply',
        ],
        remediations: [REMEDIATIONS['use-standalone-client'](t)],
        details: { reason: 'cluster-client-on-standalone', mode: topo.kind },
      };
    }
    const select = firstError(obs, SELECT_REFUSED);
    const redirects = (topo.cluster?.keyProbes ?? []).filter((k) => k.reply.kind === 'error' && /^(MOVED|ASK) \d+ /.test(k.reply.text));
    const redirectEvidence = redirects.slice(0, 2).map((k) => `EXISTS ${k.key} → ${wire(k.reply)}`);
    const served = (topo.cluster?.nodes.find((n) => n.myself)?.slots ?? []).reduce((sum, [a, b]) => sum + b - a + 1, 0);
    if (select) {
      return {
        severity: 'critical',
        confidence: 'confirmed',
        title: `Database ${obs.target.db ?? '?'} cannot be selected on cluster node ${target}: a cluster has db 0 only`,
        evidence: [replyEvidence(select), 'every client configured with this URL sends SELECT on connect and fails there', ...redirectEvidence],
        remediations: [REMEDIATIONS['use-cluster-client'](t)],
        details: { reason: 'select-in-cluster', ...(obs.target.db !== undefined ? { db: obs.target.db } : {}) },
      };
    }
    const expected = topo.expected.cluster;
    if (expected === true) return undefined;
    const evidence = [
      'INFO redis_mode:cluster: this node serves only the keys of its own hash slots',
      ...(redirectEvidence.length > 0
        ? redirectEvidence
        : [`no redirect seen${(topo.cluster?.keyProbes ?? []).some((k) => k.reply.kind === 'error') ? ' (the key lookups were refused otherwise)' : ''}: this node serves ${served} of 16384 slots${served === 16384 ? ' — a plain client works only until the slots are spread over more nodes' : ''}`]),
      'a plain client gets -MOVED <slot> <host>:<port> (-ASK during resharding) for keys served elsewhere and does not follow it',
    ];
    if (expected === false) {
      return {
        severity: redirects.length > 0 ? 'critical' : 'warning',
        confidence: 'confirmed',
        title: `A plain (non-cluster) client cannot use cluster node ${target}: keys on other nodes get -MOVED`,
        evidence,
        remediations: [REMEDIATIONS['use-cluster-client'](t)],
        details: { reason: 'plain-client-on-cluster', slotsServed: served },
      };
    }
    return {
      severity: 'info',
      confidence: 'possible',
      title: `${target} is a Redis Cluster node: only a cluster-aware client can use it`,
      evidence: [...evidence, 'whether the client is cluster-aware is not known: set cluster: true (or false) on the target to say'],
      remediations: [REMEDIATIONS['use-cluster-client'](t)],
      details: { reason: 'cluster-node', slotsServed: served },
    };
  },
});

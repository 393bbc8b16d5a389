/**
 * The primary the client uses is not the one the Sentinels name, or the
 * Sentinels cannot agree or fail over:
 *  - stale target: the configured target (a data node, given a Sentinel
 *    master name) is not the primary the Sentinels name for that master —
 *    after a failover the old primary is a replica (writers get -READONLY),
 *    or still a primary nobody replicates (its writes are lost);
 *  - the primary a Sentinel target names answers as a replica: the
 *    Sentinel's view is stale (a failover under way, or lost track);
 *  - the Sentinels disagree: peers name different primaries (split brain,
 *    or a partition), so clients get whichever their Sentinel says;
 *  - SENTINEL CKQUORUM fails (sentinel.c):
 *      -NOQUORUM <n> usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master
 *      … Not enough available Sentinels to reach the majority and authorize a failover
 *    nothing is wrong yet, but the next primary failure will not fail over: a warning.
 * Every case is named by a Sentinel's own reply: confirmed. The stale,
 * replica and disagreement cases are critical (writes go to the wrong node).
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { Remediation, Severity } from '../model/types.js';
import { hostPort, info, infoNumber, targetLabel } from './helpers/observed.js';
import { followed, knownSentinels, nodeAddress, roleOf, sameAddress, sentinelNamedPrimary, topologyOf } from './helpers/topology.js';
import { defineRule } from './helpers/define.js';

export const rule = defineRule({
  cause: 'sentinel-stale-master',
  impact: 'unusable',
  evaluate(obs) {
    const topo = topologyOf(obs);
    const name = topo?.expected.sentinelMaster;
    if (!topo) return undefined;
    const t = fixTarget(obs);
    const evidence: string[] = [];
    const reasons: string[] = [];
    let severity: Severity = 'warning';
    const remediations: Remediation[] = [];
    const sentinels = knownSentinels(obs);
    const named = sentinelNamedPrimary(obs);
    let title: string | undefined;

    // The configured target is a data node: is it the primary the Sentinels name?
    if (name && (topo.kind === 'standalone' || topo.kind === 'cluster') && named) {
      const self = { host: obs.target.host, port: obs.target.port, ...(obs.tcp?.address ? { address: obs.tcp.address } : {}) };
      if (!sameAddress(named, self)) {
        severity = 'critical';
        reasons.push('stale-target');
        const where = hostPort(named.host, named.port);
        title = `${targetLabel(obs)} is not the primary of "${name}": the Sentinels name ${where}`;
        evidence.push(`${named.by} names ${where} as the primary of "${name}"`);
        const role = roleOf(obs);
        if (role === 'slave') evidence.push(`${targetLabel(obs)} answers role:slave (replica of ${hostPort(info(obs, 'master_host') ?? '?', infoNumber(obs, 'master_port') ?? 6379)}): a failover moved the primary, and the client still points at the old one`);
        else if (role === 'master') evidence.push(`${targetLabel(obs)} still answers role:master: two primaries — writes sent here never reach ${where}'s replicas`);
        remediations.push(REMEDIATIONS['use-primary-address'](t, { primaryHost: named.host, primaryPort: named.port, source: named.by }));
      }
    }

    // A Sentinel target: what the primary it names answers, and what its peers say.
    if (topo.kind === 'sentinel') {
      const mine = topo.sentinel?.masterAddr;
      const primary = topo.primary?.observations;
      const primaryRole = primary?.info?.sections['replication']?.['role'];
      if (primary && primaryRole === 'slave') {
        severity = 'critical';
        reasons.push('named-primary-is-replica');
        const where = hostPort(primary.target.host, primary.target.port);
        const upstream = primary.info?.sections['replication'];
        title ??= `The primary Sentinel names for "${topo.primary!.masterName}", ${where}, is a replica`;
        evidence.push(`Sentinel ${targetLabel(obs)} names ${where}; followed, it answers role:slave (replica of ${hostPort(upstream?.['master_host'] ?? '?', Number(upstream?.['master_port'] ?? 6379))}): the Sentinel's view is stale (a failover under way, or it lost track)`);
      }
      if (name && mine) {
        for (const peer of followed(obs, 'sentinel-peer')) {
          if (peer.masterAddr === undefined) continue;
          if (peer.masterAddr === null) {
            severity = 'critical';
            reasons.push('sentinels-disagree');
            evidence.push(`Sentinel ${nodeAddress(peer)} knows no master named "${name}" (SENTINEL GET-MASTER-ADDR-BY-NAME → null)`);
          } else if (!sameAddress(mine, peer.masterAddr)) {
            severity = 'critical';
            reasons.push('sentinels-disagree');
            evidence.push(`Sentinel ${nodeAddress(peer)} names ${hostPort(peer.masterAddr.host, peer.masterAddr.port)}, Sentinel ${targetLabel(obs)} names ${hostPort(mine.host, mine.port)}`);
          }
        }
        if (reasons.includes('sentinels-disagree')) title ??= `The Sentinels disagree on the primary of "${name}"`;
      }
    }

    // Quorum: from the target Sentinel, or the first discovered one.
    const ck = topo.sentinel?.ckquorum ?? followed(obs, 'hello-sentinel').find((n) => n.ckquorum)?.ckquorum;
    if (name && ck && !ck.ok) {
      reasons.push('no-quorum');
      evidence.push(`SENTINEL CKQUORUM ${name} → ${ck.text}`);
      title ??= `No failover possible for "${name}": the Sentinels cannot reach their quorum`;
      if (severity !== 'critical') evidence.push('the primary is served now; if it fails, no Sentinel majority can promote a replica');
    }
    if (reasons.length === 0 || !title) return undefined;
    if (reasons.some((r) => r !== 'no-quorum')) remediations.push(REMEDIATIONS['use-sentinel-client'](t, { ...(name ? { master: name } : {}), sentinels }));
    if (reasons.some((r) => r !== 'stale-target')) remediations.push(REMEDIATIONS['repair-sentinel-quorum'](t, { ...(name ? { master: name } : {}), ...(sentinels[0] ? { sentinel: sentinels[0] } : {}) }));
    return {
      severity,
      confidence: 'confirmed',
      title,
      evidence,
      remediations,
      details: { reason: [...new Set(reasons)].join(','), ...(name ? { master: name } : {}), ...(named ? { namedPrimary: hostPort(named.host, named.port) } : {}) },
    };
  },
});

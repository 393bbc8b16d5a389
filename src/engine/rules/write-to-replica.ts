/**
 * The target is a replica (INFO replication role:slave, outside a cluster).
 * Every write command gets (server.c, shared.roslaveerr):
 *   -READONLY You can't write against a read only replica.
 * With replica-read-only no (slave_read_only:0) writes are accepted instead,
 * and lost: they never reach the primary and the next full sync drops them.
 *
 * How bad depends on the client, which only the caller knows
 * (options.topology.access, config `clientAccess`): a writer fails
 * (critical, confirmed: INFO says replica), a reader is served (info); when
 * unknown, a warning that is only `possible` — a replica is a failure for
 * writers, not for readers. Impact `degrading`: reads work, writes do not,
 * like -OOM under noeviction.
 *
 * Evidence names the primary: INFO master_host:master_port, what that node
 * answers when followed (role:master, or a replica itself: a chain or a
 * failover under way), and the primary the Sentinels name when they were asked.
 * (A cluster replica answers writes with -MOVED to its master: cluster-client-required.)
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { hostPort, info, infoNumber, infoQuote, targetLabel } from './helpers/observed.js';
import { answered, connectFailure, followed, isStandaloneReplica, knownSentinels, nodeAddress, nodeReply, notFollowedNotes, sentinelNamedPrimary } from './helpers/topology.js';
import { defineRule } from './helpers/define.js';

export const READONLY_TEXT = "-READONLY You can't write against a read only replica.";

export const rule = defineRule({
  cause: 'write-to-replica',
  impact: 'degrading',
  evaluate(obs) {
    if (!isStandaloneReplica(obs)) return undefined;
    const access = obs.topology?.expected.access;
    const readOnly = info(obs, 'slave_read_only') !== '0';
    const masterHost = info(obs, 'master_host');
    const masterPort = infoNumber(obs, 'master_port') ?? 6379;
    const primary = masterHost ? hostPort(masterHost, masterPort) : 'its primary';
    const evidence: string[] = [infoQuote(obs, ['role', 'master_host', 'master_port', 'master_link_status', 'slave_read_only'])];
    evidence.push(readOnly
      ? `writes get ${READONLY_TEXT} (replica-read-only yes); reads are served`
      : 'slave_read_only:0: writes are accepted here but never reach the primary, and the next full sync discards them');

    let primaryNow: { host: string; port: number } | undefined;
    let source: string | undefined;
    const named = sentinelNamedPrimary(obs);
    if (named) {
      primaryNow = named;
      source = named.by;
      evidence.push(`${named.by} names ${hostPort(named.host, named.port)} as the primary of "${obs.topology?.expected.sentinelMaster ?? ''}"`);
    }
    const upstream = followed(obs, 'replica-primary')[0];
    if (upstream) {
      const where = nodeAddress(upstream);
      if (answered(upstream) && upstream.info?.['role'] === 'master') {
        primaryNow ??= { host: upstream.host, port: upstream.port };
        source ??= `${where} (followed)`;
        evidence.push(`followed ${where}: role:master — the primary now`);
      } else if (answered(upstream) && upstream.info?.['role'] === 'slave') {
        evidence.push(`followed ${where}: it is a replica too (of ${hostPort(upstream.info['master_host'] ?? '?', Number(upstream.info['master_port'] ?? 6379))}): a chain of replicas, or a failover under way`);
      } else if (!upstream.connect.ok) {
        evidence.push(`followed ${where}: ${connectFailure(upstream, obs.client.timeoutMs)}`);
      } else {
        evidence.push(`followed ${where}: ${nodeReply(upstream) ?? 'no answer to PING'}`);
      }
    } else {
      evidence.push(...notFollowedNotes(obs, 1, 'replica-primary'));
    }

    const target = targetLabel(obs);
    const severity = access === 'write' ? 'critical' : access === 'read' ? 'info' : 'warning';
    const confidence = access === undefined ? 'possible' : 'confirmed';
    const title = !readOnly
      ? `${target} is a writable replica of ${primary}: writes sent here are lost`
      : access === 'write'
        ? `Writes fail: ${target} is a replica of ${primary} (-READONLY)`
        : access === 'read'
          ? `${target} is a replica of ${primary}: fine for reading`
          : `${target} is a replica of ${primary}: writers get -READONLY, readers are served`;
    if (access === undefined) evidence.push('whether this is a failure depends on the client: set clientAccess (read or write) on the target to say which');
    const t = fixTarget(obs);
    const remediations = [
      REMEDIATIONS['use-primary-address'](t, {
        ...(primaryNow ? { primaryHost: primaryNow.host, primaryPort: primaryNow.port } : masterHost ? { primaryHost: masterHost, primaryPort: masterPort } : {}),
        ...(source ? { source } : {}),
      }),
    ];
    const sentinels = knownSentinels(obs);
    if (sentinels.length > 0) remediations.push(REMEDIATIONS['use-sentinel-client'](t, { sentinels, ...(obs.topology?.expected.sentinelMaster ? { master: obs.topology.expected.sentinelMaster } : {}) }));
    return {
      severity: readOnly ? severity : access === 'read' ? 'info' : 'warning',
      confidence: readOnly ? confidence : 'confirmed',
      title,
      evidence,
      remediations,
      details: {
        ...(masterHost ? { masterHost, masterPort } : {}),
        readOnly,
        ...(access ? { access } : {}),
        ...(primaryNow ? { primaryNow: hostPort(primaryNow.host, primaryNow.port) } : {}),
      },
    };
  },
});

/**
 * The client reached a different Redis than it meant. In order of strength:
 *  - unknown-master: the Sentinel monitors no master of the configured name
 *    (GET-MASTER-ADDR-BY-NAME → null; Sentinel-aware clients fail on connect);
 *  - not-a-sentinel: the configuration calls the url a Sentinel
 *    (sentinelMaster), a data node answers; a Sentinel-aware client gets
 *    "-ERR unknown command 'SENTINEL'…" (server.c, processCommand). The
 *    Sentinels that monitor it, if any announced themselves, are named;
 *  - node-id-mismatch: at an address CLUSTER SHARDS hands out for node X,
 *    CLUSTER MYID says another node answers;
 *  - run-id-mismatch: the Sentinel's run id for a node differs from the
 *    node's INFO run_id (likely: a node restarted within Sentinel's 10 s INFO
 *    refresh shows the same, briefly);
 *  - no-password-configured: AUTH answered (acl.c, authCommand)
 *      -ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?
 *    The client holds a password for a server that has none: a local
 *    redis-server answering instead of the container that publishes the
 *    same port, another host behind the name — or a stray password. Two
 *    readings, so `possible`, a warning (the server still serves; clients
 *    that treat the AUTH error as fatal do not connect). This rule owns that
 *    reply (auth-failed no longer reports it): a `possible` finding cannot
 *    supersede, so a second owner would have outranked it with a guess.
 *    Not on a Sentinel target (the password is meant for the data nodes);
 *  - sentinel-not-data-node: a Sentinel answers and no master name was
 *    configured: a plain client gets unknown-command errors (info, possible);
 *  - port-mismatch: INFO tcp_port is not the port connected to: a port
 *    mapping (Docker, NAT, a Kubernetes Service) or another instance behind a
 *    forwarder (info, possible).
 */
import { fixTarget, fixTargetAt, REMEDIATIONS } from '../remediations/index.js';
import type { FindingDraft, Observations } from '../model/types.js';
import { firstError, hostPort, info, infoNumber, infoQuote, replyEvidence, targetLabel } from './helpers/observed.js';
import { followed, knownSentinels, nodeAddress, quoteReply, topologyCommand } from './helpers/topology.js';
import { defineRule } from './helpers/define.js';
import { targetContainer } from './helpers/containers.js';

const NO_PASSWORD = /called without any password configured/i;
const SERVER_FIELDS = ['redis_mode', 'run_id', 'tcp_port', 'executable', 'config_file', 'process_id'];

function unknownMaster(obs: Observations): FindingDraft | undefined {
  const topo = obs.topology!;
  const name = topo.expected.sentinelMaster;
  if (topo.kind !== 'sentinel' || !name || topo.sentinel?.masterAddr !== null) return undefined;
  const masters = topo.sentinel.masters ?? [];
  const cmd = topologyCommand(obs, 'sentinel-master');
  const t = fixTarget(obs);
  return {
    severity: 'critical',
    confidence: 'confirmed',
    title: `Sentinel ${targetLabel(obs)} monitors no master named "${name}"`,
    evidence: [
      ...(cmd ? [`${cmd.command} → (null): no such master`] : []),
      masters.length > 0 ? `it monitors: ${masters.slice(0, 6).map((m) => `${m.name} (${hostPort(m.host, m.port)})`).join(', ')}` : 'it monitors no master at all',
      'a Sentinel-aware client asking for this name gets no primary and fails on connect',
    ],
    remediations: [REMEDIATIONS['use-sentinel-client'](t, { sentinels: knownSentinels(obs), ...(masters[0] ? { master: masters[0].name } : {}) }), REMEDIATIONS['identify-instance'](t, { expected: `a Sentinel monitoring "${name}"` })],
    details: { reason: 'unknown-master', master: name },
  };
}

function notASentinel(obs: Observations): FindingDraft | undefined {
  const topo = obs.topology!;
  const name = topo.expected.sentinelMaster;
  if (!name || (topo.kind !== 'standalone' && topo.kind !== 'cluster')) return undefined;
  const quote = topologyCommand(obs, 'sentinel-master');
  const hellos = (topo.discovery?.hellos ?? []).filter((h) => h.masterName === name);
  const t = fixTarget(obs);
  const evidence = [`INFO ${infoQuote(obs, ['redis_mode', 'role'])}: a data node, not a Sentinel`];
  if (quote) evidence.push(quoteReply(quote));
  if (hellos.length > 0) evidence.push(`Sentinels monitoring it for "${name}" (their hello messages): ${hellos.slice(0, 4).map((h) => hostPort(h.sentinelHost, h.sentinelPort)).join(', ')}${hellos.length > 4 ? ` and ${hellos.length - 4} more` : ''}`);
  else if (topo.discovery) evidence.push(`no Sentinel monitoring "${name}" announced itself on it within ${Math.round(topo.discovery.waitedMs)} ms`);
  return {
    severity: 'critical',
    confidence: 'confirmed',
    title: `${targetLabel(obs)} is configured as a Sentinel for "${name}", but a Redis data node answers`,
    evidence,
    remediations: [REMEDIATIONS['use-sentinel-client'](t, { master: name, sentinels: hellos.map((h) => hostPort(h.sentinelHost, h.sentinelPort)) }), REMEDIATIONS['identify-instance'](t, { expected: `a Sentinel (port 26379 by default) monitoring "${name}"` })],
    details: { reason: 'not-a-sentinel', master: name, ...(hellos[0] ? { sentinel: hostPort(hellos[0].sentinelHost, hellos[0].sentinelPort) } : {}) },
  };
}

function nodeIdMismatch(obs: Observations): FindingDraft | undefined {
  const wrong = followed(obs, 'cluster-node').filter((n) => n.myId && n.expectedId && n.myId !== n.expectedId);
  if (wrong.length === 0) return undefined;
  const t = fixTarget(obs);
  return {
    severity: 'critical',
    confidence: 'confirmed',
    title: `Another Redis answers at ${nodeAddress(wrong[0]!)}, where the cluster sends clients for node ${wrong[0]!.expectedId!.slice(0, 8)}`,
    evidence: wrong.slice(0, 3).map((n) => `CLUSTER SHARDS hands out ${nodeAddress(n)} for node ${n.expectedId}; CLUSTER MYID there → ${n.myId}`),
    remediations: [REMEDIATIONS['fix-announced-address'](t, { kind: 'cluster', node: `node ${wrong[0]!.expectedId!.slice(0, 8)}`, address: nodeAddress(wrong[0]!) }), REMEDIATIONS['identify-instance'](fixTargetAt(t, wrong[0]!.host, wrong[0]!.port))],
    details: { reason: 'node-id-mismatch', address: nodeAddress(wrong[0]!) },
  };
}

function runIdMismatch(obs: Observations): FindingDraft | undefined {
  const topo = obs.topology!;
  const primary = topo.primary;
  const master = topo.sentinel?.masters?.find((m) => m.name === primary?.masterName);
  const primaryRunId = primary?.observations.info?.sections['server']?.['run_id'];
  const mismatches: string[] = [];
  let where: { host: string; port: number } | undefined;
  if (primary && master?.runId && primaryRunId && master.runId !== primaryRunId) {
    where = { host: primary.observations.target.host, port: primary.observations.target.port };
    mismatches.push(`Sentinel knows the primary of "${primary.masterName}" as run_id ${master.runId}; ${hostPort(where.host, where.port)} answers INFO run_id:${primaryRunId}`);
  }
  for (const n of followed(obs, 'sentinel-replica')) {
    const runId = n.info?.['run_id'];
    if (n.expectedId && runId && runId !== n.expectedId) {
      where ??= n;
      mismatches.push(`Sentinel knows replica ${nodeAddress(n)} as run_id ${n.expectedId}; it answers INFO run_id:${runId}`);
    }
  }
  if (!where) return undefined;
  const t = fixTarget(obs);
  return {
    severity: 'critical',
    confidence: 'likely',
    title: `Another Redis answers at ${hostPort(where.host, where.port)} than the one the Sentinel knows there`,
    evidence: [...mismatches, 'a node restarted in the last seconds also shows a new run_id until the Sentinel refreshes its INFO (every 10 s): run the diagnosis again to tell'],
    remediations: [REMEDIATIONS['identify-instance'](fixTargetAt(t, where.host, where.port)), REMEDIATIONS['fix-announced-address'](t, { kind: 'replica', address: hostPort(where.host, where.port) })],
    details: { reason: 'run-id-mismatch', address: hostPort(where.host, where.port) },
  };
}

function noPasswordConfigured(obs: Observations): FindingDraft | undefined {
  if (obs.topology?.kind === 'sentinel') return undefined;
  const refused = firstError(obs, NO_PASSWORD);
  if (!refused?.command?.startsWith('AUTH')) return undefined;
  const t = fixTarget(obs);
  const server = infoQuote(obs, SERVER_FIELDS);
  return {
    severity: 'warning',
    confidence: 'possible',
    title: `The Redis at ${targetLabel(obs)} has no password, but the client sends one: it may not be the server the client is configured for`,
    evidence: [
      replyEvidence(refused),
      'the client holds a password for a server that has none: either it reached another Redis (a local redis-server answering where a container publishes the same port, another host behind the name) or the password is one this server never had',
      ...(server ? [`the server that answered: ${server}`] : []),
      'the server still serves clients without a password; clients that treat this AUTH error as fatal do not connect',
    ],
    remediations: [REMEDIATIONS['identify-instance'](t), REMEDIATIONS['stop-sending-password'](t), REMEDIATIONS['set-requirepass'](t)],
    details: { reason: 'no-password-configured' },
  };
}

function sentinelNotDataNode(obs: Observations): FindingDraft | undefined {
  const topo = obs.topology!;
  if (topo.kind !== 'sentinel' || topo.expected.sentinelMaster) return undefined;
  const masters = topo.sentinel?.masters ?? [];
  const t = fixTarget(obs);
  return {
    severity: 'info',
    confidence: 'possible',
    title: `${targetLabel(obs)} is a Sentinel, not a data node: only a Sentinel-aware client can use it`,
    evidence: [
      'INFO redis_mode:sentinel',
      masters.length > 0 ? `it monitors: ${masters.slice(0, 6).map((m) => `${m.name} (${hostPort(m.host, m.port)})`).join(', ')}` : 'it monitors no master',
      'a plain client sent here gets "-ERR unknown command" for GET, SET and every other data command; if that client meant a data node, it has the Sentinel\'s port (26379 by default)',
      ...(masters.length > 1 ? ['name the master to diagnose its primary: sentinelMaster on the config target'] : []),
    ],
    remediations: [REMEDIATIONS['use-sentinel-client'](t, { sentinels: knownSentinels(obs), ...(masters[0] ? { master: masters[0].name } : {}) })],
    details: { reason: 'sentinel-not-data-node' },
  };
}

function portMismatch(obs: Observations): FindingDraft | undefined {
  const port = infoNumber(obs, 'tcp_port');
  if (port === undefined || port === 0 || port === obs.target.port || obs.target.tls) return undefined;
  // Docker's state names the mapping (issue #19): host port → this container port is what a mapped port is.
  const tc = targetContainer(obs);
  if (tc && tc.bindings.some((b) => b.containerPort === port)) return undefined;
  const t = fixTarget(obs);
  return {
    severity: 'info',
    confidence: 'possible',
    title: `${targetLabel(obs)} answers, but the server says it listens on port ${port}`,
    evidence: [
      `INFO ${infoQuote(obs, ['tcp_port', 'run_id', 'executable', 'config_file'])}; connected to port ${obs.target.port}`,
      'a port mapping (Docker -p, NAT, a Kubernetes Service port) or a forwarder sits in between; if none is expected, this is another instance than the client meant',
    ],
    remediations: [REMEDIATIONS['identify-instance'](t, { expected: `the instance on port ${obs.target.port}` })],
    details: { reason: 'port-mismatch', serverPort: port },
  };
}

export const rule = defineRule({
  cause: 'wrong-instance',
  impact: 'unusable',
  evaluate(obs) {
    if (obs.topology) {
      for (const check of [unknownMaster, notASentinel, nodeIdMismatch, runIdMismatch]) {
        const f = check(obs);
        if (f) return f;
      }
    }
    const noPassword = noPasswordConfigured(obs);
    if (noPassword) return noPassword;
    if (obs.topology) {
      const sentinel = sentinelNotDataNode(obs);
      if (sentinel) return sentinel;
    }
    if (info(obs, 'redis_mode') === 'sentinel') return undefined;
    return portMismatch(obs);
  },
});

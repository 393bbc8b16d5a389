/**
 * The topology phase past "what the target is" (topology-phase.ts): the
 * follow-up round trip, the Sentinel hello listen, and the follow hop.
 * Loaded only for targets that need them.
 */
import type { Observations } from '../model/types.js';
import type { FollowedNode, FollowedPrimary, FollowReason, NotFollowed, TopologyObservation } from '../model/topology.js';
import type { TlsOptions, TopologyOptions } from '../model/options.js';
import { hostPort } from '../shared/address.js';
import { now } from '../shared/clock.js';
import type { RespConnection } from '../probes/resp-connection.js';
import { connectOnce } from '../probes/tcp.js';
import { probeTls } from '../probes/tls.js';
import { probeBusPort, probeNode } from '../probes/node-probe.js';
import { helloCommandLabel, listenForHello } from '../probes/sentinel-hello.js';
import { infoField } from '../probes/info.js';
import { nodeReply } from '../rules/helpers/topology.js';
import { topologyCheck, type PlannedTopologyCommand } from './topology-plan.js';
import { absorbFollowUp, commandChecks } from './topology-absorb.js';
import { clip } from './check-details.js';
import { StepRecorder, type CheckOutcome } from './steps.js';
import { runNetworkProbes, type ProbeContext } from './network-probes.js';
import { FOLLOW_HOP_TIMEOUTS, HELLO_WAIT_MAX_MS, MAX_FOLLOWED_NODES, MAX_HELLO_SENTINELS } from './topology-phase.js';
import { clusterCredentialsWithheld, credentialsWithheld, followAdmission, type FollowAdmission } from './follow-policy.js';

/** Refused addresses kept by name in the observation (the count is kept whole). */
const MAX_NOT_FOLLOWED_LISTED = 32;

interface HopTarget {
  host: string;
  port: number;
  via: FollowReason;
  expectedId?: string;
  infoSections: string[];
  extra: { label: string; args: string[] }[];
  /** Why this node gets no credentials although its kind may (follow-policy.ts). */
  withhold?: string;
  /** The address a name was resolved to and admitted at: connect there, not to a new answer. */
  address?: string;
}

function primaryExpectation(topology: TopologyOptions | undefined): TopologyOptions {
  const { sentinelMaster: _name, ...rest } = topology ?? {};
  return rest;
}

function withoutServername(tls: TlsOptions | undefined): TlsOptions {
  const { servername: _target, ...rest } = tls ?? {};
  return rest;
}

export async function continueTopology(ctx: ProbeContext, conn: RespConnection | undefined, address: string, topo: TopologyObservation, plan: readonly PlannedTopologyCommand[], hop: boolean): Promise<void> {
  const { obs, steps } = ctx;
  if (plan.length > 0 && conn) {
    await steps.run(
      'topology',
      async () => absorbFollowUp(topo, plan, await conn.exchange(plan, ctx.budget(), ctx.signal)),
      () => topologyCheck(obs, topo),
    );
    for (const check of commandChecks(topo)) steps.note(check.id, check.outcome, check.durationMs);
  } else {
    steps.note('topology', topologyCheck(obs, topo), 0);
  }
  conn?.close();
  if (!hop || ctx.signal.aborted) return;

  const name = topo.expected.sentinelMaster;
  if (name && (topo.kind === 'standalone' || topo.kind === 'cluster')) await discoverSentinels(ctx, topo, address, name);
  await followHop(ctx, topo);
}

async function discoverSentinels(ctx: ProbeContext, topo: TopologyObservation, address: string, masterName: string): Promise<void> {
  const { obs, signal } = ctx;
  const waitMs = Math.max(0, Math.min(HELLO_WAIT_MAX_MS, ctx.remaining()));
  const credentials = ctx.options.credentials;
  topo.discovery = await ctx.steps.run(
    'sentinel-discovery',
    async () => {
      const attempt = await connectOnce(address, obs.target.port, ctx.budget(), signal);
      if (!attempt.open) return { waitedMs: 0, hellos: [], error: attempt.code ?? 'connect failed' };
      let open = attempt.open;
      if (obs.target.tls) {
        const tls = await probeTls(open, obs.target.host, ctx.options.tls, ctx.budget(), signal);
        if (!tls.open) return { waitedMs: 0, hellos: [], error: tls.observation.code ?? 'TLS failed' };
        open = tls.open;
      }
      return listenForHello(open, { ...(credentials ? { credentials } : {}), masterName, waitMs, signal });
    },
    (d): CheckOutcome => {
      const mine = d.hellos.filter((h) => h.masterName === masterName);
      if (mine.length > 0) {
        const h = mine[0]!;
        return { status: 'pass', detail: `${helloCommandLabel(credentials)}: Sentinel ${hostPort(h.sentinelHost, h.sentinelPort)} names ${hostPort(h.masterHost, h.masterPort)} as the primary of ${masterName}` };
      }
      const others = d.hellos.length > 0 ? `; heard Sentinels for ${[...new Set(d.hellos.map((h) => h.masterName))].join(', ')}` : '';
      return { status: 'warn', detail: `${helloCommandLabel(credentials)}: no Sentinel hello for ${masterName} within ${Math.round(d.waitedMs)} ms${d.error ? ` (${d.error})` : ''}${others}` };
    },
  );
}

/** The nodes one hop away, in the order they are worth probing (the bound may cut the tail). */
function hopTargets(obs: Observations, topo: TopologyObservation): HopTarget[] {
  const out: HopTarget[] = [];
  const name = topo.expected.sentinelMaster;
  const sentinelCommands = (master: string | undefined, ckquorum: boolean) =>
    master
      ? [
          { label: `SENTINEL GET-MASTER-ADDR-BY-NAME ${master}`, args: ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', master] },
          ...(ckquorum ? [{ label: `SENTINEL CKQUORUM ${master}`, args: ['SENTINEL', 'CKQUORUM', master] }] : []),
        ]
      : [];
  if (topo.kind === 'sentinel') {
    for (const r of topo.sentinel?.replicas ?? []) out.push({ host: r.host, port: r.port, via: 'sentinel-replica', ...(r.runId ? { expectedId: r.runId } : {}), infoSections: ['server', 'replication'], extra: [] });
    // Peer Sentinels never get the password (follow-policy.ts): they are learned from hellos.
    for (const s of topo.sentinel?.sentinels ?? []) {
      out.push({ host: s.host, port: s.port, via: 'sentinel-peer', ...(s.runId ? { expectedId: s.runId } : {}), infoSections: ['server'], extra: sentinelCommands(name, false) });
    }
  } else if (topo.kind === 'cluster') {
    for (const n of topo.cluster?.nodes ?? []) {
      if (n.myself) continue;
      const port = obs.target.tls ? (n.tlsPort ?? n.port) : n.port;
      const withhold = clusterCredentialsWithheld(n);
      out.push({ host: n.endpoint, port, via: 'cluster-node', ...(n.id ? { expectedId: n.id } : {}), infoSections: ['server', 'replication'], extra: [{ label: 'CLUSTER MYID', args: ['CLUSTER', 'MYID'] }], ...(withhold ? { withhold } : {}) });
    }
  } else if (topo.role === 'slave') {
    const host = infoField(obs.info?.sections, 'master_host');
    const port = Number(infoField(obs.info?.sections, 'master_port'));
    if (host && Number.isInteger(port) && port > 0) out.push({ host, port, via: 'replica-primary', infoSections: ['server', 'replication'], extra: [] });
  }
  const mine = (topo.discovery?.hellos ?? []).filter((h) => h.masterName === name).slice(0, MAX_HELLO_SENTINELS);
  mine.forEach((h, i) => out.push({ host: h.sentinelHost, port: h.sentinelPort, via: 'hello-sentinel', expectedId: h.sentinelRunId, infoSections: ['server'], extra: sentinelCommands(name, i === 0) }));
  return out;
}

/** The primary a Sentinel target names: for the configured master, or the only one it monitors. */
function sentinelPrimary(topo: TopologyObservation): { host: string; port: number; name: string } | undefined {
  if (topo.kind !== 'sentinel') return undefined;
  const name = topo.expected.sentinelMaster;
  if (name) return topo.sentinel?.masterAddr ? { ...topo.sentinel.masterAddr, name } : undefined;
  const masters = topo.sentinel?.masters ?? [];
  return masters.length === 1 ? { host: masters[0]!.host, port: masters[0]!.port, name: masters[0]!.name } : undefined;
}

/** Records an address the policy refused: nothing was sent to it. */
function refuseNode(topo: TopologyObservation, entry: NotFollowed): void {
  topo.notFollowedCount = (topo.notFollowedCount ?? 0) + 1;
  const list = (topo.notFollowed ??= []);
  if (list.length < MAX_NOT_FOLLOWED_LISTED) list.push(entry);
}

async function followHop(ctx: ProbeContext, topo: TopologyObservation): Promise<void> {
  const { obs, signal } = ctx;
  const admission = followAdmission(ctx.options.followPolicy, obs.tcp?.address);
  const hopDeadline = now() + FOLLOW_HOP_TIMEOUTS * ctx.timeoutMs;
  const budget = () => Math.max(0, Math.min(ctx.budget(), hopDeadline - now()));
  // Refused by their text first (no I/O: a list of 10,000 costs no lookups), then the bound, then names resolved.
  let primary = sentinelPrimary(topo);
  const primaryRefused = primary && (await admission.resolve(primary.host, budget(), signal)).refused;
  if (primary && primaryRefused) {
    refuseNode(topo, { via: 'sentinel-primary', host: primary.host, port: primary.port, reason: primaryRefused });
    primary = undefined;
  }
  const listed = hopTargets(obs, topo).filter((t) => {
    const why = admission.refuse(t.host);
    if (why !== undefined) refuseNode(topo, { via: t.via, host: t.host, port: t.port, reason: why });
    return why === undefined;
  });
  const room = MAX_FOLLOWED_NODES - (primary ? 1 : 0);
  const bounded = listed.slice(0, room);
  if (listed.length > bounded.length) topo.followLimit = { listed: listed.length + (primary ? 1 : 0), probed: bounded.length + (primary ? 1 : 0) };
  const verdicts = await Promise.all(bounded.map((t) => admission.resolve(t.host, budget(), signal)));
  const targets = bounded.flatMap((t, i) => {
    const { refused, address } = verdicts[i]!;
    if (refused !== undefined) refuseNode(topo, { via: t.via, host: t.host, port: t.port, reason: refused });
    return refused !== undefined ? [] : [address ? { ...t, address } : t];
  });
  if (!primary && targets.length === 0) return noteRefused(ctx, topo);

  const credentials = ctx.options.credentials;
  const sub = new StepRecorder(ctx.options.onProgress, 'primary:');

  const probeOne = async (t: HopTarget): Promise<FollowedNode> => {
    const withheld = credentials ? (credentialsWithheld(t.via) ?? t.withhold) : undefined;
    const creds = withheld === undefined ? credentials : undefined;
    const node = await probeNode(t.host, t.port, t.via, {
      budget,
      ...(t.address ? { address: t.address } : {}),
      ...(creds ? { credentials: creds } : {}),
      // TLS like the target, the name checked being the followed node's (probeTls never sends an IP as SNI).
      ...(obs.target.tls ? { tls: withoutServername(ctx.options.tls) } : {}),
      infoSections: t.infoSections,
      extra: t.extra,
      signal,
    });
    if (t.expectedId) node.expectedId = t.expectedId;
    if (withheld !== undefined) node.withheld = withheld;
    return node;
  };

  const followPrimary = async (): Promise<FollowedPrimary | undefined> => {
    if (!primary) return undefined;
    const observations: Observations = {
      target: {
        input: hostPort(primary.host, primary.port),
        host: primary.host,
        port: primary.port,
        tls: obs.target.tls,
        ...(obs.target.user !== undefined ? { user: obs.target.user } : {}),
        ...(obs.target.db !== undefined ? { db: obs.target.db } : {}),
      },
      client: { ...obs.client, remote: false },
    };
    await runNetworkProbes({
      obs: observations,
      // The primary is a data node, as expected: no Sentinel name for it (that would send SENTINEL to it).
      options: { ...ctx.options, scanNeighbours: false, topology: primaryExpectation(ctx.options.topology) },
      steps: sub,
      signal,
      budget,
      remaining: ctx.remaining,
      timeoutMs: ctx.timeoutMs,
      depth: 1,
    });
    return { sentinel: hostPort(obs.target.host, obs.target.port), masterName: primary.name, observations };
  };

  const [nodes, followed] = await ctx.steps.run(
    'topology-follow',
    async () => {
      const [nodes, followed] = await Promise.all([Promise.all(targets.map(probeOne)), followPrimary()]);
      await probeBusPorts(topo, nodes, admission, budget, signal);
      return [nodes, followed] as const;
    },
    ([nodes, followed]) => followCheck(topo, nodes, followed),
  );
  topo.followed = nodes;
  if (followed) topo.primary = followed;
  ctx.steps.add(sub.checks);
  noteRefused(ctx, topo);
}

function noteRefused(ctx: ProbeContext, topo: TopologyObservation): void {
  if (topo.notFollowedCount) ctx.steps.note('topology-not-followed', notFollowedCheck(topo), 0);
}

/** Nodes the cluster flags failing: does their bus port accept from here? (It says whether the node or its bus is the problem.) */
async function probeBusPorts(topo: TopologyObservation, nodes: FollowedNode[], admission: FollowAdmission, budget: () => number, signal: AbortSignal): Promise<void> {
  const failing = new Map((topo.cluster?.nodes ?? []).filter((n) => !n.myself && n.flags.some((f) => ['fail', 'fail?', 'handshake'].includes(f))).map((n) => [n.id, n]));
  await Promise.all(
    nodes.map(async (node) => {
      const entry = node.expectedId ? failing.get(node.expectedId) : undefined;
      if (!entry) return;
      const address = node.connect.address ?? entry.ip ?? node.host;
      if (!address || address === '?') return;
      const busPort = entry.busPort ?? entry.port + 10000;
      // The bus address may be another field (ip) than the endpoint that was admitted: admit it too.
      const why = admission.refuse(address);
      if (why !== undefined) return refuseNode(topo, { via: 'cluster-bus', host: address, port: busPort, reason: why });
      node.bus = await probeBusPort(address, busPort, budget(), signal);
    }),
  );
}

function followCheck(topo: TopologyObservation, nodes: readonly FollowedNode[], primary: FollowedPrimary | undefined): CheckOutcome {
  const parts: string[] = [];
  let bad = 0;
  if (primary) {
    const o = primary.observations;
    const ok = o.resp?.ok === true;
    if (!ok) bad++;
    const why = o.tcp && !o.tcp.ok ? ` ${o.tcp.code ?? 'failed'}` : o.dns && !o.dns.ok ? ` ${o.dns.code ?? 'DNS failed'}` : ok ? '' : ' no +PONG';
    parts.push(`primary ${hostPort(o.target.host, o.target.port)} of ${primary.masterName}${ok ? ' answers' : `:${why}`}`);
  }
  const failed = nodes.filter((n) => !n.connect.ok || n.ping !== '+PONG');
  bad += failed.length;
  if (nodes.length > 0) parts.push(`${nodes.length - failed.length} of ${nodes.length} ${nodes.length === 1 ? 'node answers' : 'nodes answer'}`);
  for (const n of failed.slice(0, 3)) parts.push(`${hostPort(n.host || '?', n.port)} ${n.connect.ok ? (nodeReply(n) ?? 'no +PONG') : (n.connect.code ?? 'failed')}`);
  if (topo.followLimit) parts.push(`only ${topo.followLimit.probed} of ${topo.followLimit.listed} probed (bound)`);
  const sentinels = nodes.filter((n) => n.withheld !== undefined && (n.via === 'hello-sentinel' || n.via === 'sentinel-peer')).length;
  if (sentinels > 0) parts.push(`no password sent to ${sentinels} Sentinel${sentinels === 1 ? '' : 's'} learned from hellos`);
  const slotless = nodes.filter((n) => n.withheld !== undefined && n.via === 'cluster-node').length;
  if (slotless > 0) parts.push(`no password sent to ${slotless} cluster node${slotless === 1 ? '' : 's'} serving no slots`);
  const detail = parts.join('; ');
  return { status: bad > 0 ? 'warn' : 'pass', detail: clip(detail) };
}

/** The `topology-not-followed` check: what the follow policy kept the doctor from contacting. */
export function notFollowedCheck(topo: TopologyObservation): CheckOutcome {
  const refused = topo.notFollowed ?? [];
  const count = topo.notFollowedCount ?? refused.length;
  const first = refused[0];
  const rest = count > 1 ? ` (and ${count - 1} more)` : '';
  return { status: 'warn', detail: clip(first ? `not followed: ${hostPort(first.host, first.port)}: ${first.reason}${rest}` : `${count} not followed`) };
}

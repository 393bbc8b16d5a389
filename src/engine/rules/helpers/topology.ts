/**
 * Read-only lookups the topology rules share: what the target is, the
 * follow-up replies, the nodes followed one hop away. No decisions here.
 */
import type { ClusterNodeEntry, FollowedNode, FollowReason, NotFollowed, Observations, TopologyCommand, TopologyObservation } from '../../model/types.js';
import { wireText } from '../../probes/resp-parser.js';
import { clip, hostPort, info } from './observed.js';

export function topologyOf(obs: Observations): TopologyObservation | undefined {
  return obs.topology;
}

/** The role as INFO (or ROLE) reports it: master, slave, sentinel. */
export function roleOf(obs: Observations): string | undefined {
  return obs.topology?.role ?? info(obs, 'role');
}

/** A replica outside a cluster (a cluster replica redirects writes with -MOVED instead of refusing them). */
export function isStandaloneReplica(obs: Observations): boolean {
  const kind = obs.topology?.kind ?? (info(obs, 'redis_mode') === 'standalone' ? 'standalone' : undefined);
  const role = roleOf(obs);
  return kind !== 'cluster' && kind !== 'sentinel' && (role === 'slave' || role === 'replica');
}

export function followed(obs: Observations, ...via: FollowReason[]): FollowedNode[] {
  return (obs.topology?.followed ?? []).filter((n) => via.length === 0 || via.includes(n.via));
}

/** A follow-up command's reply by its check id. */
export function topologyCommand(obs: Observations, check: string): TopologyCommand | undefined {
  return obs.topology?.commands.find((c) => c.check === check);
}

/** A followed node's host as quoted: `""` for an empty endpoint. */
export function nodeHost(n: { host: string }): string {
  return n.host === '' ? '""' : n.host;
}

export function nodeAddress(n: { host: string; port: number }): string {
  return hostPort(nodeHost(n), n.port);
}

export function clusterNodeLabel(n: ClusterNodeEntry): string {
  return `${n.role} ${n.id.slice(0, 8)} ${hostPort(n.endpoint === '' ? '""' : n.endpoint, n.port)}`;
}

/** What a failed connect means, for evidence. */
export function connectFailure(n: FollowedNode, timeoutMs: number): string {
  const code = n.connect.code ?? 'failed';
  switch (code) {
    case 'NOADDR':
      return 'no address to connect to (empty or "?" endpoint)';
    case 'ECONNREFUSED':
      return 'refused (ECONNREFUSED): nothing listens at that address from here';
    case 'ETIMEDOUT':
      return `no answer within ${timeoutMs} ms (ETIMEDOUT): dropped on the way, or nobody has that address on this network`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${code}: no route to that address from here`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ENODATA':
      return `the name does not resolve here (${code})`;
    default:
      return code;
  }
}

/** The followed node answered PING with +PONG. */
export function answered(n: FollowedNode): boolean {
  return n.connect.ok && n.ping === '+PONG';
}

/** How sure a failed connect is: a refusal or a missing name is a reply; silence is inferred. */
export function connectConfidence(n: FollowedNode): 'confirmed' | 'likely' {
  return n.connect.code === 'ETIMEDOUT' ? 'likely' : 'confirmed';
}

/** What a followed node answered instead of +PONG: a greeting, PING's reply, its first error reply (`CLUSTER MYID → -ERR …`), or why PING went unanswered. */
export function nodeReply(n: FollowedNode): string | undefined {
  const error = n.errors[0];
  const reply = n.greeting ?? n.ping ?? (error ? `${error.command} → ${error.reply}` : n.pingFailure);
  // A node the password was kept from (follow-policy.ts) asks for one: that is the policy, not the node's fault.
  return reply !== undefined && n.withheld !== undefined && /^-NOAUTH\b|→ -NOAUTH\b/.test(reply) ? `${reply} (no password sent: ${n.withheld})` : reply;
}

/** What the follow policy kept the doctor from contacting, for evidence: `not followed: h:p (reason)`, bounded. */
export function notFollowedNotes(obs: Observations, max = 3, via?: NotFollowed['via']): string[] {
  const topo = obs.topology;
  const all = topo?.notFollowed ?? [];
  const refused = via ? all.filter((r) => r.via === via) : all;
  const count = via ? refused.length : (topo?.notFollowedCount ?? refused.length);
  const out = refused.slice(0, max).map((r) => `not followed: ${hostPort(r.host, r.port)} (${r.reason}); nothing was sent there`);
  if (count > out.length) out.push(`… and ${count - out.length} more addresses not followed`);
  return out;
}

/** The primary the Sentinels name for the configured master: from the target Sentinel or from a discovered one. */
export function sentinelNamedPrimary(obs: Observations): { host: string; port: number; by: string } | undefined {
  const topo = obs.topology;
  if (!topo) return undefined;
  if (topo.kind === 'sentinel' && topo.sentinel?.masterAddr) return { ...topo.sentinel.masterAddr, by: `Sentinel ${hostPort(obs.target.host, obs.target.port)}` };
  const name = topo.expected.sentinelMaster;
  const asked = followed(obs, 'hello-sentinel').find((n) => n.masterAddr);
  if (asked?.masterAddr) return { ...asked.masterAddr, by: `Sentinel ${nodeAddress(asked)}` };
  const hello = topo.discovery?.hellos.find((h) => h.masterName === name);
  if (hello) return { host: hello.masterHost, port: hello.masterPort, by: `Sentinel ${hostPort(hello.sentinelHost, hello.sentinelPort)} (hello)` };
  return undefined;
}

/** Sentinel addresses known to the diagnosis, for the client examples. */
export function knownSentinels(obs: Observations): string[] {
  const topo = obs.topology;
  const out: string[] = [];
  if (topo?.kind === 'sentinel') out.push(hostPort(obs.target.host, obs.target.port));
  for (const s of topo?.sentinel?.sentinels ?? []) out.push(hostPort(s.host, s.port));
  for (const h of topo?.discovery?.hellos ?? []) if (h.masterName === topo?.expected.sentinelMaster) out.push(hostPort(h.sentinelHost, h.sentinelPort));
  return [...new Set(out)];
}

/** The same address, allowing for a name on one side and its address on the other (the followed node's connect address). */
export function sameAddress(a: { host: string; port: number }, b: { host: string; port: number; address?: string }): boolean {
  return a.port === b.port && (a.host === b.host || (b.address !== undefined && a.host === b.address));
}

export function quoteReply(c: TopologyCommand): string {
  if (!c.reply) return `${c.command} → (no reply)`;
  return `${c.command} → ${clip(wireText(c.reply))}`;
}

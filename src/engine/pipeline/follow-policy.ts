/**
 * Which addresses the topology hop may contact, and which of them get the
 * target's credentials. Everything a server names (CLUSTER SHARDS endpoints,
 * master_host, SENTINEL REPLICAS/SENTINELS, a `__sentinel__:hello`) is
 * hostile input: a forged hello needs nothing more than PUBLISH on the data
 * node, and a cluster bus accepts MEET from anyone who reaches it.
 *
 * Contact (the caller's FollowPolicy, docs/topology.md, "Following the topology"):
 *  - ad-hoc targets: only IP literals the policy's networks admit (a name is
 *    resolved again when probed, so a check today binds nothing);
 *  - every target: a loopback or unspecified address named by a target that
 *    is itself not on loopback is that host's own loopback; here it would be
 *    this machine (the bot's queue Redis, its HTTP port), so it is not
 *    contacted. For names, the addresses they resolve to are checked too.
 *
 * Credentials go to a contacted node only when it was named by the target's
 * own state, the places a client configured like the target sends its
 * password: the primary and the replicas a Sentinel names for the master,
 * the cluster nodes that serve slots and their replicas, a replica's
 * configured primary. Never to a Sentinel heard in `__sentinel__:hello`, nor
 * to one SENTINEL SENTINELS lists (a Sentinel learns its peers from those
 * hellos), nor to a cluster master serving no slot or a node still in
 * handshake (what a bare MEET on the bus adds: no cluster client uses it).
 */
import { isIP } from 'node:net';
import type { FollowPolicy } from '../model/options.js';
import type { ClusterNodeEntry, FollowReason } from '../model/topology.js';
import { isLoopbackAddress } from '../shared/address.js';
import { probeDns } from '../probes/dns.js';

/** Why credentials are never sent to a node learned this way (absent: they may be). */
const WITHHELD: Readonly<Partial<Record<FollowReason, string>>> = {
  'hello-sentinel': 'learned from __sentinel__:hello, which any client allowed to PUBLISH can forge',
  'sentinel-peer': 'a peer Sentinel, learned from __sentinel__:hello, which any client allowed to PUBLISH can forge',
};

export function credentialsWithheld(via: FollowReason): string | undefined {
  return Object.prototype.hasOwnProperty.call(WITHHELD, via) ? WITHHELD[via] : undefined;
}

/** A cluster node a cluster client never sends its password to (absent: it may get it). */
export function clusterCredentialsWithheld(n: Pick<ClusterNodeEntry, 'role' | 'slots' | 'flags'>): string | undefined {
  if (n.flags.includes('handshake')) return 'a node still in handshake (anyone who reaches the cluster bus can start one)';
  if (n.role === 'master' && n.slots.length === 0) return 'a master serving no slots (anyone who reaches the cluster bus can add one)';
  return undefined;
}

function isUnspecified(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::' || /^::ffff:0\.0\.0\.0$/i.test(ip) || /^0\./.test(ip);
}

/** 127.0.0.0/8, ::1, 0.0.0.0/8 and :: all reach this machine. */
function isLocal(ip: string): boolean {
  return isLoopbackAddress(ip) || isUnspecified(ip);
}

export interface FollowAdmission {
  /** Why `host` may not be contacted (undefined: it may), from its text alone. */
  refuse(host: string): string | undefined;
  /**
   * The same, after resolving a name (configured targets). When a name was
   * resolved and admitted, `address` is the address checked: the probe
   * connects there instead of resolving again (an answer that changes in
   * between would otherwise bind nothing).
   */
  resolve(host: string, budget: number, signal?: AbortSignal): Promise<{ refused?: string; address?: string }>;
}

/**
 * @param targetAddress the address the target itself was reached at (the TCP
 * step's): a target on loopback may name loopback nodes (a lab, or a client
 * on the Redis host), any other may not.
 */
export function followAdmission(policy: FollowPolicy | undefined, targetAddress: string | undefined): FollowAdmission {
  const targetLocal = targetAddress !== undefined && isLocal(targetAddress);
  const adHoc = policy?.kind === 'ad-hoc';
  const outside = policy?.outside ?? 'outside the allowed networks';
  const refuseIp = (ip: string): string | undefined => {
    if (adHoc && !(policy?.allows?.(ip) ?? false)) return outside;
    if (isLocal(ip) && !targetLocal) return 'a loopback or unspecified address named by a target that is not on loopback (here it would be this machine)';
    return undefined;
  };
  const refuse = (host: string): string | undefined => {
    if (host === '' || host === '?') return undefined; // probeNode reports NOADDR without connecting
    if (isIP(host) !== 0) return refuseIp(host);
    if (adHoc) return 'a host name: ad-hoc targets follow IP addresses only';
    return undefined;
  };
  return {
    refuse,
    async resolve(host, budget, signal) {
      const first = refuse(host);
      if (first !== undefined) return { refused: first };
      if (isIP(host) !== 0 || host === '' || host === '?' || targetLocal) return {};
      // A name the target hands out: what does it resolve to here? (A failure is reported by the probe itself.)
      const dns = await probeDns(host, budget, signal);
      if (!dns.ok) return {};
      for (const a of dns.addresses) {
        const why = refuseIp(a.address);
        if (why !== undefined) return { refused: `${host} resolves to ${a.address}: ${why}` };
      }
      return { address: dns.addresses[0]!.address };
    },
  };
}

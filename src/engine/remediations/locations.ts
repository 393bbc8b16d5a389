/**
 * Fixes for "answered from one probe location, refused or dropped from
 * another" (blocked-from-location): the path between the blocked location and
 * Redis, never Redis itself. Facts relied on: AWS security groups and NACLs,
 * Azure NSGs and GCP firewall rules drop what they do not allow (the client
 * sees a timeout); a Kubernetes NetworkPolicy drops too on most CNIs (Calico
 * and Cilium can be set to reject); iptables `-j REJECT` and a host firewall
 * answer with a reset or ICMP port-unreachable (ECONNREFUSED); a missing
 * peering/VPN route gives a timeout or, with no route at all, ENETUNREACH.
 */
import type { Remediation } from '../model/types.js';
import { type FixTarget, rerun } from './fix-target.js';

export interface LocationPath {
  /** Where Redis answered. */
  from: string;
  /** Where it was refused or dropped. */
  blocked: string;
  /** What the blocked location saw: refused, dropped, no-route. */
  how: 'refused' | 'dropped' | 'no-route';
}

export const locationFixes = {
  'allow-location-path': (t: FixTarget, given: Partial<LocationPath> = {}): Remediation => {
    const p: LocationPath = { from: given.from ?? 'the location that connects', blocked: given.blocked ?? 'the blocked location', how: given.how ?? 'dropped' };
    return {
    id: 'allow-location-path',
    title: `Allow ${p.blocked}'s network to reach ${t.host}:${t.port}, as ${p.from}'s already does`,
    risk: 'medium',
    mode: 'guided',
    steps: [
      `Compare the two paths: on a host in ${p.blocked}, nc -vz -w 3 ${t.host} ${t.port} and ip route get ${t.address ?? t.host}; the same from ${p.from}. The first hop that differs is where to look.`,
      p.how === 'refused'
        ? `Refused (a reset or ICMP port-unreachable) while ${p.from} connects: a firewall rejects ${p.blocked}'s source addresses — iptables/nftables REJECT on the Redis host (sudo iptables -S | grep -e REJECT -e ${t.port}), a host firewall (ufw status, firewall-cmd --list-all), or a NetworkPolicy on a CNI set to reject.`
        : p.how === 'no-route'
          ? `No route from ${p.blocked}: the networks are not connected. Add the peering / Transit Gateway / VPN route for Redis's range in ${p.blocked}'s route table (ip route get ${t.address ?? t.host} there shows what is missing).`
          : `Dropped (a timeout) while ${p.from} connects: a security group, NACL, NSG or cloud firewall rule, or a Kubernetes NetworkPolicy, allows ${p.from}'s sources but not ${p.blocked}'s; or a peering/VPN route is missing one way (return traffic lost).`,
      `Cloud: allow inbound TCP ${t.port} on Redis's security group / NSG / firewall rule from ${p.blocked}'s subnet or security group (aws ec2 describe-security-groups --group-ids <sg>; az network nsg rule list; gcloud compute firewall-rules list), and the NACLs both ways.`,
      `Kubernetes: kubectl get networkpolicy -A — a policy selecting the Redis pods must allow ingress from ${p.blocked}'s namespace/pod labels (or ipBlock) on port ${t.port}; a default-deny policy without that allow drops it.`,
      'Be as narrow as possible: allow the one subnet or security group that needs Redis, on its one port.',
    ],
    verify: rerun(t, `the diagnosis from ${p.blocked} (/redis-diagnose <target> from ${p.blocked}) connects, and from all finds no blocked-from-location.`),
    };
  },
};

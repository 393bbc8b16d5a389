/**
 * Fixes for "the name leads somewhere this client cannot use": an address
 * family Redis does not listen on (the name resolves to ::1 and 127.0.0.1,
 * Redis binds one), and a private address this location has no route to (a
 * managed service's endpoint, reachable only inside its VPC/VNet).
 *
 * Facts relied on: Redis `bind` takes several addresses, and since 7.0 a `-`
 * prefix makes an address optional (`bind * -::*`: every IPv4 address, and
 * IPv6 when the host has it) and `CONFIG SET bind` applies at runtime. Node.js
 * 17–19 connect to the first address dns.lookup returns (resolver order since
 * 17); 20 tries every address (autoSelectFamily on by default). ioredis and
 * node-redis pass `family` to net.connect. hiredis (redis-cli) asks getaddrinfo
 * for IPv4 first, so redis-cli can work where the application fails.
 */
import type { Remediation } from '../model/types.js';
import { cli, type FixTarget, rerun, url } from './fix-target.js';

export const routingFixes = {
  'bind-both-address-families': (t: FixTarget, p: { missing?: string } = {}): Remediation => ({
    id: 'bind-both-address-families',
    title: `Make Redis listen on every address ${t.host} resolves to${p.missing ? ` (it does not on ${p.missing})` : ''}`,
    risk: 'low',
    mode: 'guided',
    steps: [
      `On the Redis host: sudo ss -ltnp | grep redis-server — "127.0.0.1:${t.port}" without "[::1]:${t.port}" (or the reverse) means one family only.`,
      `In redis.conf, bind both families: "bind 127.0.0.1 ::1" for loopback clients, or the host's IPv4 and IPv6 addresses for remote ones; "bind * -::*" listens on every address of both families (Redis 7+; the "-" keeps Redis starting on a host without IPv6). A non-loopback bind needs a password (requirepass or an ACL user) and a firewall.`,
      `Redis 7+ applies it at runtime: ${cli(t)} CONFIG SET bind "127.0.0.1 ::1", then CONFIG REWRITE to keep it (only when the server was started from a config file); older servers need a restart.`,
      'In Docker: publish the port on both families (-p 6379:6379 publishes on 0.0.0.0 and [::] where the daemon has IPv6), or point the name at the family it publishes.',
      `Or make the name resolve only to the address that answers (/etc/hosts, the DNS record): check with getent ahosts ${t.host}.`,
    ],
    verify: rerun(t, 'every address of the name connects (check tcp-addresses) and no address-family-mismatch finding remains.'),
  }),

  'pin-client-address-family': (t: FixTarget, p: { family?: 4 | 6; address?: string } = {}): Remediation => {
    const family = p.family ?? 4;
    return {
      id: 'pin-client-address-family',
      title: `Make the client use the address that answers${p.address ? ` (${p.address}, IPv${family})` : ''}`,
      risk: 'low',
      mode: 'guided',
      steps: [
        p.address
          ? `Use the address that answered instead of the name: ${url({ ...t, host: p.address })}`
          : `Use the IPv${family} address of ${t.host} that answers instead of the name (getent ahosts ${t.host} lists them).`,
        `ioredis: new Redis({ host: '${t.host}', port: ${t.port}, family: ${family} }) — node-redis: createClient({ socket: { host: '${t.host}', port: ${t.port}, family: ${family} } }).`,
        'Node.js: upgrade to 20+ (every address is tried: autoSelectFamily is on by default), or on 18.13+ net.setDefaultAutoSelectFamily(true) / node --network-family-autoselection; on 17–19 node --dns-result-order=ipv4first (or dns.setDefaultResultOrder(\'ipv4first\')) puts IPv4 first.',
        'Other clients and pools that resolve once and keep the first address: set their address-family or "prefer IPv4/IPv6" option (Java: -Djava.net.preferIPv4Stack=true), or configure the IP literal.',
      ],
      verify: rerun(t, 'the verdict is healthy; the application connects without ECONNREFUSED on the other address.'),
    };
  },

  'run-client-in-network': (t: FixTarget, p: { address?: string } = {}): Remediation => ({
    id: 'run-client-in-network',
    title: `Reach ${t.host} from inside its network, or connect the networks`,
    risk: 'low',
    mode: 'guided',
    steps: [
      `${p.address ?? t.address ?? t.host} is a private address: only hosts inside its network (or connected to it) can reach it. Managed endpoints work this way: ElastiCache only from its VPC (or a peered/connected one), Azure Cache for Redis private endpoints from the VNet, Memorystore from its authorised VPC network.`,
      'Run the client there (an instance, container or function in that VPC/VNet and subnet, allowed by the security group). Run the diagnosis there too: a redis-doctor probe location (a worker with REDIS_DOCTOR_LOCATION=<name> in that network, and probeFrom: [<name>] on the target).',
      'Or connect this location to that network: VPC peering, a Transit Gateway / Virtual WAN, a site-to-site or client VPN; then a route for the range must exist here (ip route get <address>) and the security group / NSG must allow this client\'s range on the port.',
      `Check the name: inside the VPC a private DNS zone may resolve ${t.host} differently from here (getent ahosts ${t.host}, dig +short ${t.host}).`,
    ],
    verify: rerun(t, 'from inside the network (or over the peering/VPN) the TCP connect succeeds.'),
  }),

  'use-public-endpoint': (t: FixTarget): Remediation => ({
    id: 'use-public-endpoint',
    title: 'Use the service\'s public endpoint with TLS and authentication, where it has one',
    risk: 'medium',
    mode: 'guided',
    steps: [
      'Where the provider offers a public endpoint (Azure Cache for Redis with public network access, Redis Cloud, Upstash …), use its public host name — ElastiCache has none: use a client inside the VPC or a VPN/peering instead.',
      `Connect with TLS and a password or ACL user: ${url({ ...t, tls: true, authProvided: true })} (the provider's host and port in place of these).`,
      'Restrict who may connect: the provider\'s firewall / allowed source IP ranges, never open to every address.',
    ],
    verify: rerun({ ...t, tls: true }, 'the TLS handshake and AUTH succeed.'),
  }),
};

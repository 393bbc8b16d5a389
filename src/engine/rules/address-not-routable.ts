/**
 * The name resolves to a private address (RFC 1918, CGNAT, ULA, link-local)
 * that this location cannot route to: a managed service's endpoint reachable
 * only inside its VPC/VNet (ElastiCache, Azure Cache private endpoints,
 * Memorystore). The fix is where the client runs, not a firewall rule.
 *
 * Evidence (probes/route.ts, run only then): the kernel's route lookup for the
 * address, made with a UDP connect that sends nothing, and the main table's
 * most specific route for it.
 *   kernel refuses locally (ENETUNREACH: no route; EHOSTUNREACH: an
 *     `unreachable` route; EINVAL: `blackhole`; EACCES: `prohibit`) → confirmed:
 *     no packet could leave, so neither a firewall nor the server is involved.
 *   the TCP connect timed out and only the default route covers the address →
 *     possible: private addresses are not routed past the default gateway on
 *     the public internet, but a firewall dropping the SYNs looks the same.
 *   the kernel has a route of its own for the range (a VPN, a peering) →
 *     nothing here: the network is connected, something on it drops or rejects.
 */
import type { RouteObservation } from '../model/types.js';
import { REMEDIATIONS, fixTarget } from '../remediations/index.js';
import { hostPort, ms } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

const KERNEL_REFUSALS: Record<string, string> = {
  ENETUNREACH: 'no route to that network',
  EHOSTUNREACH: 'an unreachable route covers it',
  EINVAL: 'a blackhole route covers it',
  EACCES: 'a prohibit route covers it',
};

function tableLine(route: RouteObservation): string {
  const m = route.matched;
  if (!m) return route.tableRead ? 'the main routing table has no route covering it (not even a default route)' : 'the routing table could not be read';
  const via = `${m.gateway ? ` via ${m.gateway}` : ''}${m.dev ? ` dev ${m.dev}` : ' (no device)'}`;
  if (m.reject) return `the main routing table has a reject route ${m.prefix} for it`;
  if (m.defaultRoute) return `the main routing table covers it only with the default route${via}, no route of its own`;
  return `the main routing table's most specific route for it: ${m.prefix}${via}`;
}

export const rule = defineRule({
  cause: 'address-not-routable',
  impact: 'unusable',
  supersedes: ['host-unreachable', 'connection-timeout', 'firewall-blocked'],
  evaluate(obs) {
    const { tcp, route } = obs;
    if (!tcp || tcp.ok || !route || route.address !== tcp.address || !route.range) return undefined;
    const refusal = route.ok ? undefined : KERNEL_REFUSALS[route.code ?? ''];
    const onlyDefault = route.ok && route.tableRead === true && (route.matched === undefined || route.matched.defaultRoute);
    if (!refusal && !(tcp.code === 'ETIMEDOUT' && onlyDefault)) return undefined;
    const { host, port } = obs.target;
    const resolved = host !== tcp.address ? `${host} resolves to ${tcp.address}, ` : `${tcp.address} is `;
    const t = fixTarget(obs);
    return {
      severity: 'critical',
      confidence: refusal ? 'confirmed' : 'possible',
      title: refusal
        ? `${hostPort(host, port)}: ${tcp.address} is a private address this machine has no route to`
        : `${hostPort(host, port)}: ${tcp.address} is a private address reached only through the default route — it may live in a network this location is not part of`,
      evidence: [
        `${resolved}a private address in ${route.range}`,
        `TCP connect to ${hostPort(tcp.address, port)}: ${tcp.code ?? 'failed'} after ${ms(tcp.durationMs)}`,
        refusal
          ? `route lookup (a UDP connect, nothing sent): ${route.code} — ${refusal}; ${tableLine(route)}`
          : `route lookup (a UDP connect, nothing sent): routed from ${route.source ?? 'a local address'}; ${tableLine(route)}. Private addresses are not routed on the public internet, so the SYNs die past the gateway — unless a firewall drops them, which looks the same`,
      ],
      remediations: [REMEDIATIONS['run-client-in-network'](t, { address: tcp.address }), REMEDIATIONS['use-public-endpoint'](t), REMEDIATIONS['check-network-path'](t)],
      details: { address: tcp.address, range: route.range, ...(route.code ? { routeCode: route.code } : {}), ...(route.matched ? { route: route.matched.prefix } : {}) },
    };
  },
});

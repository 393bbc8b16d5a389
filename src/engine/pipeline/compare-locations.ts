/**
 * The step after the single-location runs: the documents of one target
 * diagnosed from several probe locations, compared. Pure over the documents
 * (each carries its `location`); the engine run that made each one knows
 * nothing of the others or of where it ran.
 *
 * blocked-from-location: the TCP connect succeeded from one location and was
 * refused, timed out or had no route from another. What lies between follows
 * from how it failed: refused → a rule that rejects (iptables REJECT, a host
 * firewall, a CNI set to reject); timed out → something that drops (security
 * group, NACL, NetworkPolicy, a one-way route); no route → a routing gap.
 *
 * Confidence: `likely` when both locations tried the same address (an IP
 * literal, or the blocked location's DNS answer contains the address the
 * other connected to): network evidence with nothing else left open; else
 * `possible`: the name may resolve to another server there.
 */
import { isIP } from 'node:net';
import type { Check, Diagnosis, Finding } from '../model/types.js';
import { REMEDIATIONS, type FixTarget } from '../remediations/index.js';
import { hostPort } from '../shared/address.js';

type How = 'refused' | 'dropped' | 'no-route';

/** Codes are short tokens; anything else from a document is cut before use. */
const MAX_TEXT = 120;
const clip = (s: string): string => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s);

function check(d: Diagnosis, id: string): Check | undefined {
  return d.checks.find((c) => c.id === id);
}

function howBlocked(d: Diagnosis, tcp: Check): How {
  const code = tcp.detail.slice(0, 40);
  if (code.startsWith('ECONNREFUSED')) return 'refused';
  if (code.startsWith('ENETUNREACH') || code.startsWith('EHOSTUNREACH') || d.primaryCause === 'address-not-routable') return 'no-route';
  return 'dropped';
}

const CONNECTED = 'connected to ';

/** The address:port the TCP step connected to ("connected to 198.18.0.2:6379"). */
function connectedTo(tcp: Check): string | undefined {
  const detail = tcp.detail.slice(0, MAX_TEXT);
  return detail.startsWith(CONNECTED) ? detail.slice(CONNECTED.length) : undefined;
}

/** "198.18.0.2:6379" / "[::1]:6379" → the address. */
function addressOf(hp: string): string {
  const at = hp.lastIndexOf(':');
  const a = at > 0 ? hp.slice(0, at) : hp;
  return a.startsWith('[') && a.endsWith(']') ? a.slice(1, -1) : a;
}

const BETWEEN: Record<How, string> = {
  refused: 'a firewall rule that rejects its source addresses (iptables/nftables REJECT, a host firewall, a NetworkPolicy on a CNI that rejects)',
  dropped: 'a security group, NACL, cloud firewall or Kubernetes NetworkPolicy that drops its traffic, or a route missing one way (peering, VPN)',
  'no-route': 'a routing gap: no route from there to Redis\'s network (no peering, Transit Gateway or VPN route)',
};

const VERB: Record<How, string> = { refused: 'refused', dropped: 'gets no answer (dropped)', 'no-route': 'has no route' };

export function compareLocations(docs: readonly Diagnosis[]): Finding[] {
  const answered = docs.filter((d) => d.location !== undefined && check(d, 'tcp-connect')?.status === 'pass');
  const from = answered[0];
  if (!from) return [];
  const fromTcp = check(from, 'tcp-connect')!;
  const address = connectedTo(fromTcp);
  const findings: Finding[] = [];
  for (const d of docs) {
    const tcp = check(d, 'tcp-connect');
    if (d.location === undefined || tcp?.status !== 'fail' || d.location === from.location) continue;
    const how = howBlocked(d, tcp);
    const { host, port } = d.target;
    const dns = check(d, 'dns');
    const addr = address ? addressOf(address) : undefined;
    const sameAddress = isIP(host) !== 0 || (addr !== undefined && dns?.status === 'pass' && dns.detail.slice(0, 2000).split(', ').includes(addr));
    const t: FixTarget = { host, port, tls: d.target.tls, authProvided: false, ...(addr ? { address: addr } : {}), ...(d.target.user ? { user: d.target.user } : {}) };
    const name = d.target.name ?? hostPort(host, port);
    findings.push({
      cause: 'blocked-from-location',
      severity: 'critical',
      confidence: sameAddress ? 'likely' : 'possible',
      title: `${name} answers from ${from.location} but ${VERB[how]} from ${d.location}: between ${d.location} and ${hostPort(host, port)} lies ${BETWEEN[how]}`,
      evidence: [
        `from ${from.location}: TCP connect ${clip(fromTcp.detail)}${from.verdict !== 'healthy' ? ` (verdict ${from.verdict}${from.primaryCause ? `: ${from.primaryCause}` : ''})` : ''}`,
        `from ${d.location}: TCP connect failed: ${clip(tcp.detail)} after ${tcp.durationMs} ms${d.primaryCause ? ` (its primary cause: ${d.primaryCause})` : ''}`,
        sameAddress
          ? `both tried the same address${addr ? ` (${addr})` : ''}: the server is up and listening, so the difference is the path from ${d.location}`
          : `${d.location} resolved ${host} to ${dns?.status === 'pass' ? clip(dns.detail) : 'something not known here'}, not ${addr ?? 'the address that answered'}: its DNS may lead elsewhere, so this is one explanation among others`,
      ],
      remediations: [REMEDIATIONS['allow-location-path'](t, { from: from.location!, blocked: d.location, how }), REMEDIATIONS['check-network-path'](t)],
      details: { answeredFrom: from.location!, blockedFrom: d.location, how, code: clip(tcp.detail) },
    });
  }
  return findings;
}

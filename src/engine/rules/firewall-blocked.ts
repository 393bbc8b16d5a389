/**
 * Redis listens where the client connects, and the host firewall rejects or
 * drops the connection. Both halves come from the SSH checks: `ss -ltnp`
 * shows redis-server on the target port on an address that covers the target
 * (0.0.0.0, ::, or the address itself); iptables/nft/ufw/firewalld rules,
 * walked in order, end in REJECT or DROP for a new TCP connection to that port.
 * The network agrees: REJECT answers with a reset or ICMP port-unreachable
 * (ECONNREFUSED) or admin-prohibited (EHOSTUNREACH), DROP makes the SYN time out.
 */
import { tablesForFamily, verdictForPort, type PortVerdict } from '../remote/firewall-verdict.js';
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { hostName, isRedisListener, listenCovers, listenersOnPort, remoteOf, ssEvidence, targetAddress } from './helpers/host.js';
import { targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

const BLOCKED_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

export const rule = defineRule({
  cause: 'firewall-blocked',
  impact: 'unusable',
  supersedes: ['connection-refused', 'connection-timeout', 'host-unreachable'],
  evaluate(obs) {
    const remote = remoteOf(obs);
    if (!remote?.firewall || obs.tcp?.ok !== false || !BLOCKED_CODES.has(obs.tcp.code ?? '')) return undefined;
    const port = obs.target.port;
    const address = targetAddress(obs);
    const listener = listenersOnPort(remote, port).find((l) => isRedisListener(l, remote) && listenCovers(l.address, address));
    if (!listener) return undefined;
    const family = address.includes(':') ? 6 : 4;
    const blocking: PortVerdict[] = tablesForFamily(remote.firewall, family)
      .map((t) => verdictForPort(t, port))
      .filter((v) => v.verdict === 'drop' || v.verdict === 'reject');
    const first = blocking[0];
    if (!first) return undefined;
    const host = hostName(remote);
    const evidence = [
      `TCP connect to ${targetLabel(obs)}: ${obs.tcp.code}`,
      ssEvidence(remote, listener),
      ...blocking.map((b) => `${b.tool} on ${host}: ${b.line}${b.conditional ? ' (applies to some clients only)' : ''}`),
    ];
    const caveats = [...new Set(blocking.flatMap((b) => b.caveats))];
    if (caveats.length) evidence.push(`rules that may let some clients through first: ${caveats.slice(0, 3).join(' | ')}`);
    const table = remote.firewall.find((t) => t.tool === first.tool)?.notes.find((n) => n.startsWith('table '));
    const t = fixTarget(obs);
    return {
      severity: 'critical',
      // A rule that matches only some sources may not be the one this client meets.
      confidence: first.conditional ? 'likely' : 'confirmed',
      title: `${first.tool} on ${host} ${first.verdict === 'drop' ? 'drops' : 'rejects'} connections to port ${port}, where Redis listens`,
      evidence,
      remediations: [REMEDIATIONS['remove-firewall-rule'](t, { tool: first.tool, line: first.line ?? '', ...(table ? { table } : {}) }), REMEDIATIONS['open-firewall-port'](t)],
      details: { tool: first.tool, action: first.verdict, conditional: first.conditional },
    };
  },
});

/**
 * The network said no before the host could: connect() failed with
 *   EHOSTUNREACH  ICMP host unreachable — also what Linux reports for an ICMP
 *                 "administratively prohibited" (iptables/firewalld REJECT
 *                 --reject-with icmp-host-prohibited, firewalld's default)
 *   ENETUNREACH   no route to the network
 *   EHOSTDOWN / ENETDOWN  neighbour or interface down
 *   EPERM / EACCES  the client's own firewall refused to send the SYN
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { ms, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

const MEANING: Record<string, string> = {
  EHOSTUNREACH: 'ICMP host unreachable or administratively prohibited (a REJECT firewall rule answers like this)',
  ENETUNREACH: 'no route to that network from this client',
  EHOSTDOWN: 'the host is down',
  ENETDOWN: 'the network interface is down',
  EPERM: "the client's own firewall refused to send the connection",
  EACCES: "the client's own firewall refused to send the connection",
};

export const rule = defineRule({
  cause: 'host-unreachable',
  impact: 'unusable',
  evaluate(obs) {
    const tcp = obs.tcp;
    const code = tcp?.code;
    if (!tcp || tcp.ok || code === undefined || !(code in MEANING)) return undefined;
    const label = targetLabel(obs);
    const t = fixTarget(obs);
    const local = code === 'EPERM' || code === 'EACCES';
    return {
      severity: 'critical',
      confidence: 'confirmed',
      title: local ? `The client's firewall blocks connections to ${label}` : `${label} is unreachable from here (${code})`,
      evidence: [`TCP connect to ${label} failed after ${ms(tcp.durationMs)}: ${code} — ${MEANING[code]}`],
      remediations: [REMEDIATIONS['check-network-path'](t), REMEDIATIONS['open-firewall-port'](t)],
      details: { code },
    };
  },
});

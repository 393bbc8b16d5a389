/**
 * Redis listens where the client connects, and the host firewall rejects or
 * drops the connection. Both halves come from the SSH checks: `ss -ltnp`
 * shows redis-server on the target port on an address that covers the target
 * (0.0.0.0, ::, or the address itself); iptables/nft/ufw/firewalld rules,
 * walked in order, end in REJECT or DROP for a new TCP connection to that port.
 * The network agrees: REJECT answers with a reset or ICMP port-unreachable
 * (ECONNREFUSED) or admin-prohibited (EHOSTUNREACH), DROP makes the SYN time out.
 */
import type { Confidence } from '../model/types.js';
import { tablesForFamily, verdictForPort, type PortVerdict } from '../remote/firewall-verdict.js';
import { validatedRuleWords } from '../shared/iptables-rule.js';
import { isPlausibleRuleText, isSafeChainName } from '../shared/shell-words.js';
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { hostName, isRedisListener, listenCovers, listenersOnPort, remoteOf, ssEvidence, targetAddress } from './helpers/host.js';
import { targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

const BLOCKED_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * How far the deciding line can be believed as a rule. A compromised login can forge the
 * section (issue #16, item 5): text with characters only shell text has (`;`, `|`, `$` …)
 * or outside printable ASCII is no firewall's output ('forged'); an iptables line outside
 * the option grammar of shared/iptables-rule.ts may be real but is not repeated ('unknown').
 */
function ruleTrust(v: PortVerdict): 'rule' | 'unknown' | 'forged' {
  const line = v.line ?? '';
  // nft prints a base chain's policy after `;` separators, the one place a `;` belongs.
  if (v.tool === 'nft' && line.length <= 160 && /^type filter hook [a-z]+ priority [a-z0-9 +-]+; policy (accept|drop);$/.test(line)) return 'rule';
  if (!isPlausibleRuleText(line)) return 'forged';
  if (v.tool !== 'iptables' && v.tool !== 'ip6tables') return 'rule';
  const policy = /^-P ([^ ]+) (ACCEPT|DROP)$/.exec(line);
  if (policy) return isSafeChainName(policy[1]!) ? 'rule' : 'forged';
  return validatedRuleWords(line) ? 'rule' : 'unknown';
}

const TRUST_CAP: Record<ReturnType<typeof ruleTrust>, Confidence | undefined> = { rule: undefined, unknown: 'likely', forged: 'possible' };

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
    const trust = ruleTrust(first);
    if (trust === 'forged') evidence.push(`the ${first.tool} line above holds characters no firewall prints (shell syntax, control or non-ASCII characters): the host's output may have been tampered with; it is quoted, not repeated in any command`);
    else if (trust === 'unknown') evidence.push(`the ${first.tool} line above has options redis-doctor does not check: no command repeats it`);
    const table = remote.firewall.find((t) => t.tool === first.tool)?.notes.find((n) => n.startsWith('table '));
    const t = fixTarget(obs);
    return {
      severity: 'critical',
      // A rule that matches only some sources may not be the one this client meets; a line
      // that fails the rule grammar may not be a rule at all.
      confidence: TRUST_CAP[trust] ?? (first.conditional ? 'likely' : 'confirmed'),
      title: `${first.tool} on ${host} ${first.verdict === 'drop' ? 'drops' : 'rejects'} connections to port ${port}, where Redis listens`,
      evidence,
      remediations: [REMEDIATIONS['remove-firewall-rule'](t, { tool: first.tool, line: first.line ?? '', ...(table ? { table } : {}) }), REMEDIATIONS['open-firewall-port'](t)],
      details: { tool: first.tool, action: first.verdict, conditional: first.conditional },
    };
  },
});

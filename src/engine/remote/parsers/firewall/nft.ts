/**
 * `nft list ruleset` → the chains hooked on input. A base chain declares
 * `type filter hook input priority …; policy drop;`; every base chain on the
 * input hook must accept a packet for it to get through (nft(8) "CHAINS").
 *   table ip filter {
 *     chain INPUT {
 *       type filter hook input priority filter; policy accept;
 *       tcp dport 6380 counter packets 0 bytes 0 reject
 *       meta l4proto tcp ip saddr 10.0.0.0/8 tcp dport { 7000-7005, 6390 } counter … reject with tcp reset
 *     }
 *   }
 */
import type { FirewallChain, FirewallRule, FirewallTable } from '../../types.js';
import { parsePortList } from './ports.js';
import { dict, own } from '../../../shared/dict.js';
import { outputLines } from '../../../shared/lines.js';

const FAMILY: Record<string, FirewallTable['family']> = { ip: 'ipv4', ip6: 'ipv6', inet: 'inet' };

function parseNftRule(line: string): FirewallRule {
  const rule: FirewallRule = { line, action: 'other', protocol: 'any', conditions: [] };
  // Counters and comments never decide a match.
  let rest = line
    .replace(/\bcounter packets \d+ bytes \d+/g, ' ')
    .replace(/\bcounter\b/g, ' ')
    .replace(/\bcomment "(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\blog( prefix "(?:[^"\\]|\\.)*")?( level \S+)?/g, ' ');
  // Trimmed once here: a trailing `\s*$` was retried over the same spaces after every verdict word.
  rest = rest.trimEnd();
  const verdict = /\b(accept|drop|reject(?: with .*)?|return|(?:jump|goto) (\S+))$/.exec(rest);
  if (verdict) {
    const v = verdict[1]!;
    if (v === 'accept') rule.action = 'accept';
    else if (v === 'drop') rule.action = 'drop';
    else if (v.startsWith('reject')) rule.action = 'reject';
    else if (v === 'return') rule.action = 'return';
    else {
      rule.action = 'jump';
      rule.jumpTarget = verdict[2]!;
    }
    rest = rest.slice(0, verdict.index);
  }
  const take = (re: RegExp): RegExpExecArray | null => {
    const m = re.exec(rest);
    if (m) rest = rest.slice(0, m.index) + ' ' + rest.slice(m.index + m[0].length);
    return m;
  };
  const dport = take(/\b(tcp|udp|th) dport (!= )?(\{[^}]*\}|\S+)/);
  if (dport) {
    if (dport[1] === 'udp') rule.protocol = 'udp';
    else if (dport[1] === 'tcp') rule.protocol = 'tcp';
    const ports = parsePortList(dport[3]!, /,/, '-');
    if (dport[2] || !ports) rule.negated = true;
    else rule.ports = ports;
  }
  const l4 = take(/\b(?:meta l4proto|ip protocol|ip6 nexthdr) (!= )?(\{[^}]*\}|\S+)/);
  if (l4) {
    const set = l4[2]!.replace(/[{}\s]/g, '').split(',');
    if (l4[1]) rule.conditions.push(l4[0].trim());
    else if (set.includes('tcp') || set.includes('6')) rule.protocol = set.length === 1 ? 'tcp' : 'any';
    else rule.protocol = set.includes('udp') ? 'udp' : 'other';
  }
  const iface = take(/\b(iifname|iif) (!= )?("[^"]*"|\S+)/);
  if (iface) {
    const name = iface[3]!.replace(/"/g, '');
    if (name === 'lo' && !iface[2]) rule.loopbackOnly = true;
    else rule.conditions.push(iface[0].trim());
  }
  const ct = take(/\bct state (!= )?(\{[^}]*\}|\S+)/);
  if (ct) {
    const hasNew = ct[2]!.replace(/[{}\s]/g, '').split(',').includes('new');
    const negated = ct[1] !== undefined;
    // `ct state established,related` and `ct state != new` never see a new connection.
    if (negated ? hasNew : !hasNew) rule.excludesNew = true;
  }
  // `fib daddr type local` only says "addressed to this host", true for our client.
  take(/\bfib daddr type (\{[^}]*\}|\S+)/);
  // `ct status dnat` (firewalld, Docker) matches port-forwarded connections, not one made to the host's own address.
  if (take(/\bct status dnat\b/)) rule.excludesNew = true;
  for (const other of rest.match(/\b(?:ip6?|ether|meta|ct|tcp|udp|th|fib|mark|socket|@\S+)\s+\S+(?:\s+(?:!=\s+)?(?:\{[^}]*\}|\S+))?/g) ?? []) {
    rule.conditions.push(other.trim());
  }
  return rule;
}

export function parseNftRuleset(output: string): FirewallTable[] {
  const tables: FirewallTable[] = [];
  let table: FirewallTable | undefined;
  let chain: FirewallChain | undefined;
  let depth = 0;
  for (const raw of outputLines(output)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const opens = (line.match(/\{/g) ?? []).length;
    const closes = (line.match(/\}/g) ?? []).length;
    const t = depth === 0 ? /^table (\S+) (\S+) \{$/.exec(line) : null;
    const c = depth === 1 && table ? /^chain (\S+) \{$/.exec(line) : null;
    if (t) {
      table = { tool: 'nft', family: own(FAMILY, t[1]!) ?? 'inet', active: true, entryChains: [], chains: dict(), notes: [`table ${t[1]} ${t[2]}`] };
      if (own(FAMILY, t[1]!)) tables.push(table);
    } else if (c && table) {
      chain = { name: c[1]!, rules: [] };
      table.chains[chain.name] = chain;
    } else if (depth === 2 && chain && table) {
      const base = /\btype filter hook (\S+) priority [^;]+;(?:\s*policy (accept|drop);)?/.exec(line);
      if (base) {
        if (base[1] === 'input') table.entryChains.push(chain.name);
        if (base[2]) {
          chain.policy = base[2] as 'accept' | 'drop';
          chain.policyLine = line;
        }
      } else if (!/^(type|policy|devices|comment) /.test(line) && line !== '}') {
        chain.rules.push(parseNftRule(line));
      }
    }
    depth += opens - closes;
    if (depth <= 1) chain = undefined;
    if (depth <= 0) {
      depth = 0;
      table = undefined;
    }
  }
  return tables;
}

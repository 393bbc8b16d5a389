/**
 * `ufw status verbose` → one table per address family.
 *   Status: active
 *   Default: deny (incoming), allow (outgoing), disabled (routed)
 *   To                         Action      From
 *   --                         ------      ----
 *   6379/tcp                   DENY IN     Anywhere
 *   22/tcp (v6)                ALLOW IN    Anywhere (v6)
 * ufw evaluates its rules in order, first match wins, then the default policy (ufw(8)).
 */
import type { FirewallRule, FirewallTable, FirewallVerdict } from '../../types.js';
import { parsePortList } from './ports.js';

const ACTIONS: Record<string, FirewallVerdict> = { ALLOW: 'accept', LIMIT: 'accept', DENY: 'drop', REJECT: 'reject' };

function parseTo(to: string, rule: FirewallRule): boolean {
  // `Anywhere`, `6379/tcp`, `6379:6390/tcp`, `80,443/tcp`, `6379`, `10.0.0.5 6379/tcp`, `Anywhere on eth0`, an app profile name.
  let rest = to.replace(/\s*\(v6\)/, '').trim();
  const on = / on (\S+)$/.exec(rest);
  if (on) {
    rule.conditions.push(`on ${on[1]}`);
    rest = rest.slice(0, on.index);
  }
  const words = rest.split(/\s+/);
  const last = words[words.length - 1] ?? '';
  const pm = /^([\d,:]+)(?:\/(tcp|udp))?$/.exec(last);
  if (pm) {
    const ports = parsePortList(pm[1]!, /,/, ':');
    if (!ports) return false;
    rule.ports = ports;
    rule.protocol = pm[2] === 'udp' ? 'udp' : pm[2] === 'tcp' ? 'tcp' : 'any';
    if (words.length > 1) rule.conditions.push(`to ${words.slice(0, -1).join(' ')}`);
    return true;
  }
  if (rest === 'Anywhere') return true;
  if (/^[\d.:/a-fA-F]+$/.test(rest)) {
    rule.conditions.push(`to ${rest}`);
    return true;
  }
  // An application profile (`OpenSSH`, `Redis`): its ports are in /etc/ufw/applications.d, unknown here.
  rule.negated = true;
  return true;
}

export function parseUfwStatus(output: string): FirewallTable[] {
  const active = /^Status: active/m.test(output);
  const def = /^Default: (\w+) \(incoming\)/m.exec(output);
  const policy: FirewallVerdict | undefined = def ? (def[1] === 'allow' ? 'accept' : def[1] === 'reject' ? 'reject' : 'drop') : undefined;
  const make = (family: 'ipv4' | 'ipv6'): FirewallTable => ({
    tool: 'ufw',
    family,
    active,
    entryChains: ['ufw'],
    chains: { ufw: { name: 'ufw', rules: [], ...(policy ? { policy, policyLine: def![0] } : {}) } },
    notes: def ? [def[0]] : [],
  });
  const v4 = make('ipv4');
  const v6 = make('ipv6');
  for (const raw of output.split('\n')) {
    const m = /^(.+?)\s{2,}(ALLOW|DENY|REJECT|LIMIT)(?: (IN|OUT|FWD))?\s+(.+?)\s*$/.exec(raw);
    if (!m || (m[3] && m[3] !== 'IN')) continue;
    const rule: FirewallRule = { line: raw.trim().replace(/\s{2,}/g, '  '), action: ACTIONS[m[2]!]!, protocol: 'any', conditions: [] };
    if (!parseTo(m[1]!, rule)) continue;
    const from = m[4]!.replace(/\s*\(v6\)/, '');
    if (from !== 'Anywhere') rule.conditions.push(`from ${from}`);
    const isV6 = /\(v6\)/.test(m[1]!) || /\(v6\)/.test(m[4]!);
    (isV6 ? v6 : v4).chains.ufw!.rules.push(rule);
  }
  return [v4, v6];
}

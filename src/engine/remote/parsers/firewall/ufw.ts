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
import { outputLines } from '../../../shared/lines.js';

const ACTIONS: Record<string, FirewallVerdict> = { ALLOW: 'accept', LIMIT: 'accept', DENY: 'drop', REJECT: 'reject' };

/** Whitespace runs → one space, and `(v6)` dropped: the text the patterns below see has no long run to backtrack over. */
function squeeze(text: string): string {
  return text.replace('(v6)', ' ').replace(/\s+/g, ' ').trim();
}

/**
 * `<to>  <ACTION>[ IN|OUT|FWD]  <from>`: the first ALLOW/DENY/REJECT/LIMIT word after two or more
 * spaces. Found word by word; `^(.+?)\s{2,}(ALLOW|…)(?: (IN|…))?\s+(.+?)\s*$` backtracked over
 * every run of spaces (a quarter of a second for a 3,000-space line).
 */
function splitRow(line: string): { to: string; action: string; direction?: string; from: string } | undefined {
  const word = /\S+/g;
  let prevEnd = -1;
  for (let m = word.exec(line); m; m = word.exec(line)) {
    const gap = prevEnd < 0 ? '' : line.slice(prevEnd, m.index);
    prevEnd = m.index + m[0].length;
    if (gap.length < 2 || !/^(ALLOW|DENY|REJECT|LIMIT)$/.test(m[0])) continue;
    const to = line.slice(0, m.index - gap.length);
    const next = word.exec(line);
    if (!next) return undefined;
    // ` IN` (one space) is the direction when a source follows it; otherwise it is the source.
    if (/^(IN|OUT|FWD)$/.test(next[0]) && next.index === prevEnd + 1) {
      const from = line.slice(next.index + next[0].length).trim();
      if (from !== '') return { to, action: m[0], direction: next[0], from };
    }
    return { to, action: m[0], from: line.slice(next.index).trim() };
  }
  return undefined;
}

function parseTo(to: string, rule: FirewallRule): boolean {
  // `Anywhere`, `6379/tcp`, `6379:6390/tcp`, `80,443/tcp`, `6379`, `10.0.0.5 6379/tcp`, `Anywhere on eth0`, an app profile name.
  let rest = squeeze(to);
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
  for (const raw of outputLines(output)) {
    const row = splitRow(raw);
    if (!row || (row.direction && row.direction !== 'IN') || row.to.trim() === '') continue;
    const rule: FirewallRule = { line: raw.trim().replace(/\s{2,}/g, '  '), action: ACTIONS[row.action]!, protocol: 'any', conditions: [] };
    if (!parseTo(row.to, rule)) continue;
    const from = squeeze(row.from);
    if (from !== 'Anywhere') rule.conditions.push(`from ${from}`);
    const isV6 = row.to.includes('(v6)') || row.from.includes('(v6)');
    (isV6 ? v6 : v4).chains.ufw!.rules.push(rule);
  }
  return [v4, v6];
}

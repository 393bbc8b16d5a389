/**
 * `firewall-cmd --zone=<z> --list-all` for each active zone → one table per zone.
 *   public (active)
 *     target: default
 *     services: dhcpv6-client ssh
 *     ports: 8080/tcp 6380-6390/tcp
 *     rich rules:
 *   	rule family="ipv4" source address="10.0.0.0/8" port port="6379" protocol="tcp" reject
 * A zone's `default` target rejects what no rule allows (firewalld.zone(5)); rich
 * rules that drop or reject are evaluated before the allowing ones (deny before allow).
 */
import type { FirewallRule, FirewallTable, FirewallVerdict } from '../../types.js';
import { parsePortList } from './ports.js';
import { own } from '../../../shared/dict.js';
import { outputLines } from '../../../shared/lines.js';

// firewalld's own service definitions (/usr/lib/firewalld/services/*.xml) for the ports Redis
// uses and for the services default zones carry; any other service "may" cover the port.
const SERVICE_PORTS: Record<string, { protocol: 'tcp' | 'udp'; ports: [number, number][] }> = {
  redis: { protocol: 'tcp', ports: [[6379, 6379]] },
  'redis-sentinel': { protocol: 'tcp', ports: [[26379, 26379]] },
  ssh: { protocol: 'tcp', ports: [[22, 22]] },
  'dhcpv6-client': { protocol: 'udp', ports: [[546, 546]] },
  mdns: { protocol: 'udp', ports: [[5353, 5353]] },
  cockpit: { protocol: 'tcp', ports: [[9090, 9090]] },
  http: { protocol: 'tcp', ports: [[80, 80]] },
  https: { protocol: 'tcp', ports: [[443, 443]] },
};

/**
 * The verdict ends a rich rule: `… accept`, `… reject type="icmp-host-prohibited"`, `… drop limit value="1/m"`.
 * Read from the end, word by word: `\s*(?:limit …)?\s*$` after each verdict word backtracked
 * quadratically over a run of spaces.
 */
function richAction(text: string): FirewallVerdict | undefined {
  const words = text.trim().split(/\s+/);
  if (/^value="[^"]*"$/.test(words[words.length - 1] ?? '') && words[words.length - 2] === 'limit') words.length -= 2;
  if (/^type="[^"]*"$/.test(words[words.length - 1] ?? '')) words.length -= 1;
  const last = words[words.length - 1] ?? '';
  return last === 'accept' || last === 'reject' || last === 'drop' ? last : undefined;
}

function richRule(text: string): FirewallRule | undefined {
  const action = richAction(text);
  if (!action) return undefined;
  const rule: FirewallRule = { line: text.trim(), action, protocol: 'any', conditions: [] };
  const port = /\bport port="([\d-]+)" protocol="(tcp|udp)"/.exec(text);
  const service = /\bservice name="([^"]+)"/.exec(text);
  if (port) {
    const ports = parsePortList(port[1]!, /,/, '-');
    if (ports) rule.ports = ports;
    else rule.negated = true;
    rule.protocol = port[2] as 'tcp' | 'udp';
  } else if (service) {
    const known = own(SERVICE_PORTS, service[1]!);
    if (known) {
      rule.ports = known.ports;
      rule.protocol = known.protocol;
    } else rule.negated = true;
  }
  const source = /\bsource (NOT )?address="([^"]+)"/.exec(text);
  if (source) rule.conditions.push(`source ${source[1] ?? ''}address=${source[2]}`);
  return rule;
}

function zoneTable(zone: string, lines: string[]): FirewallTable {
  const get = (key: string) => lines.find((l) => l.trim().startsWith(`${key}:`))?.trim().slice(key.length + 1).trim() ?? '';
  const target = get('target') || 'default';
  const policy: FirewallVerdict = target === 'ACCEPT' ? 'accept' : target === 'DROP' ? 'drop' : 'reject';
  const deny: FirewallRule[] = [];
  const allow: FirewallRule[] = [];
  const ri = lines.findIndex((l) => l.trim().startsWith('rich rules:'));
  if (ri >= 0) {
    for (const l of lines.slice(ri + 1)) {
      if (!/^\s*rule\b/.test(l)) continue;
      const r = richRule(l);
      if (r) (r.action === 'accept' ? allow : deny).push(r);
    }
  }
  for (const p of get('ports').split(/\s+/).filter(Boolean)) {
    const m = /^([\d-]+)\/(tcp|udp)$/.exec(p);
    const ports = m ? parsePortList(m[1]!, /,/, '-') : undefined;
    if (m && ports) allow.push({ line: `ports: ${p}`, action: 'accept', protocol: m[2] as 'tcp' | 'udp', ports, conditions: [] });
  }
  for (const s of get('services').split(/\s+/).filter(Boolean)) {
    const known = own(SERVICE_PORTS, s);
    // A service whose ports we do not know may cover the port: "may match".
    allow.push(known ? { line: `services: ${s}`, action: 'accept', protocol: known.protocol, ports: known.ports, conditions: [] } : { line: `services: ${s}`, action: 'accept', protocol: 'tcp', conditions: [], negated: true });
  }
  const sources = get('sources');
  const interfaces = get('interfaces');
  return {
    tool: 'firewalld',
    family: 'inet',
    active: true,
    entryChains: [zone],
    chains: { [zone]: { name: zone, policy, policyLine: `zone ${zone} target: ${target}`, rules: [...deny, ...allow] } },
    notes: [`zone ${zone}${interfaces ? ` interfaces: ${interfaces}` : ''}${sources ? ` sources: ${sources}` : ''}`],
  };
}

/** firewall-cmd lists the active zones: a handful. */
const MAX_ZONES = 64;

export function parseFirewalldListAll(output: string): FirewallTable[] {
  const tables: FirewallTable[] = [];
  let zone: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (zone && tables.length < MAX_ZONES) tables.push(zoneTable(zone, lines));
    zone = undefined;
    lines = [];
  };
  for (const raw of outputLines(output)) {
    const head = /^([A-Za-z0-9_-]+)(?: \(([^)]*)\))?\s*$/.exec(raw);
    if (head) {
      flush();
      zone = head[1]!;
      continue;
    }
    if (zone) lines.push(raw);
  }
  flush();
  return tables;
}

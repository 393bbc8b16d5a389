/**
 * `iptables -S` / `ip6tables -S` (filter table, rule-spec form) → the input path.
 *   -P INPUT ACCEPT
 *   -A INPUT -p tcp -m tcp --dport 6379 -j REJECT --reject-with icmp-port-unreachable
 *   -A INPUT -s 10.0.0.0/8 -p tcp -m multiport --dports 7000:7005,6390 -j DROP
 * Matches we cannot evaluate for an unknown client (source, interface, sets …)
 * are kept as conditions: such a rule "may match".
 */
import type { FirewallChain, FirewallRule, FirewallTable, FirewallVerdict } from '../../types.js';
import { parsePortList } from './ports.js';
import { dict, own } from '../../../shared/dict.js';
import { outputLines } from '../../../shared/lines.js';

function tokenize(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2]!);
  return out;
}

const VERDICTS: Record<string, FirewallVerdict> = { ACCEPT: 'accept', DROP: 'drop', REJECT: 'reject' };
// Options that take one argument and do not affect whether a new TCP connection to the port matches.
const IGNORED_WITH_ARG = new Set(['-m', '--comment', '--reject-with', '--log-prefix', '--log-level', '--tcp-flags', '-o', '--out-interface']);
const IGNORED_FLAGS = new Set(['--syn']);
// Module matches we understand well enough (protocol helpers, comments, local destination).
const KNOWN_MODULES = new Set(['tcp', 'udp', 'comment', 'multiport', 'conntrack', 'state', 'addrtype']);

function parseRule(line: string, tokens: string[]): FirewallRule {
  const rule: FirewallRule = { line, action: 'other', protocol: 'any', conditions: [] };
  for (let i = 2; i < tokens.length; i++) {
    let t = tokens[i]!;
    let negated = false;
    if (t === '!') {
      negated = true;
      t = tokens[++i] ?? '';
    }
    const arg = tokens[i + 1];
    switch (t) {
      case '-p':
      case '--protocol': {
        const p = (arg ?? '').toLowerCase();
        rule.protocol = negated ? 'other' : p === 'tcp' || p === '6' ? 'tcp' : p === 'udp' || p === '17' ? 'udp' : p === 'all' || p === '0' ? 'any' : 'other';
        if (negated) rule.conditions.push(`! -p ${arg ?? ''}`);
        i++;
        break;
      }
      case '--dport':
      case '--destination-port':
      case '--dports':
      case '--destination-ports':
      case '--ports': {
        const ports = parsePortList(arg ?? '', /[,]/, ':');
        if (negated || !ports) rule.negated = true;
        else rule.ports = ports;
        i++;
        break;
      }
      case '-i':
      case '--in-interface':
        if (arg === 'lo' && !negated) rule.loopbackOnly = true;
        else rule.conditions.push(`${negated ? '! ' : ''}-i ${arg ?? ''}`);
        i++;
        break;
      case '--ctstate':
      case '--state': {
        const states = (arg ?? '').toUpperCase().split(',');
        if (!negated && !states.includes('NEW')) rule.excludesNew = true;
        else if (negated && states.includes('NEW')) rule.excludesNew = true;
        i++;
        break;
      }
      case '--dst-type':
        if (negated || arg !== 'LOCAL') rule.conditions.push(`${negated ? '! ' : ''}--dst-type ${arg ?? ''}`);
        i++;
        break;
      case '-j':
      case '-g': {
        const target = arg ?? '';
        const verdict = own(VERDICTS, target);
        if (verdict) rule.action = verdict;
        else if (target === 'RETURN') rule.action = 'return';
        else if (/^(LOG|NFLOG|MARK|CONNMARK|CT|NOTRACK|TRACE|AUDIT|CHECKSUM|TCPMSS|SET|ULOG|NFQUEUE)$/.test(target)) rule.action = 'other';
        else {
          rule.action = 'jump';
          rule.jumpTarget = target;
        }
        i++;
        break;
      }
      default:
        if (t === '-m' && arg !== undefined && KNOWN_MODULES.has(arg)) {
          i++;
        } else if (IGNORED_WITH_ARG.has(t) && t !== '-m') {
          i++;
        } else if (IGNORED_FLAGS.has(t)) {
          // matches every new connection attempt
        } else if (t.startsWith('-')) {
          // -s, -d, --sport, -m set --match-set …, -m limit …: may or may not hold for our client.
          const takesArg = arg !== undefined && !arg.startsWith('-');
          rule.conditions.push(`${negated ? '! ' : ''}${t}${takesArg ? ` ${arg}` : ''}`);
          if (takesArg) i++;
        }
    }
  }
  return rule;
}

export function parseIptablesSave(output: string, tool: 'iptables' | 'ip6tables'): FirewallTable {
  const chains = dict<FirewallChain>();
  const chain = (name: string): FirewallChain => (chains[name] ??= { name, rules: [] });
  for (const raw of outputLines(output)) {
    const line = raw.trim();
    const tokens = tokenize(line);
    if (tokens[0] === '-P' && tokens[1] && tokens[2]) {
      const c = chain(tokens[1]);
      const v = own(VERDICTS, tokens[2]);
      if (v) c.policy = v;
      c.policyLine = line;
    } else if (tokens[0] === '-N' && tokens[1]) {
      chain(tokens[1]);
    } else if (tokens[0] === '-A' && tokens[1]) {
      chain(tokens[1]).rules.push(parseRule(line, tokens));
    }
  }
  return {
    tool,
    family: tool === 'iptables' ? 'ipv4' : 'ipv6',
    active: true,
    entryChains: chains.INPUT ? ['INPUT'] : [],
    chains,
    notes: [],
  };
}

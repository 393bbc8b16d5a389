/**
 * What a host firewall does with a new TCP connection to one port from a client
 * we know nothing about (its source address and interface are unknown to us).
 * Pure: rules call it with the parsed tables.
 *
 * Chains are walked in order, first match wins, jumps are followed (bounded),
 * the entry chain's policy applies at the end — iptables(8)/nft(8) semantics.
 * A rule whose extra conditions we cannot evaluate "may match": if it would
 * block and nothing certain decided earlier, the port counts as blocked for
 * the clients it names (`conditional`), and the condition is quoted.
 */
import { portIn } from './parsers/firewall/ports.js';
import type { FirewallRule, FirewallTable, FirewallVerdict } from './types.js';
import { own } from '../shared/dict.js';

export interface PortVerdict {
  tool: FirewallTable['tool'];
  verdict: FirewallVerdict | 'none';
  /** The rule or policy line that decided. */
  line?: string;
  /** The decision holds only for some clients (source, interface …). */
  conditional: boolean;
  /** Rules passed over that might have changed the outcome for some clients. */
  caveats: string[];
}

type Match = 'yes' | 'no' | 'maybe';

function matches(rule: FirewallRule, port: number): Match {
  if (rule.loopbackOnly || rule.excludesNew) return 'no';
  if (rule.protocol === 'udp' || rule.protocol === 'other') return 'no';
  if (rule.ports && !portIn(rule.ports, port)) return 'no';
  if (rule.negated || rule.conditions.length > 0) return 'maybe';
  return 'yes';
}

interface Walk {
  verdict?: FirewallVerdict;
  line?: string;
  conditional: boolean;
  maybeBlock?: FirewallRule;
  caveats: string[];
}

const MAX_DEPTH = 16;

function walk(table: FirewallTable, chainName: string, port: number, state: Walk, depth: number, viaMaybe: boolean): 'decided' | 'return' {
  const chain = own(table.chains, chainName);
  if (!chain || depth > MAX_DEPTH) return 'return';
  for (const rule of chain.rules) {
    const m = matches(rule, port);
    if (m === 'no') continue;
    const maybe = m === 'maybe' || viaMaybe;
    if (rule.action === 'accept' || rule.action === 'drop' || rule.action === 'reject') {
      if (!maybe) {
        state.verdict = rule.action;
        state.line = rule.line;
        return 'decided';
      }
      if (rule.action === 'accept') state.caveats.push(rule.line);
      else state.maybeBlock ??= rule;
    } else if (rule.action === 'jump' && rule.jumpTarget) {
      if (walk(table, rule.jumpTarget, port, state, depth + 1, maybe) === 'decided') return 'decided';
    } else if (rule.action === 'return' && !maybe) {
      return 'return';
    }
  }
  return 'return';
}

export function verdictForPort(table: FirewallTable, port: number): PortVerdict {
  const result: PortVerdict = { tool: table.tool, verdict: 'none', conditional: false, caveats: [] };
  if (!table.active) return result;
  // Every entry chain must let the packet through (nft base chains on the same hook).
  for (const entry of table.entryChains) {
    const state: Walk = { conditional: false, caveats: [] };
    if (walk(table, entry, port, state, 0, false) !== 'decided') {
      const chain = own(table.chains, entry);
      if (chain?.policy) {
        state.verdict = chain.policy;
        state.line = chain.policyLine ?? `policy ${chain.policy}`;
      }
    }
    const blocked = state.verdict === 'drop' || state.verdict === 'reject';
    if (!blocked && state.maybeBlock) {
      result.verdict = state.maybeBlock.action as FirewallVerdict;
      result.line = state.maybeBlock.line;
      result.conditional = true;
      result.caveats = state.caveats;
      return result;
    }
    if (blocked) {
      result.verdict = state.verdict!;
      result.line = state.line;
      result.conditional = state.caveats.length > 0;
      result.caveats = state.caveats;
      return result;
    }
    if (state.verdict === 'accept' && result.verdict === 'none') {
      result.verdict = 'accept';
      result.line = state.line;
    }
  }
  return result;
}

/** The tables that apply to a target address family. */
export function tablesForFamily(tables: FirewallTable[], family: 4 | 6): FirewallTable[] {
  return tables.filter((t) => t.family === 'inet' || t.family === (family === 4 ? 'ipv4' : 'ipv6'));
}

/**
 * An `iptables -S` rule line as shell words we are willing to print after
 * `sudo iptables`: the line is tokenized the way iptables-save quotes (double
 * quotes with backslash escapes, nothing else), every option must be one we
 * know with arguments of that option's grammar, and the command is re-emitted
 * from the validated tokens only (free text — comments, log prefixes — single-
 * quoted). A line that fails anywhere yields no command at all: the host's
 * output may be forged (issue #16, item 5), and "delete this rule" must never
 * carry anything but a rule.
 */
import net from 'node:net';
import { isPrintableAscii, isSafeChainName, quoteValue } from './shell-words.js';

const MAX_LINE = 2048;
const MAX_TOKENS = 96;

/** Splits on spaces; `"…"` with `\"` and `\\` is one token. A quote inside a bare word, or an open quote, fails. */
export function tokenizeRuleLine(line: string): string[] | undefined {
  if (!isPrintableAscii(line, MAX_LINE)) return undefined;
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ') {
      i++;
      continue;
    }
    if (out.length >= MAX_TOKENS) return undefined;
    let word = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return undefined;
        const c = line[i]!;
        if (c === '"') break;
        if (c === '\\' && i + 1 < line.length) i++;
        word += line[i];
        i++;
      }
      i++;
      if (i < line.length && line[i] !== ' ') return undefined;
    } else {
      while (i < line.length && line[i] !== ' ') {
        if (line[i] === '"') return undefined;
        word += line[i];
        i++;
      }
    }
    out.push(word);
  }
  return out;
}

type Arg = (value: string) => string | undefined;

/** A value of a fixed character class, printed as is (no class below holds a shell character). */
const pattern = (re: RegExp, max = 64): Arg => (v) => (v.length <= max && re.test(v) ? v : undefined);

function portSpec(v: string): boolean {
  const parts = v.split(':');
  return parts.length <= 2 && parts.every((p) => /^\d{1,5}$/.test(p) && Number(p) <= 65535);
}

const PORT: Arg = (v) => (v.length <= 11 && portSpec(v) ? v : undefined);
const PORTS: Arg = (v) => {
  const items = v.length <= 128 ? v.split(',') : [];
  return items.length > 0 && items.length <= 15 && items.every(portSpec) ? v : undefined;
};
/** An address with an optional prefix length or dotted mask, as iptables -S prints -s/-d. */
const ADDRESS: Arg = (v) => {
  if (v.length > 96) return undefined;
  const [addr = '', mask, extra] = v.split('/');
  if (extra !== undefined || !net.isIP(addr) || !/^[0-9A-Fa-f.:]+$/.test(addr)) return undefined;
  if (mask !== undefined && !(/^\d{1,3}$/.test(mask) && Number(mask) <= 128) && net.isIP(mask) !== 4) return undefined;
  return v;
};
const STATES = new Set(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'SNAT', 'DNAT']);
const STATE: Arg = (v) => (v.length <= 64 && v.split(',').every((s) => STATES.has(s)) ? v : undefined);
const CHAIN: Arg = (v) => (isSafeChainName(v) ? v : undefined);
const TEXT: Arg = (v) => (v.length > 0 ? quoteValue(v) : "''");
const NUMBER = pattern(/^\d{1,10}$/);

/** Options of the rules iptables -S prints for the input path, each with the grammar of its arguments. */
const OPTIONS: Record<string, Arg[]> = Object.assign(Object.create(null) as Record<string, Arg[]>, {
  '-p': [pattern(/^[a-z0-9-]+$/, 16)],
  '-s': [ADDRESS],
  '-d': [ADDRESS],
  '-i': [pattern(/^[A-Za-z0-9_.:@+][A-Za-z0-9_.:@+-]*$/, 15)],
  '-o': [pattern(/^[A-Za-z0-9_.:@+][A-Za-z0-9_.:@+-]*$/, 15)],
  '-m': [pattern(/^[a-z0-9_]+$/, 29)],
  '-f': [],
  '-j': [CHAIN],
  '-g': [CHAIN],
  '--dport': [PORT],
  '--sport': [PORT],
  '--dports': [PORTS],
  '--sports': [PORTS],
  '--ports': [PORTS],
  '--ctstate': [STATE],
  '--state': [STATE],
  '--syn': [],
  '--tcp-flags': [pattern(/^[A-Z,]+$/), pattern(/^[A-Z,]+$/)],
  '--tcp-option': [NUMBER],
  '--icmp-type': [pattern(/^[a-z0-9/-]+$/, 32)],
  '--icmpv6-type': [pattern(/^[a-z0-9/-]+$/, 32)],
  '--src-type': [pattern(/^[A-Z_,]+$/)],
  '--dst-type': [pattern(/^[A-Z_,]+$/)],
  '--limit-iface-in': [],
  '--limit-iface-out': [],
  '--comment': [TEXT],
  '--match-set': [pattern(/^[A-Za-z0-9_.:][A-Za-z0-9_.:-]*$/, 31), pattern(/^(src|dst)(,(src|dst)){0,5}$/, 32)],
  '--limit': [pattern(/^\d{1,9}\/(sec|second|min|minute|hour|day|s|m|h|d)$/)],
  '--limit-burst': [NUMBER],
  '--mark': [pattern(/^0x[0-9a-fA-F]{1,8}(\/0x[0-9a-fA-F]{1,8})?$/, 24)],
  '--uid-owner': [pattern(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 32)],
  '--gid-owner': [pattern(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 32)],
  '--reject-with': [pattern(/^[a-z0-9-]+$/, 32)],
  '--log-prefix': [TEXT],
  '--log-level': [pattern(/^[a-z0-9]+$/, 10)],
});

/**
 * The words after `-A` of a rule line, validated and ready to print (`<chain> <option> <value> …`),
 * or undefined when any word falls outside the grammar.
 */
export function validatedRuleWords(line: string): { chain: string; words: string[] } | undefined {
  const tokens = tokenizeRuleLine(line);
  if (!tokens || tokens[0] !== '-A' || tokens.length < 3) return undefined;
  const chain = tokens[1]!;
  if (!isSafeChainName(chain)) return undefined;
  const words: string[] = [];
  for (let i = 2; i < tokens.length; ) {
    let option = tokens[i]!;
    if (option === '!') {
      words.push('!');
      option = tokens[++i] ?? '';
    }
    const args = Object.prototype.hasOwnProperty.call(OPTIONS, option) ? OPTIONS[option]! : undefined;
    if (!args) return undefined;
    words.push(option);
    i++;
    for (const arg of args) {
      const value = tokens[i];
      const safe = value === undefined ? undefined : arg(value);
      if (safe === undefined) return undefined;
      words.push(safe);
      i++;
    }
  }
  return { chain, words };
}

/** `sudo iptables -D <chain> …` for the rule, re-emitted from validated words; undefined if the line fails the grammar. */
export function iptablesDeleteCommand(tool: 'iptables' | 'ip6tables', line: string): string | undefined {
  const rule = validatedRuleWords(line);
  return rule ? ['sudo', tool, '-D', rule.chain, ...rule.words].join(' ') : undefined;
}

/**
 * Host and server text that a remediation step puts into a command a human
 * will paste (often with sudo). Everything a host prints over SSH or a server
 * replies is hostile: a compromised login can read the section marker from
 * stdin and forge any section (issue #16, item 5), and a server picks its own
 * replica addresses, Sentinel master names and `dir`. So a value reaches a
 * command only when it passes a strict grammar for its field, or quoted as one
 * POSIX shell word; otherwise the step names what to look for instead
 * (callers get `undefined` and fall back to a placeholder).
 *
 * Every check caps the length first, then tests one anchored character class
 * (no nested quantifiers): linear time on any input.
 */
import net from 'node:net';

/** Longest value put into a command (PATH_MAX-like values are refused, not cut). */
export const MAX_ARG_LENGTH = 256;

/**
 * Printable ASCII only: a newline or other control character ends or hides a
 * command, non-ASCII can reorder what the reader sees (U+202E) or look like ASCII.
 */
export function isPrintableAscii(text: string, max = MAX_ARG_LENGTH): boolean {
  if (text.length === 0 || text.length > max) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Characters with no meaning to a POSIX shell (nor to bash history or brace expansion) in any position.
const PLAIN_WORD = /^[A-Za-z0-9_.@%+=:,/-]+$/;

/**
 * One shell word for an option's value (after an option that takes an argument,
 * a leading `-` is data): as is when plain, else single-quoted, `'` as `'\''`.
 */
export function quoteValue(word: string, max = MAX_ARG_LENGTH): string | undefined {
  if (!isPrintableAscii(word, max)) return undefined;
  return PLAIN_WORD.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** One shell word in a positional place: as quoteValue, and never starting with `-` (quotes do not stop option parsing). */
export function quoteArg(word: string, max = MAX_ARG_LENGTH): string | undefined {
  return word.startsWith('-') ? undefined : quoteValue(word, max);
}

/** Absolute path of plain characters: no quotes, spaces, `$`, backticks, globs or `..` segments. */
const SAFE_PATH_RE = /^\/[A-Za-z0-9._+@%=,/-]{0,254}$/;

export function isSafeAbsolutePath(path: string): boolean {
  return SAFE_PATH_RE.test(path) && !path.split('/').includes('..') && !path.includes('//');
}

/**
 * An absolute path as one shell word. Redis accepts any `dir` (spaces included), so a path
 * outside the plain grammar is single-quoted rather than refused, as long as it is printable ASCII.
 */
export function quotePath(path: string): string | undefined {
  if (!path.startsWith('/')) return undefined;
  return isSafeAbsolutePath(path) ? path : quoteValue(path, 4096);
}

/**
 * A systemd unit name (systemd.unit(5): ASCII letters, digits, ":", "-", "_", ".", "\", one "@"
 * for instances; at most 255 characters). The `\x2d` escapes are refused: a backslash is shell syntax.
 */
export function isSafeUnitName(name: string): boolean {
  if (name.length > 255 || !/^[A-Za-z0-9_:.@-]+$/.test(name)) return false;
  return !name.startsWith('-') && !name.startsWith('.') && name.indexOf('@') === name.lastIndexOf('@');
}

/** A Docker container name (the daemon's own pattern `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, one leading `/` as `docker ps` may show it) or id. */
export function isSafeContainerName(name: string): boolean {
  return name.length <= 128 && /^\/?[A-Za-z0-9][A-Za-z0-9_.-]+$/.test(name);
}

/** An image reference as `docker ps` prints it: registry/name:tag or name@sha256:digest. */
export function isSafeImageRef(ref: string): boolean {
  return ref.length <= 255 && /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/.test(ref);
}

/** A Kubernetes namespace or Service name: an RFC 1123 label (lower case, digits, `-` inside, at most 63). */
export function isSafeK8sName(name: string): boolean {
  return name.length <= 63 && /^[a-z0-9-]+$/.test(name) && !name.startsWith('-') && !name.endsWith('-');
}

/** A local account name (useradd's NAME_REGEX, upper case allowed). */
export function isSafeUserName(name: string): boolean {
  return name.length <= 32 && /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name);
}

/** An iptables chain or jump target: at most 28 characters (XT_EXTENSION_MAXNAMELEN − 1), no leading `-` or `!`. */
export function isSafeChainName(name: string): boolean {
  return name.length <= 28 && /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name);
}

/** A TCP port as text or number: 1–65535. */
export function isSafePort(port: string | number): boolean {
  const n = typeof port === 'number' ? port : /^\d{1,5}$/.test(port) ? Number(port) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** An IP literal or a DNS name (letters, digits, `-`, `_`, dots; no leading `-`), as a host argument. */
export function isSafeHost(host: string): boolean {
  if (host.length > 253 || host.startsWith('-')) return false;
  if (net.isIP(host)) return /^[A-Za-z0-9_.:%-]+$/.test(host);
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(host) && !host.includes('..');
}

/**
 * A Redis-side name that also appears inside client code examples (Sentinel master names):
 * the characters a config file writer uses, nothing a shell, Python or Java string reads.
 */
export function isSafeRedisName(name: string): boolean {
  return name.length <= 128 && /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/.test(name);
}

/** An nftables table as `nft list ruleset` heads it: `[table ]<family> <name>`. */
export function safeNftTable(table: string): string | undefined {
  const m = /^(?:table )?(ip|ip6|inet|arp|bridge|netdev) ([A-Za-z0-9_.-]{1,64})$/.exec(table.length <= 80 ? table : '');
  return m && !m[2]!.startsWith('-') ? `${m[1]} ${m[2]}` : undefined;
}

/**
 * Firewall rule text (nft, ufw, firewalld) that could be a real rule: printable ASCII and,
 * outside double-quoted strings (comments, rich-rule attributes), none of the characters
 * that only shell text has (`;`, `|`, `&`, `$`, backtick, backslash).
 */
export function isPlausibleRuleText(line: string): boolean {
  if (!isPrintableAscii(line, 1024)) return false;
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && ';|&$`\\'.includes(c)) return false;
  }
  return !quoted;
}

/**
 * Server-named text (a node label, an announced address) shown in a step's prose next to
 * commands: kept when it is printable ASCII without shell syntax, so nothing in a step can
 * be mistaken for, or pasted as, part of a command; otherwise the placeholder.
 */
export function inertText(text: string | undefined, placeholder: string, max = 200): string {
  if (text === undefined || !isPrintableAscii(text, max) || text.startsWith('-')) return placeholder;
  for (const c of text) if (";|&$`\\'<>".includes(c)) return placeholder;
  return text;
}

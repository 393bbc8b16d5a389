/**
 * Parsing of the `<target>` argument (INTERFACES.md section 1).
 *
 * Accepted:
 *   redis://[user[:password]@]host[:port][/db]   rediss://…  (TLS)
 *   host[:port]    [ipv6]:port    (port defaults to 6379)
 *   a bare name    [a-z0-9][a-z0-9-]*   → looked up in the config file
 *
 * Everything else is refused before anything is probed. The checks are
 * deliberately strict: a target string ends up in logs, Slack messages and
 * (as a host name) in resolver calls, so only host names, IP literals and
 * ports pass.
 */
import { isIP } from 'node:net';
import { CodedError } from '../../util/errors.js';

export const DEFAULT_PORT = 6379;

export interface ParsedAddress {
  kind: 'address';
  host: string;
  port: number;
  tls: boolean;
  user?: string;
  /** Only from a redis:// URL; the caller must keep it out of every output. */
  password?: string;
  db?: number;
}

export interface ParsedName {
  kind: 'name';
  name: string;
}

export type ParsedTarget = ParsedAddress | ParsedName;

export class TargetError extends CodedError {
  override name = 'TargetError';
  constructor(message: string) {
    super('target', message);
  }
}

const NAME_RE = /^[a-z0-9][a-z0-9-]*$/;
// RFC 1123 host name: labels of letters, digits and hyphens, not starting or ending with a hyphen.
const LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
// Characters that have no business in a target; named in the error so the user sees what was refused.
const FORBIDDEN_RE = /[\s;&|`$<>(){}'"\\!*?~^#,]/;

export function isValidTargetName(name: string): boolean {
  return NAME_RE.test(name) && name.length <= 63;
}

export function isValidHostname(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const trimmed = host.endsWith('.') ? host.slice(0, -1) : host;
  return trimmed.split('.').every((label) => LABEL_RE.test(label));
}

function parsePort(text: string, input: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new TargetError(`invalid port "${text}" in target "${input}": expected a number from 1 to 65535`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new TargetError(`invalid port ${port} in target "${input}": expected a number from 1 to 65535`);
  return port;
}

function checkHost(host: string, input: string): string {
  if (host.length === 0) throw new TargetError(`empty host in target "${input}"`);
  if (isIP(host) === 4) return host;
  if (isIP(host) === 6) return host;
  if (!isValidHostname(host)) throw new TargetError(`invalid host "${host}" in target "${input}"`);
  return host.toLowerCase();
}

/** Printable form of the input for error messages: control characters escaped, length capped. */
export function printable(input: string): string {
  const escaped = JSON.stringify(input.length > 120 ? `${input.slice(0, 120)}…` : input);
  return escaped.slice(1, -1);
}

/** Percent-decoding that reports a malformed escape ("%zz") as bad input rather than a URIError. */
function decodePart(text: string, what: string, input: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new TargetError(`malformed percent-encoding in the ${what} of target "${redactUrl(input)}"`);
  }
}

function parseUrl(input: string): ParsedAddress {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    // WHATWG URL refuses ports above 65535 without saying so; name the port.
    const port = /^rediss?:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/]*):(\d+)(?:\/|$)/i.exec(input)?.[1];
    if (port !== undefined) parsePort(port, redactUrl(input));
    throw new TargetError(`malformed URL target "${redactUrl(input)}"`);
  }
  const tls = url.protocol === 'rediss:';
  // Shown without what follows "?" or "#": a query string may carry a password (?password=…).
  if (url.search || url.hash) throw new TargetError(`query strings and fragments are not supported in target "${redactUrl(input.replace(/[?#].*$/s, ''))}?…"`);
  // WHATWG URL keeps IPv6 literals in brackets.
  const rawHost = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (rawHost.length === 0) throw new TargetError(`empty host in target "${redactUrl(input)}"`);
  const host = checkHost(decodePart(rawHost, 'host', input), redactUrl(input));
  const port = url.port === '' ? DEFAULT_PORT : parsePort(url.port, redactUrl(input));
  const result: ParsedAddress = { kind: 'address', host, port, tls };
  if (url.username) {
    const user = decodePart(url.username, 'user name', input);
    if (!/^[\x21-\x7e]+$/.test(user)) throw new TargetError(`invalid user name in target "${redactUrl(input)}"`);
    result.user = user;
  }
  if (url.password) result.password = decodePart(url.password, 'password', input);
  const path = url.pathname;
  if (path && path !== '/') {
    const dbText = path.slice(1);
    if (!/^\d{1,5}$/.test(dbText)) throw new TargetError(`invalid database "${printable(dbText)}" in target "${redactUrl(input)}": expected a number`);
    result.db = Number(dbText);
  }
  return result;
}

/**
 * Where the password of a redis:// URL sits in the text as typed (still
 * %-encoded): from the first ":" after the scheme to the LAST "@" of the
 * input, when the ":" comes first. For every URL parseTarget accepts this is
 * the password WHATWG URL finds (a literal "@" in "redis://:a@b@host" belongs
 * to the password); for malformed input ("redis://:a/b@host") it hides more
 * rather than less, which is what error messages need.
 */
function urlPasswordSpan(input: string): { start: number; end: number } | undefined {
  const scheme = /^\s*rediss?:\/\//i.exec(input);
  if (!scheme) return undefined;
  const colon = input.indexOf(':', scheme[0].length);
  const at = input.lastIndexOf('@');
  if (colon === -1 || at === -1 || colon > at) return undefined;
  return { start: colon + 1, end: at };
}

/** The URL password exactly as typed (not decoded), or undefined; for redactors that must know every form. */
export function typedUrlPassword(input: string): string | undefined {
  const span = urlPasswordSpan(input);
  return span && span.end > span.start ? input.slice(span.start, span.end) : undefined;
}

/** The input with any URL password replaced by <redacted>. */
export function hideUrlPassword(input: string): string {
  const span = urlPasswordSpan(input);
  return span ? `${input.slice(0, span.start)}<redacted>${input.slice(span.end)}` : input;
}

/** The input with any URL password replaced, printable: safe for error messages. */
export function redactUrl(input: string): string {
  return printable(hideUrlPassword(input));
}

export function parseTarget(raw: string): ParsedTarget {
  const input = raw.trim();
  if (input.length === 0) throw new TargetError('empty target: give host[:port], redis://host[:port] or a target name');
  if (input.length > 512) throw new TargetError('target is too long');
  if (/^rediss?:\/\//i.test(input)) {
    if (/[\s\x00-\x1f\x7f]/.test(input)) throw new TargetError(`target "${redactUrl(input)}" contains spaces or control characters`);
    return parseUrl(input);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    throw new TargetError(`unsupported scheme in target "${printable(input)}": use redis:// or rediss://`);
  }
  const bad = FORBIDDEN_RE.exec(input) ?? /[\x00-\x1f\x7f]/.exec(input);
  if (bad) throw new TargetError(`target "${printable(input)}" contains a character that is not allowed: ${JSON.stringify(bad[0])}`);
  // Node's isIP() accepts IPv6 zone ids (fe80::1%eth0); the bracketed form below does not, and a zone
  // names an interface of whichever machine parses it: refused in every form, alike everywhere.
  if (input.includes('%')) throw new TargetError(`target "${printable(input)}" has an IPv6 zone id (%…), which is not supported: use a global address`);

  // [ipv6]:port or [ipv6]
  if (input.startsWith('[')) {
    const m = /^\[([0-9A-Fa-f:.]+)\](?::(.*))?$/.exec(input);
    if (!m || isIP(m[1] ?? '') !== 6) throw new TargetError(`invalid IPv6 target "${printable(input)}": expected [address]:port`);
    const port = m[2] === undefined ? DEFAULT_PORT : parsePort(m[2], input);
    return { kind: 'address', host: m[1]!, port, tls: false };
  }
  // A bare IPv6 literal without brackets is ambiguous with host:port; accept it only without a port.
  if (isIP(input) === 6) return { kind: 'address', host: input, port: DEFAULT_PORT, tls: false };

  const colon = input.lastIndexOf(':');
  if (colon >= 0) {
    const hostPart = input.slice(0, colon);
    if (hostPart.includes(':')) throw new TargetError(`invalid target "${printable(input)}": write IPv6 addresses as [address]:port`);
    return { kind: 'address', host: checkHost(hostPart, input), port: parsePort(input.slice(colon + 1), input), tls: false };
  }
  // A single label without a port is a config name ("cache-prod"); "localhost"
  // is the one single-label host everybody types, so it stays a host.
  // Any other single-label host is reachable as "redis:6379".
  if (input === 'localhost' || input.includes('.') || isIP(input) === 4) {
    return { kind: 'address', host: checkHost(input, input), port: DEFAULT_PORT, tls: false };
  }
  if (isValidTargetName(input)) return { kind: 'name', name: input };
  throw new TargetError(`invalid target "${printable(input)}": expected host[:port], redis://host[:port] or a target name`);
}

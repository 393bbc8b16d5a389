/**
 * OpenSSH known_hosts matching (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 *
 *   [@marker] hostpatterns keytype base64-key [comment]
 *
 * - host patterns are comma-separated, may use `*` and `?`, and `!pattern` negates;
 * - a host on a port other than 22 is looked up as `[host]:port`;
 * - hashed entries are `|1|base64(salt)|base64(HMAC-SHA1(salt, lookup-name))`;
 * - `@revoked` keys are refused outright; `@cert-authority` lines sign host
 *   certificates, which we do not accept, so they never vouch for a plain key.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { HostKeyStatus } from './types.js';

export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  patterns: string[];
  keyType: string;
  key: Buffer;
}

export interface HostKeyCheck {
  status: Exclude<HostKeyStatus, 'not-checked'>;
  /** The matching line, or the first line that lists the host with a different key. */
  line?: number;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return; // unknown marker: OpenSSH ignores the line
    }
    const [hosts, keyType, keyB64] = fields;
    if (!hosts || !keyType || !keyB64 || !/^[A-Za-z0-9+/]+=*$/.test(keyB64)) return;
    const key = Buffer.from(keyB64, 'base64');
    // The blob starts with its own type name; a line whose type disagrees is corrupt.
    if (blobType(key) !== keyType) return;
    const entry: KnownHostEntry = { line: i + 1, patterns: hosts.split(','), keyType, key };
    if (marker) entry.marker = marker;
    entries.push(entry);
  });
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function lookupName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function hashedMatches(pattern: string, name: string): boolean {
  const parts = pattern.split('|');
  // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1' || !parts[2] || !parts[3]) return false;
  const salt = Buffer.from(parts[2], 'base64');
  const want = Buffer.from(parts[3], 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Does one entry's host list name this host? Negations veto, as in OpenSSH's match_hostname. */
export function entryMatchesHost(entry: KnownHostEntry, name: string): boolean {
  let positive = false;
  for (const pattern of entry.patterns) {
    if (pattern.startsWith('|')) {
      if (hashedMatches(pattern, name)) positive = true;
      continue;
    }
    const negated = pattern.startsWith('!');
    const p = negated ? pattern.slice(1) : pattern;
    if (globToRegExp(p).test(name)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

/** Checks a presented host key blob (SSH wire format) against the entries for host:port. */
export function checkHostKey(entries: KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyCheck {
  const name = lookupName(host, port);
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && entryMatchesHost(e, name));
  // A revoked key is refused whichever host it is listed for (OpenSSH checks @revoked first).
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', line: revoked.line };
  const match = forHost.find((e) => e.marker === undefined && e.key.equals(key));
  if (match) return { status: 'match', line: match.line };
  const listed = forHost.find((e) => e.marker === undefined);
  if (listed) return { status: 'mismatch', line: listed.line };
  return { status: 'unknown-host' };
}

/**
 * Host key algorithms to offer, in the order OpenSSH prefers: the key types
 * known_hosts lists for this host. Offering only those makes the server present
 * a key we can compare, instead of one of another type that we would call a mismatch.
 */
export function hostKeyAlgorithmsFor(entries: KnownHostEntry[], host: string, port: number): string[] {
  const name = lookupName(host, port);
  const out: string[] = [];
  for (const e of entries) {
    if (e.marker !== undefined || !entryMatchesHost(e, name)) continue;
    // An RSA key blob is `ssh-rsa`; RFC 8332 signs it with rsa-sha2-512/256, preferred over SHA-1.
    const algos = e.keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [e.keyType];
    for (const a of algos) if (SUPPORTED_HOST_KEY_ALGOS.has(a) && !out.includes(a)) out.push(a);
  }
  return out;
}

const SUPPORTED_HOST_KEY_ALGOS = new Set([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
]);

/** The type name at the start of an SSH public key blob (uint32 length + string). */
export function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return undefined;
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** `SHA256:…` as `ssh-keygen -lf` prints it (base64, no padding). */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

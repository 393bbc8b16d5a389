/**
 * What a remediation's steps are parametrised with: the real host, port and
 * user of the diagnosed target — never its password. Commands that need a
 * password use `--askpass` (redis-cli prompts) or the `$REDIS_PASSWORD`
 * placeholder, so a step is safe to print, post and store.
 */
import { urlHost } from '../shared/address.js';
import { isSafeHost, quoteValue } from '../shared/shell-words.js';
import type { Observations } from '../model/types.js';

export interface FixTarget {
  /** Host as the user named it (a name or an IP literal). */
  host: string;
  port: number;
  tls: boolean;
  user?: string;
  /** The client sent credentials: redis-cli lines get --askpass. */
  authProvided: boolean;
  /** The address the TCP step used, when known (the server's interface address for `bind`). */
  address?: string;
  /** The database the client selects, when not 0: part of the URL the client should use. */
  db?: number;
}

export function fixTarget(obs: Observations): FixTarget {
  const t: FixTarget = {
    host: obs.target.host,
    port: obs.target.port,
    tls: obs.target.tls,
    authProvided: obs.client.authProvided,
  };
  const user = obs.client.user ?? obs.target.user;
  if (user) t.user = user;
  if (obs.tcp?.address) t.address = obs.tcp.address;
  if (obs.target.db) t.db = obs.target.db;
  return t;
}

/**
 * Quotes a word for a POSIX shell line a human will paste. Text no quoting makes safe to
 * paste (control characters, non-ASCII, overlong) becomes the placeholder instead.
 */
export function shellWord(word: string, placeholder = '<value>'): string {
  return quoteValue(word) ?? placeholder;
}

/**
 * The diagnosed target moved to a host:port a server or host named (a replica's primary, an
 * announced address): such a host reaches commands only when it is an IP literal or a DNS name;
 * anything else becomes the placeholder <host>, and the evidence quotes what was named.
 */
export function fixTargetAt(t: FixTarget, host: string, port: number): FixTarget {
  const safe = isSafeHost(host) ? host : '<host>';
  return { ...t, host: safe, port, address: safe };
}

/** A host a server named, for a command: the host itself when it passes isSafeHost, else undefined. */
export function safeHost(host: string | undefined): string | undefined {
  return host !== undefined && isSafeHost(host) ? host : undefined;
}

/** `redis-cli -h <host> -p <port>` as the client would connect, plus TLS and credential prompts. */
export function cli(t: FixTarget): string {
  const parts = ['redis-cli', '-h', isSafeHost(t.host) ? t.host : '<host>', '-p', String(t.port)];
  if (t.tls) parts.push('--tls');
  if (t.user) parts.push('--user', shellWord(t.user, '<user>'));
  if (t.authProvided) parts.push('--askpass');
  return parts.join(' ');
}

/**
 * redis-cli on the Redis host itself, over loopback: the one place protected
 * mode always lets a client in ("connections are only accepted from the
 * loopback interface"), and where bind 127.0.0.1 still answers.
 */
export function localCli(t: FixTarget, opts: { auth?: boolean } = {}): string {
  const parts = ['redis-cli', '-p', String(t.port)];
  if (t.tls) parts.push('--tls');
  if (opts.auth ?? t.authProvided) parts.push('--askpass');
  return parts.join(' ');
}

/** The URL a client should use, with a password placeholder when one is needed. */
export function url(t: FixTarget, opts: { port?: number; tls?: boolean; auth?: boolean } = {}): string {
  const scheme = (opts.tls ?? t.tls) ? 'rediss' : 'redis';
  const auth = opts.auth ?? t.authProvided;
  const userinfo = auth ? `${t.user ? encodeURIComponent(t.user) : ''}:<password>@` : '';
  const host = isSafeHost(t.host) ? urlHost(t.host) : '<host>';
  return `${scheme}://${userinfo}${host}:${opts.port ?? t.port}${t.db ? `/${t.db}` : ''}`;
}

export const RERUN = 'Run the diagnosis again';

export function rerun(t: FixTarget, expect: string): string {
  return `${RERUN} (redis-doctor diagnose ${url(t, { auth: false })}): ${expect}`;
}

/**
 * What a remediation's steps are parametrised with: the real host, port and
 * user of the diagnosed target — never its password. Commands that need a
 * password use `--askpass` (redis-cli prompts) or the `$REDIS_PASSWORD`
 * placeholder, so a step is safe to print, post and store.
 */
import { urlHost } from '../shared/address.js';
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

// Host names and IPs are validated by parseTarget; a user name may hold any printable ASCII.
const SHELL_SAFE = /^[A-Za-z0-9_.@%+=:,/-]+$/;

/** Quotes a word for a POSIX shell line a human will paste. */
export function shellWord(word: string): string {
  return SHELL_SAFE.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `redis-cli -h <host> -p <port>` as the client would connect, plus TLS and credential prompts. */
export function cli(t: FixTarget): string {
  const parts = ['redis-cli', '-h', shellWord(t.host), '-p', String(t.port)];
  if (t.tls) parts.push('--tls');
  if (t.user) parts.push('--user', shellWord(t.user));
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
  return `${scheme}://${userinfo}${urlHost(t.host)}:${opts.port ?? t.port}${t.db ? `/${t.db}` : ''}`;
}

export const RERUN = 'Run the diagnosis again';

export function rerun(t: FixTarget, expect: string): string {
  return `${RERUN} (redis-doctor diagnose ${url(t, { auth: false })}): ${expect}`;
}

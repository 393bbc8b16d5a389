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
  /** INFO server `config_file`: '' when the server runs without one; absent when INFO was not read. */
  configFile?: string;
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
  const configFile = obs.info?.sections.server?.config_file;
  // Outside text: only a plain absolute path is quoted in a step; anything else counts as "has a file".
  if (configFile !== undefined) t.configFile = configFile === '' ? '' : /^\/[A-Za-z0-9._+@%=,/-]{1,255}$/.test(configFile) ? configFile : '<config file>';
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
 * How to keep a CONFIG SET across restarts. CONFIG REWRITE rewrites the file the server was
 * started with; without one (INFO server config_file empty) it fails with "ERR The server is
 * running without a config file", so the setting goes where the server is started instead.
 * `directive` is the redis.conf line (`maxclients 20000`); on a command line it is `--maxclients 20000`.
 */
export function keepSetting(t: FixTarget, redisCli: string, directive: string): string {
  if (t.configFile === '') {
    return `Keep it across restarts: this server runs without a config file (INFO server config_file is empty), so CONFIG REWRITE would fail — add --${directive} where it is started: its redis-server command line, the container's command (docker run … redis-server --${directive}, or command: in compose/Kubernetes), or the service's ExecStart (sudo systemctl edit redis-server).`;
  }
  const file = t.configFile ?? '/etc/redis/redis.conf';
  return `Keep it across restarts: ${redisCli} CONFIG REWRITE (rewrites ${t.configFile ?? 'the config file the server was started with'}), or ${directive} in ${file}.`;
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
/** `port` may be a placeholder (`<port>`) when the right one is not known: never the port that refused. */
export function url(t: FixTarget, opts: { port?: number | string; tls?: boolean; auth?: boolean } = {}): string {
  const scheme = (opts.tls ?? t.tls) ? 'rediss' : 'redis';
  const auth = opts.auth ?? t.authProvided;
  const userinfo = auth ? `${t.user ? encodeURIComponent(t.user) : ''}:<password>@` : '';
  const host = isSafeHost(t.host) ? urlHost(t.host) : '<host>';
  return `${scheme}://${userinfo}${host}:${opts.port ?? t.port}${t.db ? `/${t.db}` : ''}`;
}

export const RERUN = 'Run the diagnosis again';

export function rerun(t: FixTarget, expect: string, opts: { port?: number | string } = {}): string {
  return `${RERUN} (redis-doctor diagnose ${url(t, { auth: false, ...opts })}): ${expect}`;
}

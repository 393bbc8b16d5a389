/**
 * Turns what a user typed (a target string, flags, environment, config file)
 * into what the engine needs: a password-free `DiagnoseTarget` plus the
 * credentials, TLS and SSH options. Used by the CLI and by the Slack front end
 * for named targets, so it knows nothing about terminals or Slack.
 *
 * Precedence (first match wins):
 *   password: URL password > `--password-env VAR` > `REDISCLI_AUTH` > config `passwordEnv`
 *   user:     `--user` > config `user` > URL user
 *   TLS:      on when any of rediss://, `--tls`, `--tls-ca`, `--tls-insecure`,
 *             config `tlsCaPath`/`tlsInsecure` asks for it; the flag's CA file wins over the config's
 *   SSH:      `--ssh user@host[:port]` (with `--ssh-key`, and `--ssh-known-hosts` required),
 *             else the config target's `ssh` block (paths overridable by the two flags);
 *             the phase bound: `--ssh-timeout` > the block's `timeoutMs` > the engine's default
 *   topology: `--sentinel-master`, `--cluster`, `--client-access` over the config target's
 *             `sentinelMaster`, `cluster`, `clientAccess` → DiagnoseOptions.topology
 *
 * Every problem is a `ResolveError` (a usage/input error: exit 2 in the CLI),
 * thrown before anything is probed. No message ever contains a password.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Config, TargetConfig } from './schema.js';
import { SENTINEL_MASTER_RE } from './sentinel-master.js';
import { DOCKER_HOST_RE } from './docker-host.js';
import { type Credentials, type DiagnoseOptions, type DiagnoseTarget, type SshTargetOptions, type TlsOptions, type TopologyOptions, hideUrlPassword, isValidHostname, parseTarget, printable, TargetError, type ParsedAddress } from '../engine/index.js';
import { CodedError } from '../util/errors.js';

export class ResolveError extends CodedError {
  override name = 'ResolveError';
  constructor(message: string) {
    super('resolve', message);
  }
}

/** The target-related flags of the CLI (INTERFACES.md section 1); the Slack front end passes none. */
export interface TargetFlags {
  user?: string;
  passwordEnv?: string;
  tls?: boolean;
  tlsCa?: string;
  tlsInsecure?: boolean;
  ssh?: string;
  sshKey?: string;
  sshKnownHosts?: string;
  /** `--ssh-timeout`, already validated (args.ts). */
  sshTimeoutMs?: number;
  /** The url is a Sentinel: diagnose the primary it names for this master. */
  sentinelMaster?: string;
  /** The client is cluster-aware. */
  cluster?: boolean;
  /** The client writes, or only reads. */
  clientAccess?: 'read' | 'write';
  /** `--docker-host <uri>`: where to read the container state (issue #19). */
  dockerHost?: string;
}

export interface ResolveContext {
  /** An already loaded config; otherwise `loadConfig` is called, only when the target is a name. */
  config?: Config;
  loadConfig?: () => Config;
  /** Shown in "unknown target name" errors. */
  configPath?: string;
  env: Record<string, string | undefined>;
  flags?: TargetFlags;
  /** File reader for CA, key and known_hosts files (tests may replace it). */
  readFile?: (path: string) => string;
}

export type ResolvedOptions = Pick<DiagnoseOptions, 'credentials' | 'tls' | 'ssh' | 'loopbackProbe' | 'topology' | 'followPolicy' | 'docker'>;

export interface ResolvedTarget {
  target: DiagnoseTarget;
  options: ResolvedOptions;
}

const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SSH_USER_RE = /^[a-z_][a-z0-9_.-]*$/i;

function defaultReadFile(path: string): string {
  return readFileSync(path, 'utf8');
}

function readNamedFile(ctx: ResolveContext, what: string, path: string): string {
  try {
    return (ctx.readFile ?? defaultReadFile)(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ResolveError(`cannot read ${what} ${printable(path)}: ${code}`);
  }
}

function lookupName(name: string, ctx: ResolveContext): TargetConfig {
  const config = ctx.config ?? ctx.loadConfig?.();
  const found = config?.targets.find((t) => t.name === name);
  if (!found) {
    const where = ctx.configPath ?? 'the config file';
    // A single word is often a host name (a compose service, an /etc/hosts alias) typed without its port.
    throw new ResolveError(`unknown target name "${name}" (not in ${where}); for a host called ${name}, write ${name}:6379`);
  }
  return found;
}

function passwordFromEnv(variable: string, env: ResolveContext['env'], source: string): string {
  if (!ENV_NAME_RE.test(variable)) throw new ResolveError(`${source}: "${printable(variable)}" is not an environment variable name`);
  const value = env[variable];
  if (value === undefined) throw new ResolveError(`${source}: environment variable ${variable} is not set`);
  if (value === '') throw new ResolveError(`${source}: environment variable ${variable} is empty`);
  return value;
}

function resolvePassword(url: ParsedAddress, ctx: ResolveContext, entry?: TargetConfig): string | undefined {
  if (url.password !== undefined && url.password !== '') return url.password;
  if (ctx.flags?.passwordEnv !== undefined) return passwordFromEnv(ctx.flags.passwordEnv, ctx.env, '--password-env');
  // redis-cli reads REDISCLI_AUTH when no -a is given; an empty value means "no password" there too.
  const cliAuth = ctx.env.REDISCLI_AUTH;
  if (cliAuth !== undefined && cliAuth !== '') return cliAuth;
  if (entry?.passwordEnv) return passwordFromEnv(entry.passwordEnv, ctx.env, `target "${entry.name}" passwordEnv`);
  return undefined;
}

function resolveCredentials(url: ParsedAddress, ctx: ResolveContext, entry?: TargetConfig): Credentials | undefined {
  const user = ctx.flags?.user ?? entry?.user ?? url.user;
  if (user !== undefined && !/^[\x21-\x7e]{1,256}$/.test(user)) throw new ResolveError(`invalid user name "${printable(user)}"`);
  const password = resolvePassword(url, ctx, entry);
  if (user === undefined && password === undefined) return undefined;
  const creds: Credentials = {};
  if (user !== undefined) creds.user = user;
  if (password !== undefined) creds.password = password;
  return creds;
}

function resolveTls(url: ParsedAddress, ctx: ResolveContext, entry?: TargetConfig): TlsOptions | undefined {
  const f = ctx.flags ?? {};
  const wanted = url.tls || f.tls === true || f.tlsCa !== undefined || f.tlsInsecure === true
    || entry?.tlsCaPath !== undefined || entry?.tlsInsecure === true;
  if (!wanted) return undefined;
  const tls: TlsOptions = {};
  if (f.tlsCa !== undefined) tls.ca = readNamedFile(ctx, 'TLS CA file', f.tlsCa);
  else if (entry?.tlsCaPath !== undefined) tls.ca = readNamedFile(ctx, `target "${entry.name}" tlsCaPath`, entry.tlsCaPath);
  if (f.tlsInsecure === true || entry?.tlsInsecure === true) tls.insecure = true;
  return tls;
}

/** `user@host[:port]` or `user@[ipv6]:port`. */
export function parseSshSpec(spec: string): { user: string; host: string; port: number } {
  const m = /^([^@\s]+)@(\[[0-9A-Fa-f:.]+\]|[^:@\s[\]]+)(?::(\d{1,5}))?$/.exec(spec);
  const bad = () => new ResolveError(`invalid --ssh "${printable(spec)}": expected user@host[:port]`);
  if (!m) throw bad();
  const user = m[1]!;
  let host = m[2]!;
  if (!SSH_USER_RE.test(user)) throw bad();
  if (host.startsWith('[')) {
    host = host.slice(1, -1);
    if (isIP(host) !== 6) throw bad();
  } else if (isIP(host) === 0 && !isValidHostname(host)) {
    throw bad();
  }
  const port = m[3] === undefined ? 22 : Number(m[3]);
  if (port < 1 || port > 65535) throw new ResolveError(`invalid --ssh port ${port}: expected a number from 1 to 65535`);
  return { user, host, port };
}

function resolveSsh(ctx: ResolveContext, entry?: TargetConfig): SshTargetOptions | undefined {
  const f = ctx.flags ?? {};
  let base: { user: string; host: string; port: number; sudo?: boolean; keyPath?: string; knownHostsPath?: string; timeoutMs?: number };
  if (f.ssh !== undefined) {
    // Refusing to connect without a known_hosts file is deliberate: an unverified
    // host key would let anyone on the path answer the remote checks.
    if (f.sshKnownHosts === undefined) throw new ResolveError('--ssh needs --ssh-known-hosts <file>: remote checks never run against an unverified host key');
    base = { ...parseSshSpec(f.ssh), keyPath: f.sshKey, knownHostsPath: f.sshKnownHosts };
  } else if (entry?.ssh) {
    const s = entry.ssh;
    base = { user: s.user, host: s.host, port: s.port, sudo: s.sudo, keyPath: f.sshKey ?? s.privateKeyPath, knownHostsPath: f.sshKnownHosts ?? s.knownHostsPath, timeoutMs: s.timeoutMs };
  } else {
    if (f.sshKey !== undefined) throw new ResolveError('--ssh-key is only meaningful with --ssh user@host');
    if (f.sshKnownHosts !== undefined) throw new ResolveError('--ssh-known-hosts is only meaningful with --ssh user@host');
    if (f.sshTimeoutMs !== undefined) throw new ResolveError('--ssh-timeout is only meaningful with SSH checks (--ssh user@host, or a config target with an ssh block)');
    return undefined;
  }
  const knownHostsPath = base.knownHostsPath!;
  const ssh: SshTargetOptions = {
    host: base.host,
    port: base.port,
    user: base.user,
    knownHosts: readNamedFile(ctx, 'known_hosts file', knownHostsPath),
    knownHostsPath,
  };
  if (base.sudo) ssh.sudo = true;
  const timeoutMs = f.sshTimeoutMs ?? base.timeoutMs;
  if (timeoutMs !== undefined) ssh.timeoutMs = timeoutMs;
  if (base.keyPath !== undefined) {
    ssh.privateKey = readNamedFile(ctx, 'SSH private key', base.keyPath);
    ssh.privateKeyPath = base.keyPath;
  } else if (ctx.env.SSH_AUTH_SOCK) {
    ssh.useAgent = true;
  } else {
    throw new ResolveError('SSH checks need a key: give --ssh-key <file> (or privateKeyPath in the config) or run an ssh-agent (SSH_AUTH_SOCK)');
  }
  return ssh;
}

function resolveTopology(ctx: ResolveContext, entry?: TargetConfig): TopologyOptions | undefined {
  const f = ctx.flags ?? {};
  const sentinelMaster = f.sentinelMaster ?? entry?.sentinelMaster;
  if (f.sentinelMaster !== undefined && !SENTINEL_MASTER_RE.test(f.sentinelMaster)) {
    throw new ResolveError(`invalid --sentinel-master "${printable(f.sentinelMaster.slice(0, 40))}": a master name is letters, digits and . _ : - (at most 128)`);
  }
  const cluster = f.cluster ?? entry?.cluster;
  const access = f.clientAccess ?? entry?.clientAccess;
  const topology: TopologyOptions = {};
  if (sentinelMaster !== undefined) topology.sentinelMaster = sentinelMaster;
  if (cluster !== undefined) topology.cluster = cluster;
  if (access !== undefined) topology.access = access;
  return Object.keys(topology).length > 0 ? topology : undefined;
}

/** --docker-host, else the target's docker.host; its docker.container; DOCKER_HOST for the default (docker/endpoint.ts). */
function resolveDocker(ctx: ResolveContext, entry?: TargetConfig): DiagnoseOptions['docker'] {
  const f = ctx.flags ?? {};
  const docker: NonNullable<DiagnoseOptions['docker']> = {};
  if (f.dockerHost !== undefined) {
    if (!DOCKER_HOST_RE.test(f.dockerHost)) throw new ResolveError(`invalid --docker-host "${printable(f.dockerHost.slice(0, 60))}": give unix:///path/to/docker.sock or ssh://user@host`);
    docker.host = f.dockerHost;
    docker.hostFrom = '--docker-host';
  } else if (entry?.docker?.host) {
    docker.host = entry.docker.host;
    docker.hostFrom = `docker.host of ${entry.name}`;
  }
  if (entry?.docker?.container) docker.container = entry.docker.container;
  const env = ctx.env.DOCKER_HOST;
  if (env) docker.envDockerHost = env;
  return Object.keys(docker).length > 0 ? docker : undefined;
}

function addressOf(entry: TargetConfig): ParsedAddress {
  // The schema already validated the URL; a failure here means the config was built by hand.
  const parsed = parseTarget(entry.url);
  if (parsed.kind !== 'address') throw new ResolveError(`target "${entry.name}": url is not an address`);
  return parsed;
}

export function resolveTarget(input: string, ctx: ResolveContext): ResolvedTarget {
  let parsed;
  try {
    parsed = parseTarget(input);
  } catch (err) {
    if (err instanceof TargetError) throw new ResolveError(err.message);
    throw err;
  }
  const entry = parsed.kind === 'name' ? lookupName(parsed.name, ctx) : undefined;
  const address = entry ? addressOf(entry) : (parsed as ParsedAddress);

  const tls = resolveTls(address, ctx, entry);
  const target: DiagnoseTarget = {
    // The URL password never leaves this function except inside `credentials`. Not
    // redactUrl: that one is for messages (escaped, cut at 120 characters); this is data.
    input: entry ? entry.name : hideUrlPassword(input.trim()),
    host: address.host,
    port: address.port,
    tls: tls !== undefined,
  };
  if (entry) target.name = entry.name;
  if (address.db !== undefined) target.db = address.db;

  // A target the user named (config file, or typed at the CLI): its topology is followed, the
  // password going only where its own state names (docs/topology.md, "Following the topology"). The Slack
  // front end narrows this for ad-hoc targets (slack/resolve.ts).
  const options: ResolvedOptions = { followPolicy: { kind: 'configured' } };
  const credentials = resolveCredentials(address, ctx, entry);
  if (credentials) {
    options.credentials = credentials;
    if (credentials.user !== undefined) target.user = credentials.user;
  }
  if (tls) options.tls = tls;
  const ssh = resolveSsh(ctx, entry);
  if (ssh) options.ssh = ssh;
  const topology = resolveTopology(ctx, entry);
  if (topology) options.topology = topology;
  const docker = resolveDocker(ctx, entry);
  if (docker) options.docker = docker;
  return { target, options };
}

/**
 * Real redis-server processes for tests.
 *
 *   const server = await startRedis({ password: 's3cret', args: ['--maxclients', '1'] });
 *   await server.cli('ACL', 'SETUSER', 'app', 'on', '>pw', '-@all');
 *   … diagnose({ input: …, host: server.host, port: server.port, tls: false }) …
 *   await server.stop();
 *
 * Defaults: `--daemonize no`, `--save ''` (no RDB unless `save` is given),
 * `--appendonly no`, its own temp dir holding `dir` and the logfile, bound to
 * 127.0.0.1 only (to nsAddress and the namespace's loopback inside a netns),
 * `enable-debug-command local` (DEBUG POPULATE/SLEEP from cli()). Extra
 * `args` come last, so they override the defaults.
 *
 * Every server also listens on a Unix socket in its temp dir. startRedis()
 * returns once the server answers anything to a PING there (any RESP reply
 * counts: -NOAUTH and -LOADING are states tests want), polling every 25 ms
 * for at most startTimeoutMs. Redis opens all its listeners before it serves
 * anyone, so an answer on *our* socket proves the TCP port is ours too — not
 * another test's server that grabbed the port between freePort() and bind
 * (then our server exits with "Address already in use" and startRedis()
 * retries on a new port). cli() uses the socket as well: no TLS flags, and no
 * protected mode for a server inside a namespace. The process is tracked
 * (see procs.ts): it dies with the test process in every case.
 */
import { type ChildProcess } from 'node:child_process';
import { chown, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { run, which } from './exec.js';
import type { MemoryCgroup } from './memcg.js';
import type { Netns } from './netns.js';
import { pollUntil } from './poll.js';
import { freePort } from './ports.js';
import { hasExited, pdeathsigArgv, spawnTracked, stopProcess } from './procs.js';
import { connectRawUnix } from './raw-client.js';
import type { TlsMaterial } from './tls.js';
import { makeTempDir } from './tmp.js';
import { plantSecret } from './secrets.js';

export interface RedisOptions {
  /** Extra redis-server arguments, appended after the defaults (so they win). */
  args?: string[];
  /** RDB save points, e.g. '3600 1'. Default: none (`--save ''`). */
  save?: string;
  /** Sets `requirepass`; cli() authenticates with it through REDISCLI_AUTH (never argv). */
  password?: string;
  /** Run inside this namespace, reachable at netns.nsAddress. */
  netns?: Netns;
  /** Default: a free loopback port; 6379 inside a namespace (it has its own port space). */
  port?: number;
  /** TLS only: `--port 0 --tls-port <port>` with these certificates, client certificates not required. */
  tls?: TlsMaterial;
  /** Run as nobody (setpriv); the temp dir is handed to nobody. */
  runAsNobody?: boolean;
  /** RLIMIT_NOFILE for the server (prlimit --nofile). */
  nofile?: number;
  /** Redis `dir` (RDB files), e.g. a full tmpfs. The logfile stays in the temp dir. */
  dataDir?: string;
  /**
   * Run as a Sentinel (`redis-server <temp dir>/sentinel.conf --sentinel …`) with this
   * config file text; Sentinel rewrites the file, so it lives in the server's temp dir.
   */
  sentinelConfig?: string;
  /** Run inside this memory cgroup (lab/memcg.ts): the server's pid is written to its cgroup.procs before exec. */
  memoryCgroup?: Pick<MemoryCgroup, 'procsFile'>;
  startTimeoutMs?: number;
}

export interface RedisServer {
  /** Where clients connect: 127.0.0.1, or the namespace's address. */
  host: string;
  port: number;
  pid: number;
  /** The server's temp dir (logfile, and `dir` unless dataDir was given). */
  dir: string;
  logfile: string;
  /** The server's Unix socket (plaintext, local: protected mode does not apply). */
  socket: string;
  tls?: TlsMaterial;
  netns?: Netns;
  /** redis-cli against the server's Unix socket, authenticated with `password`; resolves with stdout. */
  cli(...args: string[]): Promise<string>;
  /** The server's log so far. */
  log(): Promise<string>;
  /** SIGTERM, then SIGKILL after graceMs (default 1500); removes the temp dir. Idempotent. */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** The underlying process (exit events, signals). */
  process: ChildProcess;
}

/** uid/gid of `nobody` from /etc/passwd, for chown and setpriv. */
function nobodyIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('no nobody user in /etc/passwd');
  return { uid: Number(uid), gid: Number(gid) };
}

function serverArgs(options: RedisOptions, port: number, dir: string): string[] {
  const listen = options.tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.certFile, '--tls-key-file', options.tls.keyFile,
      '--tls-ca-cert-file', options.tls.caFile, '--tls-auth-clients', 'no']
    : ['--port', String(port)];
  const bind = options.netns ? [options.netns.nsAddress, '127.0.0.1'] : ['127.0.0.1'];
  return [
    ...listen,
    '--bind', ...bind,
    '--daemonize', 'no',
    '--save', options.save ?? '',
    '--appendonly', 'no',
    '--dir', options.dataDir ?? dir,
    '--logfile', join(dir, 'redis.log'),
    '--unixsocket', join(dir, 'redis.sock'),
    '--unixsocketperm', '700',
    '--enable-debug-command', 'local',
    ...(options.password !== undefined ? ['--requirepass', options.password] : []),
    ...(options.args ?? []),
  ];
}

function commandLine(options: RedisOptions, args: string[], dir: string): string[] {
  const sentinel = options.sentinelConfig !== undefined ? [join(dir, 'sentinel.conf'), '--sentinel'] : [];
  let argv = ['redis-server', ...sentinel, ...args];
  if (options.nofile !== undefined) argv = ['prlimit', `--nofile=${options.nofile}`, '--', ...argv];
  if (options.runAsNobody) {
    const { uid, gid } = nobodyIds();
    return pdeathsigArgv(argv, [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups']);
  }
  // setpriv (util-linux) is only a safety net here: without it the exit hooks still kill the server.
  return which('setpriv') ? pdeathsigArgv(argv) : argv;
}

/**
 * In the namespace, or in a memory cgroup: `sh` joins the cgroup with its own pid and execs, and
 * so does `ip netns exec`, so the server keeps that pid and the cgroup. The cgroup is joined
 * before `ip netns exec`, which mounts a /sys of the namespace's own (no cgroup fs in it).
 */
function spawnServer(options: RedisOptions, argv: string[]): ChildProcess {
  if (!options.memoryCgroup) return options.netns ? options.netns.spawn(argv) : spawnTracked(argv);
  const inNs = options.netns ? ['ip', 'netns', 'exec', options.netns.name, ...argv] : argv;
  return spawnTracked(['sh', '-c', 'echo $$ > "$1" && shift && exec "$@"', 'sh', options.memoryCgroup.procsFile, ...inNs]);
}

/** Any RESP reply to PING on the Unix socket means the server is up and in some state. */
async function answers(socket: string): Promise<true | undefined> {
  const client = await connectRawUnix(socket, 1000);
  try {
    const line = await client.command('PING');
    return /^[+\-:$*]/.test(line) ? true : undefined;
  } finally {
    client.close();
  }
}

class ExitedError extends Error {
  constructor(message: string, readonly portTaken: boolean) {
    super(message);
  }
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  // Only a port we picked can be picked again; a fixed port (or a namespace's own) fails at once.
  const attempts = options.port === undefined && !options.netns ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (!(error instanceof ExitedError && error.portTaken) || attempt >= attempts) throw error;
    }
  }
}

async function startOnce(options: RedisOptions): Promise<RedisServer> {
  if (options.password) plantSecret(options.password);
  const tmp = makeTempDir('redis');
  const host = options.netns ? options.netns.nsAddress : '127.0.0.1';
  const port = options.port ?? (options.netns ? 6379 : await freePort());
  const logfile = join(tmp.path, 'redis.log');
  const socket = join(tmp.path, 'redis.sock');
  if (options.runAsNobody) {
    const { uid, gid } = nobodyIds();
    await chown(tmp.path, uid, gid);
  }
  if (options.sentinelConfig !== undefined) await writeFile(join(tmp.path, 'sentinel.conf'), options.sentinelConfig);
  const argv = commandLine(options, serverArgs(options, port, tmp.path), tmp.path);
  const child = spawnServer(options, argv);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 8192) stderr += chunk;
  });
  child.stdout?.resume();

  let stopped = false;
  const stop = async ({ graceMs }: { graceMs?: number } = {}): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      await stopProcess(child, graceMs);
    } finally {
      await tmp.remove();
    }
  };
  const log = (): Promise<string> => readFile(logfile, 'utf8').catch(() => '');

  const cliEnv = { ...process.env };
  delete cliEnv.REDISCLI_AUTH;
  if (options.password !== undefined) cliEnv.REDISCLI_AUTH = options.password;
  const cli = async (...args: string[]): Promise<string> => {
    const result = await run('redis-cli', ['-s', socket, ...args], { env: cliEnv, timeoutMs: 10_000 });
    if (result.code !== 0) throw new Error(`redis-cli ${args.join(' ')} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
    return result.stdout.trim();
  };

  try {
    await pollUntil(
      async () => {
        if (hasExited(child)) {
          const tail = (await log()).trim().split('\n').slice(-5).join(' | ');
          throw new ExitedError(`redis-server exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()} ${tail}`, /Address already in use/.test(tail));
        }
        return answers(socket);
      },
      { what: `redis-server on ${host}:${port}`, timeoutMs: options.startTimeoutMs ?? 10_000, stopOn: (e) => e instanceof ExitedError },
    );
  } catch (error) {
    await stop({ graceMs: 0 });
    throw error;
  }
  return { host, port, pid: child.pid!, dir: tmp.path, logfile, socket, tls: options.tls, netns: options.netns, cli, log, stop, process: child };
}

/**
 * A throwaway "Redis host" for the SSH checks: a real OpenSSH sshd on port 22
 * inside a network namespace (test/lab/netns.ts), with fresh ed25519 host and
 * client keys, public-key login only (UsePAM no), logging at DEBUG1 to a file
 * so a test can see what the client did — or did not do.
 *
 *   const host = await startSshHost(ns);
 *   diagnose(target, { ssh: host.ssh() });          // correct known_hosts
 *   diagnose(target, { ssh: host.ssh({ knownHosts: host.wrongKnownHosts }) });
 *   await host.stop();                               // also killed by ns.destroy()
 *
 * The login account is root with an empty HOME (SetEnv HOME=<temp dir>, for
 * root only): like a dedicated "doctor" account. Any other local account may
 * log in with the same client key (the temp dir is searchable, authorized_keys
 * readable: sshd reads it as the user); ssh({ user }) picks it, with the HOME
 * of its passwd entry — addLoginAccount() makes one with its own ~/.bashrc.
 * Root's own ~/.bashrc on a development machine may run slow shell setup
 * (pyenv init …), which says nothing about the checks. sshd needs its
 * privilege-separation directory /run/sshd, created as the openssh-server
 * package would.
 *
 * `startSshHost(ns, extra, { dockerSocket })` makes the sshd a Docker host's instead: it
 * runs on this machine's network (where the lab's dockerd publishes its ports), listening on
 * the namespace's peer address `ns.hostAddress`, in a private mount namespace whose /run is a
 * fresh tmpfs holding /run/sshd and /run/docker.sock, a bind mount of the lab engine's socket
 * (lab/docker.ts). Every login sees that engine at /var/run/docker.sock, owned root:docker
 * 0660 as dockerd makes it, as on any Docker host; nothing changes outside that namespace.
 * `{ onHost: true }`: the same host without Docker (no socket in its /run).
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { SshTargetOptions } from '../../src/engine/model/options.js';
import { run, runOk } from '../lab/exec.js';
import type { Netns } from '../lab/netns.js';
import { pollUntil } from '../lab/poll.js';
import { connectRawUnix } from '../lab/raw-client.js';
import { hasExited, pdeathsigArgv, spawnTracked, stopProcess } from '../lab/procs.js';
import { makeTempDir } from '../lab/tmp.js';
import { plantSecret } from '../lab/secrets.js';

export interface SshHost {
  address: string;
  port: number;
  dir: string;
  /** Private key file of the client (its public half is the only authorized key). */
  keyPath: string;
  knownHostsPath: string;
  /** known_hosts with the right key for the host. */
  knownHosts: string;
  /** known_hosts listing the host with another (real, freshly generated) key. */
  wrongKnownHosts: string;
  /** A private key the server does not accept. */
  strangerKey: string;
  ssh(overrides?: Partial<SshTargetOptions>): SshTargetOptions;
  /** A `targets:` entry of the config file (YAML lines) for Redis on this host, with its `ssh` block. */
  configTarget(name: string, opts?: { redisPort?: number; user?: string; sudo?: boolean }): string[];
  /** sshd's log so far. */
  log(): string;
  stop(): Promise<void>;
}

async function keygen(path: string): Promise<void> {
  await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'redis-doctor-lab', '-f', path]);
}

function pub(path: string): string {
  return readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

/** The banner an sshd sends first (RFC 4253 §4.2): proof it listens and is not something else. */
function banner(address: string, port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host: address, port });
    const done = (v: true | undefined) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(1000, () => done(undefined));
    sock.once('data', (d) => done(d.toString('latin1').startsWith('SSH-2.0-') ? true : undefined));
    sock.once('error', () => done(undefined));
  });
}

export interface SshHostOptions {
  /** The lab engine's socket (under /run): sshd runs as the Docker host's, seeing it at /var/run/docker.sock. */
  dockerSocket?: string;
  /** The same host without Docker (a fresh /run, no socket): what the Docker host costs is measured against it (bench/docker.mjs). */
  onHost?: boolean;
}

/**
 * Runs argv (sshd) in a private mount namespace whose /run is a fresh tmpfs with /run/sshd and,
 * when `socket` ($2) is not empty, /run/docker.sock bound to it. The old /run stays reachable through `hold` (a temp dir)
 * just long enough to bind the socket, then is let go. Arguments stay shell data ($1 …).
 */
const DOCKER_HOST_MOUNTS = [
  'set -e',
  'mount --bind /run "$1"',
  'mount -t tmpfs -o mode=0755,size=16m rdlab-dockerhost-run /run',
  'mkdir -m 0755 /run/sshd',
  'if [ -n "$2" ]; then : > /run/docker.sock; mount --bind "$1${2#/run}" /run/docker.sock; fi',
  'umount -l "$1"',
  'shift 2',
  'exec "$@"',
].join('\n');

/** sshd_config lines added to the lab's own (MaxSessions …). */
export async function startSshHost(ns: Netns, extraConfig: string[] = [], options: SshHostOptions = {}): Promise<SshHost> {
  const dockerSocket = options.dockerSocket;
  if (dockerSocket !== undefined && !/^\/run\/[A-Za-z0-9._/-]+\.sock$/.test(dockerSocket)) throw new Error(`startSshHost: a socket under /run please, not ${dockerSocket}`);
  // A Docker host's sshd listens on this machine's side of the veth; the namespace is then the client's.
  const onHost = dockerSocket !== undefined || options.onHost === true;
  const address = onHost ? ns.hostAddress : ns.nsAddress;
  const tmp = makeTempDir('sshd');
  const dir = tmp.path;
  chmodSync(dir, 0o711);
  const hostKey = join(dir, 'host_ed25519');
  const otherHostKey = join(dir, 'other_host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  const strangerKey = join(dir, 'stranger_ed25519');
  await Promise.all([keygen(hostKey), keygen(otherHostKey), keygen(clientKey), keygen(strangerKey)]);
  writeFileSync(join(dir, 'authorized_keys'), `${pub(clientKey)}\n`);
  const home = join(dir, 'home');
  mkdirSync(home);
  const logfile = join(dir, 'sshd.log');
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      'Port 22',
      `ListenAddress ${address}`,
      `HostKey ${hostKey}`,
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      // The key files live in a temp dir whose modes sshd's StrictModes would reject.
      'StrictModes no',
      'PidFile none',
      'UseDNS no',
      'LogLevel DEBUG1',
      ...extraConfig,
      // Last: a Match block runs to the end of the file. Other accounts keep their passwd HOME.
      'Match User root',
      `  SetEnv HOME=${home}`,
      '',
    ].join('\n'),
  );
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const knownHosts = `${address} ${pub(hostKey)}\n`;
  const wrongKnownHosts = `${address} ${pub(otherHostKey)}\n`;
  const knownHostsPath = join(dir, 'known_hosts');
  writeFileSync(knownHostsPath, knownHosts);

  const sshd = ['/usr/sbin/sshd', '-D', '-f', config, '-E', logfile];
  let child: ChildProcess;
  if (onHost) {
    const hold = join(dir, 'old-run');
    mkdirSync(hold);
    child = spawnTracked(pdeathsigArgv(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', DOCKER_HOST_MOUNTS, 'sh', hold, dockerSocket ?? '', ...sshd]));
  } else {
    child = ns.spawn(sshd);
  }
  const stop = async () => {
    await stopProcess(child, 500);
    await tmp.remove();
  };
  try {
    await pollUntil(
      async () => {
        if (hasExited(child)) throw new Error(`sshd exited: ${existsSync(logfile) ? readFileSync(logfile, 'utf8').slice(-500) : 'no log'}`);
        return banner(address, 22);
      },
      { what: `sshd on ${address}:22`, timeoutMs: 10_000 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const privateKey = readFileSync(clientKey, 'utf8');
  return {
    address,
    port: 22,
    dir,
    keyPath: clientKey,
    knownHostsPath,
    knownHosts,
    wrongKnownHosts,
    strangerKey: readFileSync(strangerKey, 'utf8'),
    ssh: (overrides = {}) => ({ host: address, port: 22, user: 'root', privateKey, knownHosts, useAgent: false, ...overrides }),
    configTarget: (name, opts = {}) => [
      `  - name: ${name}`,
      `    url: redis://${address}:${opts.redisPort ?? 6379}`,
      '    ssh:',
      `      host: ${address}`,
      '      port: 22',
      `      user: ${opts.user ?? 'root'}`,
      `      privateKeyPath: ${clientKey}`,
      `      knownHostsPath: ${knownHostsPath}`,
      ...(opts.sudo ? ['      sudo: true'] : []),
    ],
    log: () => {
      try {
        return readFileSync(logfile, 'utf8');
      } catch {
        return '';
      }
    },
    stop,
  };
}

export interface ConfRedis {
  pid: number;
  confPath: string;
  dir: string;
  /** Paths of the files written for `includes`, by name. */
  included: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * redis-server started the way a packaged one is: `redis-server <redis.conf> [args]`,
 * so the process list and the SSH checks can find its config file. `set-proc-title no`
 * keeps that command line visible (a stock server shows only `redis-server addr:port`).
 * Ready when its Unix socket answers PING with any reply (-NOAUTH counts).
 * `includes` (file name → lines) are written next to redis.conf and named by
 * `include` lines after the directives, in order.
 */
export async function startRedisWithConf(ns: Netns, directives: string[], args: string[] = [], includes: Record<string, string[]> = {}): Promise<ConfRedis> {
  // Secrets in the files are planted: no sink the lab reads may show them (lab/secrets.ts).
  for (const line of [...directives, ...Object.values(includes).flat()]) {
    const m = /^\s*(?:requirepass|masterauth)\s+(\S+)/i.exec(line);
    if (m) plantSecret(m[1]!.replace(/^["']|["']$/g, ''));
  }
  const tmp = makeTempDir('redisconf');
  const socket = join(tmp.path, 'redis.sock');
  const confPath = join(tmp.path, 'redis.conf');
  const included: Record<string, string> = {};
  for (const [name, lines] of Object.entries(includes)) {
    included[name] = join(tmp.path, name);
    writeFileSync(included[name], `${lines.join('\n')}\n`);
  }
  writeFileSync(
    confPath,
    [
      'daemonize no',
      'set-proc-title no',
      'save ""',
      'appendonly no',
      `dir ${tmp.path}`,
      `logfile ${join(tmp.path, 'redis.log')}`,
      `unixsocket ${socket}`,
      'unixsocketperm 700',
      ...directives,
      ...Object.values(included).map((path) => `include ${path}`),
      '',
    ].join('\n'),
  );
  const child = ns.spawn(['redis-server', confPath, ...args]);
  const stop = async () => {
    await stopProcess(child, 1500);
    await tmp.remove();
  };
  try {
    await pollUntil(
      async () => {
        if (hasExited(child)) throw new Error(`redis-server exited: ${readFileSync(join(tmp.path, 'redis.log'), 'utf8').slice(-400)}`);
        const client = await connectRawUnix(socket, 1000);
        try {
          return /^[+-]/.test(await client.command('PING')) ? true : undefined;
        } finally {
          client.close();
        }
      },
      { what: `redis-server ${confPath}`, timeoutMs: 10_000, stopOn: (e) => e instanceof Error && e.message.startsWith('redis-server exited') },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: child.pid!, confPath, dir: tmp.path, included, stop };
}

export interface LoginAccount {
  user: string;
  home: string;
  remove(): Promise<void>;
}

/**
 * A throwaway local account for the lab sshd (which shares this machine's accounts): bash as its
 * login shell, its own HOME inside the host's temp dir with the given ~/.bashrc. Debian's bash
 * reads ~/.bashrc for the commands sshd starts, not only for interactive shells (SSH_SOURCE_BASHRC).
 * Password field '*': no password login, and not "locked" ('!'), which sshd refuses even for keys.
 * `name` must be unique per process (put the pid in it).
 */
export async function addLoginAccount(host: SshHost, name: string, bashrc: string[]): Promise<LoginAccount> {
  const home = join(host.dir, name);
  await mkdir(home, { mode: 0o755 });
  await writeFile(join(home, '.bashrc'), `${bashrc.join('\n')}\n`, { mode: 0o644 });
  await runOk('useradd', ['--no-create-home', '--no-user-group', '--home-dir', home, '--shell', '/bin/bash', '--password', '*', '--comment', 'redis-doctor lab', name]);
  return { user: name, home, remove: () => removeAccount(name) };
}

/** userdel refuses while the account still runs processes (sshd session children end just after the client closes). */
export async function removeAccount(user: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const r = await run('userdel', [user]);
    if (r.code === 0 || r.code === 6) return; // 6: no such user
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await runOk('userdel', ['--force', user]);
}

/** sudo looks commands up in its secure_path (Debian's /etc/sudoers), and sudoers names them by absolute path. */
const SECURE_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
export function sudoPath(name: string): string | undefined {
  return SECURE_PATH.map((d) => join(d, name)).find((p) => existsSync(p));
}

/** Checks a sudoers drop-in with visudo, then puts it in place (sudo skips names with a dot: staged as <file>.new). */
export async function installSudoers(file: string, lines: string[]): Promise<void> {
  const staging = `${file}.new`;
  await writeFile(staging, `${lines.join('\n')}\n`, { mode: 0o440 });
  try {
    await chmod(staging, 0o440);
    await runOk('visudo', ['-cf', staging]);
    await rename(staging, file);
  } finally {
    await rm(staging, { force: true });
  }
}

/** The sudoers drop-in the documentation recommends (docs/remote-checks.md), for the account `user`. */
export function readmeSudoers(user: string): string[] {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'remote-checks.md'), 'utf8');
  const block = /\n {2}(Cmnd_Alias REDIS_DOCTOR = [\s\S]*?\n {2}doctor ALL=\(root\) NOPASSWD: REDIS_DOCTOR)\n/.exec(readme)?.[1];
  if (!block) throw new Error('docs/remote-checks.md: no REDIS_DOCTOR sudoers block');
  return block.split('\n').map((l) => l.trim().replace(/^doctor /, `${user} `));
}

/** `Starting session: command for <user>`: sshd (session.c) logs one per exec request, i.e. per login shell started. */
export function shellStarts(log: string, user: string): number {
  return log.split('\n').filter((l) => l.includes(`Starting session: command for ${user} from`)).length;
}

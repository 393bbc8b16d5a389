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
 * The login account is root with an empty HOME (SetEnv HOME=<temp dir>): like
 * a dedicated "doctor" account. Any other local account may log in with the
 * same client key (the temp dir is searchable, authorized_keys readable:
 * sshd reads it as the user); ssh({ user }) picks it. Root's own ~/.bashrc on a development machine
 * may run slow shell setup (pyenv init …) on every channel, which says nothing
 * about the checks. sshd needs its privilege-separation directory /run/sshd,
 * created as the openssh-server package would.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { SshTargetOptions } from '../../src/engine/model/options.js';
import { runOk } from '../lab/exec.js';
import type { Netns } from '../lab/netns.js';
import { pollUntil } from '../lab/poll.js';
import { connectRawUnix } from '../lab/raw-client.js';
import { hasExited, stopProcess } from '../lab/procs.js';
import { makeTempDir } from '../lab/tmp.js';

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

/** sshd_config lines added to the lab's own (MaxSessions …). */
export async function startSshHost(ns: Netns, extraConfig: string[] = []): Promise<SshHost> {
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
      `ListenAddress ${ns.nsAddress}`,
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
      `SetEnv HOME=${home}`,
      ...extraConfig,
      '',
    ].join('\n'),
  );
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const knownHosts = `${ns.nsAddress} ${pub(hostKey)}\n`;
  const wrongKnownHosts = `${ns.nsAddress} ${pub(otherHostKey)}\n`;
  const knownHostsPath = join(dir, 'known_hosts');
  writeFileSync(knownHostsPath, knownHosts);

  const child = ns.spawn(['/usr/sbin/sshd', '-D', '-f', config, '-E', logfile]);
  const stop = async () => {
    await stopProcess(child, 500);
    await tmp.remove();
  };
  try {
    await pollUntil(
      async () => {
        if (hasExited(child)) throw new Error(`sshd exited: ${readFileSync(logfile, 'utf8').slice(-500)}`);
        return banner(ns.nsAddress, 22);
      },
      { what: `sshd on ${ns.nsAddress}:22`, timeoutMs: 10_000 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const privateKey = readFileSync(clientKey, 'utf8');
  return {
    address: ns.nsAddress,
    port: 22,
    dir,
    keyPath: clientKey,
    knownHostsPath,
    knownHosts,
    wrongKnownHosts,
    strangerKey: readFileSync(strangerKey, 'utf8'),
    ssh: (overrides = {}) => ({ host: ns.nsAddress, port: 22, user: 'root', privateKey, knownHosts, useAgent: false, ...overrides }),
    configTarget: (name, opts = {}) => [
      `  - name: ${name}`,
      `    url: redis://${ns.nsAddress}:${opts.redisPort ?? 6379}`,
      '    ssh:',
      `      host: ${ns.nsAddress}`,
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

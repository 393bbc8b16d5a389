/**
 * Network namespaces joined to this one by a veth pair: a "remote host" on
 * this machine. Processes spawned in it see a client from hostAddress as
 * non-loopback (protected mode applies); its own iptables rules give real
 * timeouts, resets and unreachables; traffic never leaves the machine.
 *
 *   const ns = await createNetns();          // rdlab-<pid>-<n>, a /30 in 198.18.0.0/15
 *   const server = ns.spawn(['redis-server', …]);
 *   await ns.iptables(['-A', 'INPUT', '-p', 'tcp', '--dport', '6379', '-j', 'DROP']);
 *   …
 *   await ns.destroy();                      // idempotent; also runs on process exit
 *
 * The /30 is derived from pid+counter and skipped while it overlaps any
 * route of this namespace: other suites (and other owners' labs) add their
 * own veths in 198.18.0.0/15, and two routes for one prefix would send our
 * packets into their namespace.
 */
import { execFileSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, runOk, type RunOptions } from './exec.js';
import { isAlive, onExitSync, spawnTracked } from './procs.js';

export interface Netns {
  name: string;
  /** The veth end in this (the test's) namespace and its address. */
  hostIf: string;
  hostAddress: string;
  /** The veth end inside the namespace and its address: where servers in it are reached. */
  nsIf: string;
  nsAddress: string;
  /** Runs argv inside the namespace; resolves with stdout, rejects on a non-zero exit. */
  exec(argv: readonly string[], options?: RunOptions): Promise<string>;
  /** Starts a tracked long-running process inside the namespace. */
  spawn(argv: readonly string[], options?: SpawnOptions): ChildProcess;
  /** `iptables -w 5 argv…` inside the namespace (rules are per namespace). */
  iptables(argv: readonly string[]): Promise<string>;
  /**
   * The /etc/resolv.conf that processes started by exec/spawn see: `ip netns exec`
   * bind-mounts /etc/netns/<name>/resolv.conf over /etc/resolv.conf.
   */
  setResolvConf(text: string): Promise<void>;
  /** The /etc/hosts those processes see (bind-mounted from /etc/netns/<name>/hosts the same way). */
  setHosts(text: string): Promise<void>;
  destroy(): Promise<void>;
}

const BASE = ((198 << 24) | (18 << 16)) >>> 0; // 198.18.0.0/15 holds 32768 blocks of /30
const BLOCKS = 32768;
const PREFIX = 'rdlab';
let counter = 0;
let swept = false;

export function ipOf(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function toInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

/** IPv4 prefixes routed in this namespace, as [first, last] address ranges. */
export async function routedRanges(): Promise<[number, number][]> {
  const out = await runOk('ip', ['-o', '-4', 'route', 'show', 'table', 'all']);
  const ranges: [number, number][] = [];
  for (const match of out.matchAll(/(?:^|\s)(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?\s/gm)) {
    const bits = match[2] === undefined ? 32 : Number(match[2]);
    if (bits === 0) continue; // the default route overlaps everything and is not a veth
    const size = 2 ** (32 - bits);
    const first = Math.floor(toInt(match[1]!) / size) * size;
    ranges.push([first, first + size - 1]);
  }
  return ranges;
}

function killPidsSync(name: string): void {
  let pids = '';
  try {
    pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return;
  }
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

function destroySync(name: string, hostIf: string): void {
  killPidsSync(name);
  for (const argv of [['netns', 'del', name], ['link', 'del', hostIf]]) {
    try {
      execFileSync('ip', argv, { stdio: 'ignore', timeout: 5000 });
    } catch {
      // already gone
    }
  }
  rmSync(join('/etc/netns', name), { recursive: true, force: true });
}

/** Removes namespaces left by lab processes that died without cleaning up. */
async function sweepStale(): Promise<void> {
  if (swept) return;
  swept = true;
  const list = await run('ip', ['netns', 'list']);
  for (const line of list.stdout.split('\n')) {
    const match = new RegExp(`^(${PREFIX}-(\\d+)-(\\d+))\\b`).exec(line);
    if (!match) continue;
    const pid = Number(match[2]);
    if (pid !== process.pid && !isAlive(pid)) destroySync(match[1]!, `rd${pid}h${match[3]}`);
  }
}

export async function createNetns(): Promise<Netns> {
  await sweepStale();
  for (let attempt = 0; attempt < 64; attempt++) {
    const n = counter++;
    const block = BASE + ((process.pid * 64 + n) % BLOCKS) * 4;
    const ranges = await routedRanges();
    if (ranges.some(([first, last]) => first <= block + 3 && block <= last)) continue;
    const ns = await setUp(n, block);
    // Another process may have picked the same block at the same moment: check our route is the only one.
    const routes = await runOk('ip', ['-4', 'route', 'show', 'exact', `${ipOf(block)}/30`]);
    if (routes.trim().split('\n').length === 1) return ns;
    await ns.destroy();
  }
  throw new Error('createNetns: no free /30 in 198.18.0.0/15 after 64 attempts');
}

async function setUp(n: number, block: number): Promise<Netns> {
  const name = `${PREFIX}-${process.pid}-${n}`;
  const hostIf = `rd${process.pid}h${n}`;
  const nsIf = `rd${process.pid}n${n}`;
  const hostAddress = ipOf(block + 1);
  const nsAddress = ipOf(block + 2);
  let destroyed = false;
  let usedIptables = false;
  const unregister = onExitSync(() => destroySync(name, hostIf));

  const netns: Netns = {
    name,
    hostIf,
    hostAddress,
    nsIf,
    nsAddress,
    exec: (argv, options) => runOk('ip', ['netns', 'exec', name, ...argv], options),
    spawn: (argv, options) => spawnTracked(['ip', 'netns', 'exec', name, ...argv], options),
    async iptables(argv) {
      usedIptables = true;
      return runOk('ip', ['netns', 'exec', name, 'iptables', '-w', '5', ...argv]);
    },
    async setResolvConf(text) {
      const dir = join('/etc/netns', name);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'resolv.conf'), text);
    },
    async setHosts(text) {
      const dir = join('/etc/netns', name);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'hosts'), text);
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      if (usedIptables) await run('ip', ['netns', 'exec', name, 'iptables', '-w', '5', '-F']).catch(() => undefined);
      killPidsSync(name);
      await run('ip', ['netns', 'del', name]);
      await run('ip', ['link', 'del', hostIf]); // normally gone with its peer already
      await rm(join('/etc/netns', name), { recursive: true, force: true });
      unregister();
    },
  };

  try {
    await runOk('ip', ['netns', 'add', name]);
    await runOk('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf, 'netns', name]);
    await runOk('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
    await runOk('ip', ['link', 'set', hostIf, 'up']);
    await runOk('ip', ['-n', name, 'addr', 'add', `${nsAddress}/30`, 'dev', nsIf]);
    await runOk('ip', ['-n', name, 'link', 'set', nsIf, 'up']);
    await runOk('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    await netns.destroy();
    throw error;
  }
  return netns;
}

/**
 * A real Docker engine for the container tests: Debian's dockerd (package docker.io),
 * started per test file with everything of its own, and removed again, also when the
 * test process dies:
 *
 *   const d = await startDockerd();             // rdlab-docker-<pid>-<n>
 *   const image = await d.redisImage();          // Debian's redis-server on a debootstrap base
 *   await d.docker(['run', '-d', '--name', d.name('redis'), '-p', '8301:6379', image]);
 *   …
 *   await d.stop();                              // idempotent; also runs on process exit
 *
 * Isolation: its own data root, exec root, socket, pid file and bridge (a /24 in
 * 198.18.0.0/15 that overlaps no route here). `--iptables=false`: the engine writes no
 * iptables rules and never sets the FORWARD policy to DROP (which would break the tests
 * that route through namespaces); published ports are served by docker-proxy, so a
 * port published on 0.0.0.0, on 127.0.0.1 only, or not at all behaves to a client as on
 * any Docker host. `--ip-forward=false`: the host's sysctl stays as it is.
 *
 * Images: there is no registry here. The base is `debootstrap --variant=minbase
 * bookworm` imported with `docker import`; Redis is Debian's redis-server installed in a
 * `docker build --network host` on it (Debian's packages are reachable). Both are cached
 * as tarballs in /var/cache/rdlab (built once per machine, under a lock) and loaded into
 * each engine.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run, runOk, which, type RunOptions, type RunResult } from './exec.js';
import { ipOf, routedRanges, toInt } from './netns.js';
import { withDirLock } from './dir-lock.js';
import { pdeathsigArgv, isAlive, onExitSync, spawnTracked, stopProcess } from './procs.js';

export const CACHE_DIR = '/var/cache/rdlab';
const BASE_TAR = join(CACHE_DIR, 'bookworm-minbase.tar');
const REDIS_TAR = join(CACHE_DIR, 'redis-bookworm.tar');
export const BASE_IMAGE = 'rdlab/bookworm:minbase';
export const REDIS_IMAGE = 'rdlab/redis:bookworm';
const PREFIX = 'rdlab-docker';
const DATA_PARENT = '/var/lib/rdlab-docker';
const EXEC_PARENT = '/run/rdlab-docker';

/** The docker client that matches Debian's engine (a newer client elsewhere on PATH negotiates down, but may lack the classic builder). */
export function dockerClient(): string | undefined {
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : which('docker');
}

export interface DockerLab {
  /** `unix:///run/rdlab-docker/<id>/docker.sock`: what DOCKER_HOST or --docker-host would name. */
  host: string;
  socket: string;
  /** The engine's bridge, its gateway address (this machine's side) and subnet. */
  bridge: string;
  gateway: string;
  subnet: string;
  /** A container, network or volume name no other run can have: `<id>-<suffix>`. */
  name(suffix: string): string;
  /** `docker -H host argv…`; rejects on a non-zero exit. */
  docker(argv: readonly string[], options?: RunOptions): Promise<string>;
  /** The same, resolving with the exit code. */
  dockerRun(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Imports the debootstrap base (made once per machine); returns its tag. */
  baseImage(): Promise<string>;
  /**
   * `node:20-slim` stand-in (the project's Dockerfile starts FROM it and it cannot be pulled here):
   * the base with this machine's Node 20 and npm, a `node` user (uid 1000) as in the official
   * image, and this machine's CA bundle as NODE_EXTRA_CA_CERTS (npm ci inside a build meets
   * the same re-signed TLS chain the host does).
   */
  nodeImage(): Promise<string>;
  /** Loads (or, once per machine, builds) the Redis image, base layers included; returns its tag. */
  redisImage(): Promise<string>;
  stop(): Promise<void>;
}

let counter = 0;
let swept = false;

/** Everything mounted under `root` (overlay layers, netns files), deepest first. */
function mountsUnder(root: string): string[] {
  let out = '';
  try {
    out = execFileSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8', timeout: 5000 });
  } catch {
    return [];
  }
  return out.split('\n').filter((m) => m.startsWith(`${root}/`) || m === root).sort((a, b) => b.length - a.length);
}

/** Kills the engine, containerd and every shim and container process of this engine (their argv name its exec root). */
function removeSync(id: string, bridge: string): void {
  const execRoot = join(EXEC_PARENT, id);
  const dataRoot = join(DATA_PARENT, id);
  try {
    execFileSync('pkill', ['-KILL', '-f', execRoot], { stdio: 'ignore', timeout: 5000 });
  } catch {
    // nothing left
  }
  for (const root of [execRoot, dataRoot]) {
    for (const m of mountsUnder(root)) {
      try {
        execFileSync('umount', ['-l', m], { stdio: 'ignore', timeout: 5000 });
      } catch {
        // already gone
      }
    }
    rmSync(root, { recursive: true, force: true });
  }
  try {
    execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore', timeout: 5000 });
  } catch {
    // already gone
  }
}

function bridgeOf(id: string): string {
  // Interface names are at most 15 characters: rdd<pid><n> in base 36.
  const [, pid, n] = /-(\d+)-(\d+)$/.exec(id)!;
  return `rdd${Number(pid).toString(36)}x${Number(n).toString(36)}`.slice(0, 15);
}

/** Removes engines left by lab processes that died without cleaning up. */
function sweepStale(): void {
  if (swept) return;
  swept = true;
  for (const parent of [DATA_PARENT, EXEC_PARENT]) {
    let entries: string[] = [];
    try {
      entries = readdirSync(parent);
    } catch {
      continue;
    }
    for (const id of entries) {
      const m = new RegExp(`^${PREFIX}-(\\d+)-(\\d+)$`).exec(id);
      if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) removeSync(id, bridgeOf(id));
    }
  }
}

/** Another test file building the same image waits for it (bounded) instead of building twice. */
function withCacheLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(CACHE_DIR, { recursive: true });
  return withDirLock(join(CACHE_DIR, '.build.lock'), 20 * 60_000, fn);
}

/** debootstrap's minbase bookworm as a tarball: the base of every lab image. */
async function ensureBaseTar(): Promise<void> {
  if (existsSync(BASE_TAR)) return;
  await withCacheLock(async () => {
    if (existsSync(BASE_TAR)) return;
    const rootfs = join(CACHE_DIR, `rootfs-${process.pid}`);
    try {
      await runOk('debootstrap', ['--variant=minbase', 'bookworm', rootfs, 'http://deb.debian.org/debian'], { timeoutMs: 900_000 });
      await runOk('tar', ['-C', rootfs, '-cf', `${BASE_TAR}.part`, '.'], { timeoutMs: 300_000 });
      await runOk('mv', [`${BASE_TAR}.part`, BASE_TAR]);
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
  });
}

const REDIS_DOCKERFILE = `FROM ${BASE_IMAGE}
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server && rm -rf /var/lib/apt/lists/*
EXPOSE 6379
CMD ["redis-server", "--protected-mode", "no", "--save", "", "--appendonly", "no"]
`;

export const NODE_IMAGE = 'node:20-slim';
const NODE_DOCKERFILE = `FROM ${BASE_IMAGE}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca.crt /usr/local/share/rdlab-ca.crt
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/rdlab-ca.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
CMD ["node"]
`;

export async function startDockerd(): Promise<DockerLab> {
  sweepStale();
  const client = dockerClient();
  if (!client || !which('dockerd')) throw new Error('startDockerd: dockerd and docker are needed (apt-get install docker.io)');
  const n = counter++;
  const id = `${PREFIX}-${process.pid}-${n}`;
  const bridge = bridgeOf(id);
  const dataRoot = join(DATA_PARENT, id);
  const execRoot = join(EXEC_PARENT, id);
  const socket = join(execRoot, 'docker.sock');
  const host = `unix://${socket}`;
  const unregister = onExitSync(() => removeSync(id, bridge));
  let daemon: ChildProcess | undefined;
  let stopped = false;
  let log = '';

  const dockerRun = (argv: readonly string[], options?: RunOptions) => run(client, ['-H', host, ...argv], { timeoutMs: 60_000, ...options });
  const docker = async (argv: readonly string[], options?: RunOptions) => {
    const r = await dockerRun(argv, options);
    if (r.code !== 0) throw new Error(`docker ${argv.join(' ')}: exit ${r.code}: ${r.stderr.trim().slice(-500)}`);
    return r.stdout;
  };

  const lab: DockerLab = {
    host,
    socket,
    bridge,
    gateway: '',
    subnet: '',
    name: (suffix) => `${id}-${suffix}`,
    docker,
    dockerRun,
    async baseImage() {
      if ((await dockerRun(['image', 'inspect', BASE_IMAGE])).code === 0) return BASE_IMAGE;
      await ensureBaseTar();
      await docker(['import', BASE_TAR, BASE_IMAGE], { timeoutMs: 300_000 });
      return BASE_IMAGE;
    },
    async nodeImage() {
      if ((await dockerRun(['image', 'inspect', NODE_IMAGE])).code === 0) return NODE_IMAGE;
      await lab.baseImage();
      const context = join(CACHE_DIR, `node-context-${process.pid}-${n}`);
      try {
        mkdirSync(context, { recursive: true });
        const node = realpathSync(process.execPath);
        const npm = realpathSync(join(dirname(node), '..', 'lib', 'node_modules', 'npm'));
        cpSync(node, join(context, 'node'));
        cpSync(npm, join(context, 'npm'), { recursive: true });
        cpSync(process.env.NODE_EXTRA_CA_CERTS ?? '/etc/ssl/certs/ca-certificates.crt', join(context, 'ca.crt'));
        writeFileSync(join(context, 'Dockerfile'), NODE_DOCKERFILE);
        await docker(['build', '--network', 'host', '-t', NODE_IMAGE, context], { timeoutMs: 600_000, env: { ...process.env, DOCKER_BUILDKIT: '0' } });
      } finally {
        rmSync(context, { recursive: true, force: true });
      }
      return NODE_IMAGE;
    },
    async redisImage() {
      const have = await dockerRun(['image', 'inspect', REDIS_IMAGE]);
      if (have.code === 0) return REDIS_IMAGE;
      if (!existsSync(REDIS_TAR)) {
        await withCacheLock(async () => {
          if (existsSync(REDIS_TAR)) return;
          await lab.baseImage();
          await docker(['build', '--network', 'host', '-t', REDIS_IMAGE, '-'], { input: REDIS_DOCKERFILE, timeoutMs: 900_000, env: { ...process.env, DOCKER_BUILDKIT: '0' } });
          await docker(['save', '-o', `${REDIS_TAR}.part`, REDIS_IMAGE], { timeoutMs: 300_000 });
          await runOk('mv', [`${REDIS_TAR}.part`, REDIS_TAR]);
        });
      }
      if ((await dockerRun(['image', 'inspect', REDIS_IMAGE])).code !== 0) await docker(['load', '-i', REDIS_TAR], { timeoutMs: 300_000 });
      return REDIS_IMAGE;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const ids = (await dockerRun(['ps', '-aq'], { timeoutMs: 15_000 }).catch(() => ({ stdout: '' }))).stdout.split('\n').filter(Boolean);
      if (ids.length > 0) await dockerRun(['rm', '-f', ...ids], { timeoutMs: 60_000 }).catch(() => undefined);
      if (daemon) await stopProcess(daemon, 10_000).catch(() => undefined);
      removeSync(id, bridge);
      unregister();
    },
  };

  try {
    // A free /23, derived from pid and counter and skipped while any route overlaps it: the
    // bridge's /24, then a /24 for networks a test creates (the engine's address pool).
    const ranges = await routedRanges();
    let block: number | undefined;
    for (let i = 0; i < 256 && block === undefined; i++) {
      const candidate = (toInt('198.18.0.0') + (((process.pid + n * 7 + i) % 256) << 9)) >>> 0;
      if (!ranges.some(([first, last]) => first <= candidate + 511 && candidate <= last)) block = candidate;
    }
    if (block === undefined) throw new Error('startDockerd: no free /23 in 198.18.0.0/15');
    lab.gateway = ipOf(block + 1);
    lab.subnet = `${ipOf(block)}/24`;
    const pool = `${ipOf(block + 256)}/24`;
    await runOk('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
    await runOk('ip', ['addr', 'add', `${lab.gateway}/24`, 'dev', bridge]);
    await runOk('ip', ['link', 'set', bridge, 'up']);
    mkdirSync(dataRoot, { recursive: true });
    mkdirSync(execRoot, { recursive: true });

    daemon = spawnTracked(pdeathsigArgv([
      'dockerd', '--data-root', dataRoot, '--exec-root', execRoot, '--pidfile', join(execRoot, 'dockerd.pid'),
      '-H', host, '--bridge', bridge, '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false',
      '--storage-driver', 'overlay2', '--default-address-pool', `base=${pool},size=28`,
    ]));
    daemon.stdout?.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    daemon.stderr?.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (daemon.exitCode !== null) throw new Error(`dockerd exited with ${daemon.exitCode}: ${log.slice(-800)}`);
      if ((await dockerRun(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 5000 }).catch(() => ({ code: 1 }))).code === 0) break;
      if (Date.now() > deadline) throw new Error(`dockerd did not answer within 30 s: ${log.slice(-800)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return lab;
  } catch (err) {
    await lab.stop();
    throw err;
  }
}

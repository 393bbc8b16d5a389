/**
 * A disk that writes slowly: an ext4 filesystem on a loop device whose writes
 * are throttled for the processes of a block-I/O cgroup of the lab's own (cgroup
 * v1 `blkio.throttle.write_bps_device`, or v2 `io.max wbps`). A Redis with its
 * `dir` here and `appendfsync everysec` then really waits for its fsyncs: INFO
 * `aof_delayed_fsync` grows and the log says "Asynchronous AOF fsync is taking
 * too long (disk is busy?)" — what a slow or saturated cloud volume does.
 *
 *   const disk = await createSlowDisk({ writeBytesPerSec: 32 << 10 });
 *   // start the server with `dir ${disk.path}`, then:
 *   await disk.throttle(server.pid);          // moves the process into the cgroup
 *   await disk.remove();                      // in finally: lifts the throttle first
 *
 * The throttle is lifted before anything stops: a server that exits flushes its
 * AOF, which at 32 kB/s would hold it in D state for minutes. Names carry the
 * pid (`rdlab-io-<pid>-<n>`): loop devices, mounts and cgroups of a test process
 * that died are removed by the next one. Guard: need.root(), need.binary('losetup'),
 * need.binary('mkfs.ext4'), and slowDiskAvailable().
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { readFile, rmdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { run, runOk } from './exec.js';
import { isAlive, onExitSync } from './procs.js';
import { makeTempDir } from './tmp.js';

const V1 = '/sys/fs/cgroup/blkio';
const V2 = '/sys/fs/cgroup';
const PREFIX = 'rdlab-io';

type Layout = { version: 1 | 2; root: string };

function layout(): Layout | undefined {
  if (existsSync(join(V1, 'blkio.throttle.write_bps_device'))) return { version: 1, root: V1 };
  try {
    if (readFileSync(join(V2, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('io')) return { version: 2, root: V2 };
  } catch {
    // no cgroup v2 at the root
  }
  return undefined;
}

/** Root and a block-I/O controller that can throttle writes. */
export function slowDiskAvailable(): boolean {
  return process.getuid?.() === 0 && layout() !== undefined;
}

export interface SlowDisk {
  /** The mount point: the filesystem on the loop device. */
  path: string;
  /** /dev/loopN */
  device: string;
  /** Moves a process (all its threads) into the throttled cgroup. */
  throttle(pid: number): Promise<void>;
  /** Lifts the throttle (before the server stops). */
  unthrottle(): Promise<void>;
  remove(): Promise<void>;
}

let swept = false;
let counter = 0;

/** Loop devices, mounts and cgroups left by lab processes that died. */
function sweepStale(l: Layout): void {
  if (swept) return;
  swept = true;
  const stale = (name: string) => {
    const m = new RegExp(`${PREFIX}-(\\d+)-\\d+`).exec(name);
    return m !== null && Number(m[1]) !== process.pid && !isAlive(Number(m[1]));
  };
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [source, target] = line.split(' ');
    if (source?.startsWith('/dev/loop') && target && stale(target)) {
      try {
        execFileSync('umount', ['-l', target], { stdio: 'ignore', timeout: 5000 });
      } catch {
        // someone else got there first
      }
    }
  }
  try {
    for (const line of execFileSync('losetup', ['-a'], { encoding: 'utf8', timeout: 5000 }).split('\n')) {
      const dev = /^(\/dev\/loop\d+):/.exec(line)?.[1];
      if (dev && stale(line)) execFileSync('losetup', ['-d', dev], { stdio: 'ignore', timeout: 5000 });
    }
  } catch {
    // nothing to detach
  }
  for (const name of readdirSync(l.root)) {
    if (!name.startsWith(PREFIX) || !stale(name)) continue;
    try {
      rmdirSync(join(l.root, name));
    } catch {
      // still has a process
    }
  }
}

export async function createSlowDisk(opts: { sizeMb?: number; writeBytesPerSec: number }): Promise<SlowDisk> {
  const l = layout();
  if (!l || process.getuid?.() !== 0) throw new Error('createSlowDisk: needs root and a blkio (v1) or io (v2) cgroup controller');
  sweepStale(l);
  const name = `${PREFIX}-${process.pid}-${counter++}`;
  const dir = makeTempDir(name);
  const image = join(dir.path, 'disk.img');
  const mnt = join(dir.path, 'mnt');
  const cgroup = join(l.root, name);
  let device: string | undefined;
  let mounted = false;
  let limit = '';

  const writeLimit = (line: string) => writeFile(join(cgroup, l.version === 1 ? 'blkio.throttle.write_bps_device' : 'io.max'), line);
  const cleanupSync = () => {
    try {
      if (limit) writeFileSync(join(cgroup, l.version === 1 ? 'blkio.throttle.write_bps_device' : 'io.max'), l.version === 1 ? `${limit} 0` : `${limit} wbps=max`);
      if (mounted) execFileSync('umount', ['-l', mnt], { stdio: 'ignore', timeout: 5000 });
      if (device) execFileSync('losetup', ['-d', device], { stdio: 'ignore', timeout: 5000 });
    } catch {
      // best effort on exit
    }
  };
  const unregister = onExitSync(cleanupSync);
  const unthrottle = async () => {
    if (limit) await writeLimit(l.version === 1 ? `${limit} 0` : `${limit} wbps=max`);
  };
  const remove = async () => {
    await unthrottle().catch(() => {});
    if (mounted) {
      const r = await run('umount', [mnt]);
      if (r.code !== 0) await runOk('umount', ['-l', mnt]);
      mounted = false;
    }
    if (device) {
      await run('losetup', ['-d', device]);
      device = undefined;
    }
    // Processes moved in have exited (or are moved back to the root by the kernel when they die).
    for (let i = 0; i < 50 && existsSync(cgroup); i++) {
      try {
        await rmdir(cgroup);
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    limit = '';
    unregister();
    await dir.remove();
  };
  try {
    await runOk('truncate', ['-s', `${opts.sizeMb ?? 64}M`, image]);
    // The image's name carries the lab name: `losetup -a` shows it, so a sweep finds it.
    device = (await runOk('losetup', ['-f', '--show', image])).trim();
    await runOk('mkfs.ext4', ['-q', '-F', device]);
    await mkdir(mnt);
    await runOk('mount', [device, mnt]);
    mounted = true;
    await runOk('chmod', ['0777', mnt]);
    const majMin = (await readFile(`/sys/block/${device.replace('/dev/', '')}/dev`, 'utf8')).trim();
    await mkdir(cgroup);
    limit = majMin;
    await writeLimit(l.version === 1 ? `${majMin} ${opts.writeBytesPerSec}` : `${majMin} wbps=${opts.writeBytesPerSec}`);
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    path: mnt,
    device,
    throttle: (pid: number) => writeFile(join(cgroup, 'cgroup.procs'), String(pid)),
    unthrottle,
    remove,
  };
}

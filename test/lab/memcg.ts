/**
 * A memory cgroup of its own, small enough that the kernel OOM killer ends what
 * runs in it: a real "Memory cgroup out of memory: Killed process <pid>
 * (redis-server)" and its "oom-kill:…,task_memcg=/rdlab-oom-<pid>-<n>,…" line in
 * the kernel log (mm/memcontrol.c, mm/oom_kill.c), as a host whose Redis was
 * OOM-killed shows.
 *
 *   const cg = await createMemoryCgroup(24 << 20);
 *   const server = await startRedis({ memoryCgroup: cg, … });   // runs inside it
 *   await cg.oomKill(server);                                    // SETRANGE past the limit
 *   await cg.remove();                                           // in finally
 *
 * cgroup v2 (`/sys/fs/cgroup/cgroup.controllers` lists memory): memory.max and
 * memory.swap.max 0. cgroup v1 (this lab VM's kernel mounts the memory
 * controller at /sys/fs/cgroup/memory): memory.limit_in_bytes and, where swap
 * accounting exists, memory.memsw.limit_in_bytes. The kernel's `task_memcg=`
 * is the path inside the memory hierarchy: `/rdlab-oom-<pid>-<n>` either way.
 * Directories of test processes that died are removed by the next one.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './exec.js';
import { pollUntil } from './poll.js';
import { hasExited, isAlive } from './procs.js';
import type { RedisServer } from './redis.js';
import { connectRawUnix } from './raw-client.js';

const V2_ROOT = '/sys/fs/cgroup';
const V1_ROOT = '/sys/fs/cgroup/memory';
const PREFIX = 'rdlab-oom';

type Layout = { version: 1 | 2; root: string };

function layout(): Layout | undefined {
  try {
    if (readFileSync(join(V2_ROOT, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('memory')) return { version: 2, root: V2_ROOT };
  } catch {
    // not cgroup v2 at the root
  }
  return existsSync(join(V1_ROOT, 'memory.limit_in_bytes')) ? { version: 1, root: V1_ROOT } : undefined;
}

/** Root, and a memory controller this process can make children in. */
export function memcgAvailable(): boolean {
  return process.getuid?.() === 0 && layout() !== undefined;
}

let swept = false;
function sweepStale(root: string): void {
  if (swept) return;
  swept = true;
  for (const name of readdirSync(root)) {
    const m = new RegExp(`^${PREFIX}-(\\d+)-\\d+$`).exec(name);
    if (!m || Number(m[1]) === process.pid || isAlive(Number(m[1]))) continue;
    try {
      rmdirSync(join(root, name));
    } catch {
      // still has a process, or someone else got there first
    }
  }
}

export interface MemoryCgroup {
  /** As the kernel prints it in `task_memcg=`: `/rdlab-oom-<pid>-<n>`. */
  memcg: string;
  /** Writing a pid here moves that process in. */
  procsFile: string;
  version: 1 | 2;
  /** SETRANGE far past the limit on the server's Unix socket, until the kernel kills it (bounded: 10 s). */
  oomKill(server: Pick<RedisServer, 'socket' | 'process' | 'pid'>): Promise<void>;
  setLimit(bytes: number): Promise<void>;
  remove(): Promise<void>;
}

let counter = 0;

export async function createMemoryCgroup(limitBytes: number): Promise<MemoryCgroup> {
  const where = layout();
  if (!where) throw new Error('no memory cgroup controller (cgroup v1 memory or v2 with memory)');
  sweepStale(where.root);
  const name = `${PREFIX}-${process.pid}-${++counter}`;
  const dir = join(where.root, name);
  await mkdir(dir);
  const setLimit = async (bytes: number): Promise<void> => {
    if (where.version === 2) {
      await writeFile(join(dir, 'memory.max'), String(bytes));
      if (existsSync(join(dir, 'memory.swap.max'))) await writeFile(join(dir, 'memory.swap.max'), '0');
      return;
    }
    // v1 refuses a memsw limit below the memory limit: raise memsw first when growing.
    const memsw = join(dir, 'memory.memsw.limit_in_bytes');
    const hasMemsw = existsSync(memsw);
    if (hasMemsw && bytes > Number((await readFile(join(dir, 'memory.limit_in_bytes'), 'utf8')).trim())) await writeFile(memsw, String(bytes));
    await writeFile(join(dir, 'memory.limit_in_bytes'), String(bytes));
    if (hasMemsw) await writeFile(memsw, String(bytes));
  };
  await setLimit(limitBytes);
  const oomKill = async (server: Pick<RedisServer, 'socket' | 'process' | 'pid'>): Promise<void> => {
    const client = await connectRawUnix(server.socket, 2000);
    // One string of 4 × the limit, zero-filled as it grows (sdsgrowzero): the pages are touched at once.
    client.command('SETRANGE', 'rdlab:oom', String(limitBytes * 4), 'x').catch(() => undefined);
    try {
      await pollUntil(async () => (hasExited(server.process) ? true : undefined), { what: `the OOM kill of redis-server ${server.pid} in ${name}`, timeoutMs: 10_000 });
    } finally {
      client.close();
    }
    if (server.process.signalCode !== 'SIGKILL') throw new Error(`redis-server ${server.pid} ended by ${server.process.signalCode ?? `exit ${server.process.exitCode}`}, not the OOM killer`);
  };
  return {
    memcg: `/${name}`,
    procsFile: join(dir, 'cgroup.procs'),
    version: where.version,
    oomKill,
    setLimit,
    remove: async () => {
      // A killed process leaves the cgroup when it is reaped; rmdir fails with EBUSY until then.
      await pollUntil(
        async () => {
          try {
            await rmdir(dir);
            return true;
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
            if ((error as NodeJS.ErrnoException).code === 'EBUSY') return undefined;
            throw error;
          }
        },
        { what: `rmdir ${dir}`, timeoutMs: 5000 },
      );
    },
  };
}

/** The kernel log's OOM lines for `pid` (dmesg, read here: the lab's kernel is the SSH host's). */
export async function kernelOomLines(pid: number): Promise<string[]> {
  const r = await run('dmesg', []);
  return r.stdout.split('\n').filter((l) => l.includes(`Killed process ${pid} (`) || l.includes(`,pid=${pid},`));
}

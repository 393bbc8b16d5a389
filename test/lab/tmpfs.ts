/**
 * A tiny tmpfs filled to the last block: a data directory on a full disk.
 * Redis writes its RDB to `temp-<pid>.rdb` in `dir`; on a full filesystem the
 * background save fails ("Write error saving DB on disk: No space left on
 * device") and, with save points configured, writes get -MISCONF.
 *
 * The mount's source is named `rdlab-tmpfs-<pid>` so mounts left by a test
 * process that died are found and removed by the next one.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { open, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { run, runOk } from './exec.js';
import { isAlive, onExitSync } from './procs.js';
import { makeTempDir } from './tmp.js';

export interface FullTmpfs {
  path: string;
  unmount(): Promise<void>;
}

const SOURCE = 'rdlab-tmpfs';
let swept = false;

function sweepStale(): void {
  if (swept) return;
  swept = true;
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [source, target] = line.split(' ');
    const match = new RegExp(`^${SOURCE}-(\\d+)$`).exec(source ?? '');
    if (match && target && Number(match[1]) !== process.pid && !isAlive(Number(match[1]))) {
      try {
        execFileSync('umount', ['-l', target], { stdio: 'ignore', timeout: 5000 });
      } catch {
        // someone else got there first
      }
    }
  }
}

async function fill(path: string, sizeKb: number): Promise<void> {
  const file = await open(join(path, 'filler'), 'w');
  const chunk = Buffer.alloc(4096);
  try {
    // Bounded: a tmpfs of sizeKb cannot take more than sizeKb/4 chunks.
    for (let i = 0; i < sizeKb / 4 + 64; i++) {
      try {
        await file.write(chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return;
        throw error;
      }
    }
    throw new Error(`tmpfs at ${path} never filled up`);
  } finally {
    await file.close();
  }
}

export async function mountFullTmpfs(sizeKb = 256): Promise<FullTmpfs> {
  sweepStale();
  const dir = makeTempDir('tmpfs');
  let mounted = false;
  const unregister = onExitSync(() => {
    if (mounted) execFileSync('umount', ['-l', dir.path], { stdio: 'ignore', timeout: 5000 });
  });
  const unmount = async (): Promise<void> => {
    if (mounted) {
      const result = await run('umount', [dir.path]);
      if (result.code !== 0) await runOk('umount', ['-l', dir.path]);
      mounted = false;
    }
    unregister();
    await dir.remove();
  };
  try {
    await runOk('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0777`, `${SOURCE}-${process.pid}`, dir.path]);
    mounted = true;
    await fill(dir.path, sizeKb);
    const stats = await statfs(dir.path);
    if (stats.bavail !== 0) throw new Error(`tmpfs at ${dir.path} still has ${stats.bavail} free blocks`);
  } catch (error) {
    await unmount();
    throw error;
  }
  return { path: dir.path, unmount };
}

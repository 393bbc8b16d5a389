/**
 * A lock between test processes on one machine (building a cached image once):
 * `mkdir` is atomic, the directory holds the holder's pid, and a lock whose
 * holder died, or that is held past the wait, is taken over. Bounded: at most
 * `waitMs` of waiting, one look per second. Re-entrant within a process: a holder that asks for
 * its own lock again (lab/docker.ts builds the Redis image under it and the base image inside
 * that) runs at once instead of waiting `waitMs` for itself; another caller in the same process still waits.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from './procs.js';

/** The locks the current async call chain holds (not merely this process: two parallel callers still take turns). */
const held = new AsyncLocalStorage<ReadonlySet<string>>();

export async function withDirLock<T>(lockDir: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
  const mine = held.getStore() ?? new Set<string>();
  if (mine.has(lockDir)) return fn();
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch {
      let holder = NaN;
      try {
        holder = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
      } catch {
        // being created, or just removed
      }
      // A holder that died (or never wrote its pid within the wait) leaves the lock to us.
      if ((Number.isInteger(holder) && holder > 0 && !isAlive(holder)) || Date.now() > deadline) rmSync(lockDir, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  try {
    return await held.run(new Set([...mine, lockDir]), fn);
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

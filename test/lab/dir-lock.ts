/**
 * A lock between test processes on one machine (building a cached image once):
 * `mkdir` is atomic, the directory holds the holder's pid, and a lock whose
 * holder died, or that is held past the wait, is taken over. Bounded: at most
 * `waitMs` of waiting, one look per second.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from './procs.js';

export async function withDirLock<T>(lockDir: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
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
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

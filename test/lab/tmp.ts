/**
 * Temporary directories named `rdlab-<label>-<pid>-…` under the system temp
 * dir, removed by remove() or, failing that, when the process exits. Those
 * left by a lab process that was killed outright are removed by the next
 * one (the pid in the name is no longer alive).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, onExitSync } from './procs.js';

export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

let swept = false;

function sweepStale(): void {
  if (swept) return;
  swept = true;
  for (const name of readdirSync(tmpdir())) {
    const match = /^rdlab-[a-z]+-(\d+)-/.exec(name);
    if (!match || Number(match[1]) === process.pid || isAlive(Number(match[1]))) continue;
    try {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
    } catch {
      // still mounted (swept by tmpfs.ts) or already gone
    }
  }
}

export function makeTempDir(label: string): TempDir {
  sweepStale();
  const path = mkdtempSync(join(tmpdir(), `rdlab-${label}-${process.pid}-`));
  const unregister = onExitSync(() => rmSync(path, { recursive: true, force: true }));
  return {
    path,
    async remove() {
      unregister();
      await rm(path, { recursive: true, force: true });
    },
  };
}

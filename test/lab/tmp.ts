/**
 * Temporary directories named `rdlab-<label>-<pid>-…` under the system temp
 * dir, removed by remove() or, failing that, when the process exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onExitSync } from './procs.js';

export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

export function makeTempDir(label: string): TempDir {
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

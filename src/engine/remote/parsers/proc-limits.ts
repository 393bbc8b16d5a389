/**
 * `/proc/<pid>/limits` (proc(5)) → the open-files limit. The remote script
 * prints `### pid <n>` before each file. Redis raises its own soft limit up to
 * the hard limit at start (server.c adjustOpenFilesLimit), so the soft value
 * seen here is what it ended up with.
 */
import type { OpenFilesLimit } from '../types.js';
import { outputLines } from '../../shared/lines.js';

function limitValue(v: string): number | null | undefined {
  if (v === 'unlimited') return null;
  return /^\d+$/.test(v) ? Number(v) : undefined;
}

export function parseProcLimits(output: string): OpenFilesLimit[] {
  const out: OpenFilesLimit[] = [];
  let pid: number | undefined;
  for (const raw of outputLines(output)) {
    const h = /^### pid (\d+)$/.exec(raw);
    if (h) {
      pid = Number(h[1]);
      continue;
    }
    const m = /^Max open files\s+(\S+)\s+(\S+)\s+files/.exec(raw);
    if (!m || pid === undefined) continue;
    const soft = limitValue(m[1]!);
    const hard = limitValue(m[2]!);
    if (soft === undefined || hard === undefined) continue;
    out.push({ pid, soft, hard, line: raw.trim().replace(/\s+/g, ' ') });
    pid = undefined;
    // One file per redis-server pid asked for (ps keeps at most 64).
    if (out.length >= 64) break;
  }
  return out;
}

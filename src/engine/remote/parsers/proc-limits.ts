/**
 * `/proc/<pid>/limits` (proc(5)) → the open-files limit. The remote script
 * prints `### pid <n>` before each file. Redis raises its own soft limit up to
 * the hard limit at start (server.c adjustOpenFilesLimit), so the soft value
 * seen here is what it ended up with.
 */
import type { OpenFilesLimit, ProcessCgroup } from '../types.js';
import { outputLines } from '../../shared/lines.js';

function limitValue(v: string): number | null | undefined {
  if (v === 'unlimited') return null;
  return /^\d+$/.test(v) ? Number(v) : undefined;
}

export function parseProcLimits(output: string): OpenFilesLimit[] {
  const out: OpenFilesLimit[] = [];
  let pid: number | undefined;
  for (const raw of outputLines(output)) {
    const h = /^### pid (\d{1,10})$/.exec(raw);
    if (h) {
      pid = Number(h[1]);
      continue;
    }
    if (raw.startsWith('### ')) pid = undefined;
    const m = /^Max open files\s+(\S+)\s+(\S+)\s+files/.exec(raw.slice(0, 200));
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

const MAX_CGROUP_PATH = 512;

/**
 * The `### cgroup <pid>` sections (proc(7) /proc/<pid>/cgroup: `hierarchy-ID:controllers:path`)
 * → each pid's memory cgroup: the cgroup v1 line whose controllers include `memory`, else the
 * v2 line `0::/path` (one unified hierarchy). That path is what the kernel prints as `task_memcg=`.
 */
export function parseProcCgroups(output: string): ProcessCgroup[] {
  const v1 = new Map<number, string>();
  const v2 = new Map<number, string>();
  let pid: number | undefined;
  for (const raw of outputLines(output)) {
    if (raw.startsWith('### ')) {
      const h = /^### cgroup (\d{1,10})$/.exec(raw);
      pid = h ? Number(h[1]) : undefined;
      continue;
    }
    if (pid === undefined) continue;
    const line = raw.trim();
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    if (b < 0) continue;
    const path = line.slice(b + 1);
    if (!path.startsWith('/') || path.length > MAX_CGROUP_PATH || /\s/.test(path)) continue;
    const controllers = line.slice(a + 1, b);
    if (line.slice(0, a) === '0' && controllers === '') v2.set(pid, path);
    else if (controllers.split(',').includes('memory')) v1.set(pid, path);
  }
  return [...new Set([...v1.keys(), ...v2.keys()])].map((p) => ({ pid: p, memcg: v1.get(p) ?? v2.get(p)! }));
}

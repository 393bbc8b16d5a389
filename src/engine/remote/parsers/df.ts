/**
 * The remote `df` script: `### <origin> <pid|config path|-> <path>` headers,
 * each followed by POSIX `df -P -k <path>` output:
 *   Filesystem     1024-blocks  Used Available Capacity Mounted on
 *   tmpfs                 1024  1024         0     100% /var/lib/redis
 * -P keeps one line per filesystem even for long device names.
 */
import type { DiskUsage } from '../types.js';
import { outputLines } from '../../shared/lines.js';

const ORIGINS = new Set(['process-cwd', 'config-dir', 'default-dir']);

/** One `df -P -k` data line. */
export function parseDfLine(line: string): Omit<DiskUsage, 'origin' | 'path'> | undefined {
  const m = /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%\s+(\/.*)$/.exec(line.trim());
  if (!m) return undefined;
  return {
    filesystem: m[1]!,
    sizeBytes: Number(m[2]) * 1024,
    usedBytes: Number(m[3]) * 1024,
    availableBytes: Number(m[4]) * 1024,
    usePercent: Number(m[5]),
    mountedOn: m[6]!,
    line: line.trim().replace(/\s+/g, ' '),
  };
}

/** The script asks about a few directories (per process, per config file, the defaults). */
const MAX_DIRS = 64;

export function parseDfOutput(output: string): DiskUsage[] {
  const out: DiskUsage[] = [];
  const seen = new Set<string>();
  let head: { origin: DiskUsage['origin']; ref: string; path: string } | undefined;
  for (const raw of outputLines(output)) {
    const h = /^### (\S+) (\S+) (\/.*)$/.exec(raw);
    if (h) {
      head = ORIGINS.has(h[1]!) ? { origin: h[1] as DiskUsage['origin'], ref: h[2]!, path: h[3]! } : undefined;
      continue;
    }
    const d = head && parseDfLine(raw);
    if (!head || !d) continue;
    const usage: DiskUsage = { origin: head.origin, path: head.path, ...d };
    if (head.origin === 'process-cwd' && /^\d+$/.test(head.ref)) usage.pid = Number(head.ref);
    if (head.origin === 'config-dir') usage.configPath = head.ref;
    // Several origins often name the same directory; keep the first.
    if (!seen.has(usage.path)) out.push(usage);
    seen.add(usage.path);
    head = undefined;
    if (out.length >= MAX_DIRS) break;
  }
  return out;
}

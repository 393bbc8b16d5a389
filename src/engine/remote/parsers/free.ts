/**
 * `free -b` → memory totals. procps ≥ 3.3.10 prints an `available` column
 * (MemAvailable); older ones print buffers/cached instead, so columns are
 * found by header name.
 */
import type { MemoryInfo } from '../types.js';
import { outputLines } from '../../shared/lines.js';

export function parseFree(output: string): MemoryInfo | undefined {
  const lines = outputLines(output);
  const header = lines.find((l) => /\btotal\b/.test(l) && /\bused\b/.test(l))?.trim().split(/\s+/);
  const mem = lines.find((l) => /^Mem:/.test(l));
  const swap = lines.find((l) => /^Swap:/.test(l));
  if (!header || !mem) return undefined;
  const col = (line: string | undefined, name: string): number | undefined => {
    if (!line) return undefined;
    const values = line.trim().split(/\s+/).slice(1);
    const i = header.indexOf(name);
    const v = i >= 0 ? values[i] : undefined;
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const total = col(mem, 'total');
  const used = col(mem, 'used');
  const free = col(mem, 'free');
  if (total === undefined || used === undefined || free === undefined) return undefined;
  const info: MemoryInfo = {
    totalBytes: total,
    usedBytes: used,
    freeBytes: free,
    swapTotalBytes: col(swap, 'total') ?? 0,
    swapFreeBytes: col(swap, 'free') ?? 0,
    line: mem.trim().replace(/\s+/g, ' '),
  };
  const available = col(mem, 'available');
  if (available !== undefined) info.availableBytes = available;
  return info;
}

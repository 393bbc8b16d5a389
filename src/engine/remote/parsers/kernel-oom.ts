/**
 * Kernel log lines (from `dmesg`, or `journalctl -k` where dmesg is restricted)
 * already filtered on the host by `grep -iE 'out of memory|oom-kill|killed process'`
 * → OOM kills of redis-server. The kernel (mm/oom_kill.c) prints
 *   "Out of memory: Killed process 1234 (redis-server) total-vm:… anon-rss:…"
 *   "Memory cgroup out of memory: Killed process 1234 (redis-server) …"
 *   "oom-kill:constraint=…,task=redis-server,pid=1234,uid=999"
 * and kernels before 4.19 "Killed process 1234 (redis-server) total-vm:…".
 */
import type { OomEvidence, OomKill } from '../types.js';
import { outputLines } from '../../shared/lines.js';

const MAX_KILLS = 20;

function killOf(line: string): OomKill | undefined {
  const killed = /Killed process (\d+) \(([^)]+)\)/.exec(line);
  if (killed) return { pid: Number(killed[1]), process: killed[2]!, line: line.trim() };
  const summary = /oom-kill:.*\btask=([^,\s]+),pid=(\d+)/.exec(line);
  if (summary) return { pid: Number(summary[2]), process: summary[1]!, line: line.trim() };
  return undefined;
}

export function parseKernelOom(output: string): OomEvidence | undefined {
  const lines = outputLines(output);
  const sourceLine = lines.find((l) => l.startsWith('### source '));
  const source = sourceLine?.slice('### source '.length).trim();
  if (source !== 'dmesg' && source !== 'journalctl') return undefined;
  const byPid = new Map<number, OomKill>();
  for (const line of lines) {
    const k = killOf(line);
    if (!k || !k.process.startsWith('redis-server')) continue;
    const prev = byPid.get(k.pid!);
    // Prefer the "Killed process" line: it carries the memory figures.
    if (!prev || (!/Killed process/.test(prev.line) && /Killed process/.test(k.line))) byPid.set(k.pid!, k);
  }
  return { source, kills: [...byPid.values()].slice(-MAX_KILLS) };
}

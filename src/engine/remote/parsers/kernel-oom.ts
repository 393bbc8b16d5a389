/**
 * Kernel log lines (from `dmesg`, or `journalctl -k` where dmesg is restricted)
 * already filtered on the host by `grep -iE 'out of memory|oom-kill|killed process'`
 * → OOM kills of redis-server. The kernel (mm/oom_kill.c) prints
 *   "Out of memory: Killed process 1234 (redis-server) total-vm:… anon-rss:…"
 *   "Memory cgroup out of memory: Killed process 1234 (redis-server) …"
 *   "oom-kill:constraint=…,task_memcg=/system.slice/redis-server.service,task=redis-server,pid=1234,uid=999"
 * and kernels before 4.19 "Killed process 1234 (redis-server) total-vm:…".
 *
 * The summary's `task_memcg=` is the memory cgroup the killed task ran in: what
 * ties a kill to one systemd unit or container (rules/helpers/oom-link.ts).
 * When the kill happened: journalctl prints the time; a dmesg line carries
 * seconds since boot, which the script's `### clock <epoch> <uptime>` line turns
 * into a time (dmesg stamps do not count suspended time: a server that slept
 * is off by that much, which only widens the window a kill could fall in).
 */
import type { OomEvidence, OomKill } from '../types.js';
import { outputLines } from '../../shared/lines.js';

const MAX_KILLS = 20;

interface Clock {
  epochSec: number;
  uptimeSec: number;
}

function clockOf(line: string): Clock | undefined {
  const m = /^### clock (\d{1,12}) (\d{1,10}(?:\.\d{1,9})?)$/.exec(line.trim());
  return m ? { epochSec: Number(m[1]), uptimeSec: Number(m[2]) } : undefined;
}

function timeOf(line: string, clock: Clock | undefined): string | undefined {
  const iso = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?)([+-]\d\d):?(\d\d)\b/.exec(line);
  if (iso) {
    const t = Date.parse(`${iso[1]}${iso[2]}:${iso[3]}`);
    return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
  }
  const stamp = /^\[\s{0,12}(\d{1,10}\.\d{1,9})\]/.exec(line);
  if (!stamp || !clock) return undefined;
  const sec = clock.epochSec - (clock.uptimeSec - Number(stamp[1]));
  return new Date(Math.round(sec * 1000)).toISOString();
}

function killOf(line: string): OomKill | undefined {
  const killed = /Killed process (\d{1,10}) \(([^)]{1,64})\)/.exec(line);
  if (killed) return { pid: Number(killed[1]), process: killed[2]!, line: line.trim() };
  const summary = /oom-kill:[^ ]*\btask=([^,\s]{1,64}),pid=(\d{1,10})/.exec(line);
  if (!summary) return undefined;
  const kill: OomKill = { pid: Number(summary[2]), process: summary[1]!, line: line.trim() };
  const memcg = /[,:]task_memcg=([^,\s]{1,512})/.exec(line)?.[1];
  if (memcg) kill.memcg = memcg;
  return kill;
}

const isKilledLine = (k: OomKill) => k.line.includes('Killed process');

export function parseKernelOom(output: string): OomEvidence | undefined {
  const lines = outputLines(output);
  const sourceLine = lines.find((l) => l.startsWith('### source '));
  const source = sourceLine?.slice('### source '.length).trim();
  if (source !== 'dmesg' && source !== 'journalctl') return undefined;
  const clock = lines.map(clockOf).find((c) => c !== undefined);
  const byPid = new Map<number, OomKill>();
  for (const line of lines) {
    const k = killOf(line);
    if (!k || !k.process.startsWith('redis-server')) continue;
    const at = timeOf(line, clock);
    if (at) k.at = at;
    const prev = byPid.get(k.pid!);
    // One kill prints both lines: keep the "Killed process" line (it carries the memory
    // figures) and the summary's task_memcg.
    const merged: OomKill = !prev ? k : isKilledLine(k) && !isKilledLine(prev) ? { ...prev, ...k } : { ...k, ...prev };
    const memcg = k.memcg ?? prev?.memcg;
    if (memcg) merged.memcg = memcg;
    byPid.delete(k.pid!);
    byPid.set(k.pid!, merged);
  }
  return { source, kills: [...byPid.values()].slice(-MAX_KILLS) };
}

/**
 * HOST_TUNING_SCRIPT output (scripts.ts) → HostTuning, and the `### status <pid>`
 * sections of the proc-limits script → VmSwap/VmRSS per pid. Host output is
 * hostile: lines capped before any test, numbers bounded, at most a few
 * ports kept, nothing but numbers and the THP keyword leave the parser.
 */
import type { HostTuning, ProcessStatus } from '../types.js';
import { outputLines } from '../../shared/lines.js';

const MAX_PORTS = 16;

export function parseHostTuning(output: string): HostTuning {
  const out: HostTuning = {};
  let section = '';
  for (const raw of outputLines(output)) {
    const line = raw.slice(0, 200).trim();
    if (line.startsWith('### ')) {
      section = line.slice(4);
      continue;
    }
    if (section === 'thp' && out.thp === undefined) {
      const m = /\[(always|madvise|never)\]/.exec(line);
      if (m) out.thp = m[1]!;
    } else if (section === 'port-range' && out.portRange === undefined) {
      const m = /^([0-9]{1,5})\s+([0-9]{1,5})$/.exec(line);
      if (m && Number(m[1]) <= Number(m[2]) && Number(m[2]) < 65536) out.portRange = [Number(m[1]), Number(m[2])];
    } else if (section === 'io-pressure') {
      // `some avg10=1.35 avg60=1.29 avg300=0.97 total=7227169`, then the `full` line.
      const m = /^(some|full) avg10=([0-9]{1,3}\.[0-9]{1,2}) avg60=([0-9]{1,3}\.[0-9]{1,2}) /.exec(line);
      if (m) {
        const p = (out.ioPressure ??= { some10: 0, some60: 0, full10: 0, full60: 0 });
        if (m[1] === 'some') [p.some10, p.some60] = [Number(m[2]), Number(m[3])];
        else [p.full10, p.full60] = [Number(m[2]), Number(m[3])];
      }
    } else if (section === 'time-wait') {
      const t = /^t ([0-9]{1,9})$/.exec(line);
      if (t) out.timeWaitTotal = Number(t[1]);
      const c = /^c ([0-9]{1,9}) ([0-9]{1,5})$/.exec(line);
      if (c && Number(c[2]) > 0 && Number(c[2]) < 65536 && (out.timeWait ??= []).length < MAX_PORTS) out.timeWait.push({ port: Number(c[2]), count: Number(c[1]) });
    }
  }
  return out;
}

/** `### status <pid>` then `VmRSS:  1234 kB` / `VmSwap:  0 kB` lines. */
export function parseProcStatus(output: string): ProcessStatus[] {
  const out: ProcessStatus[] = [];
  let current: ProcessStatus | undefined;
  for (const raw of outputLines(output)) {
    const line = raw.slice(0, 200);
    const h = /^### status ([0-9]{1,10})$/.exec(line);
    if (h) {
      current = out.length < 64 ? { pid: Number(h[1]) } : undefined;
      if (current) out.push(current);
      continue;
    }
    if (line.startsWith('### ')) current = undefined;
    const m = /^(VmSwap|VmRSS):\s+([0-9]{1,15}) kB$/.exec(line.trim());
    if (!m || !current) continue;
    if (m[1] === 'VmSwap') current.vmSwapKb = Number(m[2]);
    else current.vmRssKb = Number(m[2]);
  }
  return out.filter((s) => s.vmSwapKb !== undefined || s.vmRssKb !== undefined);
}

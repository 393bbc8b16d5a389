/**
 * `systemctl show -p Id,LoadState,ActiveState,…,ExecMainPID,ControlGroup <unit>` blocks (key=value,
 * a blank line between units) → unit state. ExecStart looks like
 * `{ path=/usr/bin/redis-server ; argv[]=/usr/bin/redis-server /etc/redis/redis.conf … ; … }`.
 */
import { isSafeAbsolutePath } from '../shell.js';
import type { SystemdUnit } from '../types.js';
import { redactCommandLine } from './ps.js';
import { outputLines } from '../../shared/lines.js';

const MAX_UNITS = 16;

function int(v: string | undefined): number | undefined {
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

function summarize(u: SystemdUnit): string {
  const state = `${u.activeState ?? '?'}${u.subState ? ` (${u.subState})` : ''}`;
  const extra: string[] = [];
  if (u.result && u.result !== 'success') extra.push(`Result: ${u.result}`);
  if (u.execMainStatus !== undefined && u.execMainStatus !== 0) extra.push(`exit status ${u.execMainStatus}`);
  if (u.mainPid) extra.push(`MainPID ${u.mainPid}`);
  if (u.nRestarts) extra.push(`${u.nRestarts} restarts`);
  return `${u.id}: ${state}${extra.length ? `, ${extra.join(', ')}` : ''}`;
}

function toUnit(fields: Map<string, string>): SystemdUnit | undefined {
  const id = fields.get('Id');
  if (!id) return undefined;
  const u: SystemdUnit = { id, summary: '' };
  const set = <K extends keyof SystemdUnit>(k: K, v: SystemdUnit[K] | undefined) => {
    if (v !== undefined && v !== '') u[k] = v;
  };
  set('loadState', fields.get('LoadState'));
  set('activeState', fields.get('ActiveState'));
  set('subState', fields.get('SubState'));
  set('result', fields.get('Result'));
  set('execMainCode', fields.get('ExecMainCode'));
  set('execMainStatus', int(fields.get('ExecMainStatus')));
  set('mainPid', int(fields.get('MainPID')));
  // ExecMainPID outlives the process (0 only before the first start): a killed server's pid.
  const last = int(fields.get('ExecMainPID'));
  if (last) u.execMainPid = last;
  const cg = fields.get('ControlGroup')?.slice(0, 512);
  if (cg && cg.startsWith('/') && !/\s/.test(cg)) u.controlGroup = cg;
  set('nRestarts', int(fields.get('NRestarts')));
  const argv = /argv\[\]=([^;]*)/.exec(fields.get('ExecStart') ?? '')?.[1]?.trim();
  if (argv) {
    u.execStartArgv = redactCommandLine(argv);
    const conf = argv.split(/\s+/).slice(1).find((a) => a.startsWith('/') && /\.conf$/.test(a));
    if (conf && isSafeAbsolutePath(conf)) u.configPath = conf;
  }
  u.summary = summarize(u);
  return u;
}

export function parseSystemdShow(output: string): SystemdUnit[] {
  const units: SystemdUnit[] = [];
  let fields = new Map<string, string>();
  const flush = () => {
    const u = toUnit(fields);
    if (u && units.length < MAX_UNITS && !units.some((x) => x.id === u.id)) units.push(u);
    fields = new Map();
  };
  for (const line of outputLines(output)) {
    if (line.trim() === '') {
      flush();
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  flush();
  return units;
}

/**
 * `ss -ltnp` (or `netstat -ltnp` where ss is missing) → listening TCP sockets.
 * Process names and pids only appear for sockets the remote user may inspect
 * (all of them as root or through `sudo -n`).
 */
import type { TcpListener } from '../types.js';
import { outputLines } from '../../shared/lines.js';

const MAX_LISTENERS = 512;

/** `127.0.0.1:6379`, `[::1]:6379`, `*:6379`, `0.0.0.0%lo:53`, netstat's `:::6379`. */
export function splitHostPort(text: string): { address: string; port: number } | undefined {
  const m = /^(.*):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  let address = m[1]!.replace(/^\[(.*)\]$/, '$1');
  // The zone (`%lo`) after the last `]` or `:`; a search, not /%[^\]:]*$/ tried at every `%`.
  const zone = address.indexOf('%', Math.max(address.lastIndexOf(']'), address.lastIndexOf(':')) + 1);
  if (zone >= 0) address = address.slice(0, zone);
  if (address === '') address = '*';
  return { address, port };
}

function parseSsLine(line: string): TcpListener | undefined {
  const f = line.trim().split(/\s+/);
  // State Recv-Q Send-Q Local Peer [Process]; with -t only LISTEN rows are printed.
  if (f[0] !== 'LISTEN' || f.length < 5) return undefined;
  const local = splitHostPort(f[3]!);
  if (!local) return undefined;
  const l: TcpListener = { ...local, line: line.trim().replace(/\s+/g, ' ') };
  const users = /users:\(\("([^"]+)",pid=(\d+)/.exec(line);
  if (users) {
    l.process = users[1]!;
    l.pid = Number(users[2]);
  }
  return l;
}

function parseNetstatLine(line: string): TcpListener | undefined {
  const f = line.trim().split(/\s+/);
  // Proto Recv-Q Send-Q Local Foreign State PID/Program
  if (!/^tcp6?$/.test(f[0] ?? '') || f[5] !== 'LISTEN') return undefined;
  const local = splitHostPort(f[3]!);
  if (!local) return undefined;
  const l: TcpListener = { ...local, line: line.trim().replace(/\s+/g, ' ') };
  const prog = /^(\d+)\/(\S+)/.exec(f[6] ?? '');
  if (prog) {
    l.pid = Number(prog[1]);
    l.process = prog[2]!;
  }
  return l;
}

export function parseListeners(output: string): TcpListener[] {
  const out: TcpListener[] = [];
  for (const line of outputLines(output)) {
    const l = parseSsLine(line) ?? parseNetstatLine(line);
    if (l) out.push(l);
    if (out.length >= MAX_LISTENERS) break;
  }
  return out;
}

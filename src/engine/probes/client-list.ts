/**
 * CLIENT LIST read into a summary that keeps no more than a few addresses:
 * the clients whose output buffer holds data (omem/oll, the pub/sub and
 * replica ones that client-output-buffer-limit closes), and the clients by
 * source address (a pool that leaks connections shows as one address holding
 * most of them, idle). Each line is `key=value` pairs separated by spaces
 * (networking.c catClientInfoString):
 *   id=7 addr=10.0.0.8:51234 laddr=… fd=9 name=worker age=12 idle=12 flags=P … oll=3 omem=61440 … cmd=subscribe …
 * flags: P pub/sub subscriber, S replica, M primary, O MONITOR, N none.
 *
 * The reply is hostile and may be megabytes (tens of thousands of clients):
 * read in one linear pass over at most MAX_BYTES, at most MAX_LINES lines of
 * at most LINE_MAX characters each; a field's value is cut before any test,
 * names and addresses are capped and their invisible characters shown.
 * Our own connection (cmd=client|list) is not counted.
 */
import type { BufferedClient, ClientListObservation, ClientSource } from '../model/types.js';
import { showInvisible } from '../shared/text.js';

export const MAX_LINES = 5000;
const MAX_BYTES = 2 * 1024 * 1024;
const LINE_MAX = 4096;
const VALUE_MAX = 64;
const SHOWN = 5;
/** A client idle this long (s) counts as idle: a pool's spare connection, or a leaked one. */
export const IDLE_SEC = 10;

function num(v: string | undefined): number | undefined {
  return v !== undefined && /^[0-9]{1,15}$/.test(v) ? Number(v) : undefined;
}

function shown(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  return showInvisible(v.length > VALUE_MAX - 1 ? `${v.slice(0, VALUE_MAX - 1)}…` : v);
}

/** `10.0.0.8:51234` → `10.0.0.8`; `::1:6000` → `::1`; a Unix socket `/run/redis.sock:0` → its path. */
function sourceOf(addr: string): string {
  const i = addr.lastIndexOf(':');
  return i > 0 ? addr.slice(0, i) : addr;
}

/** The fields of one line; values capped at VALUE_MAX + 1 characters. */
function fields(line: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < line.length && out.size < 64) {
    let end = line.indexOf(' ', i);
    if (end < 0) end = line.length;
    const eq = line.indexOf('=', i);
    if (eq > i && eq < end) {
      const key = line.slice(i, eq);
      if (key.length <= 16 && !out.has(key)) out.set(key, line.slice(eq + 1, Math.min(end, eq + 1 + VALUE_MAX + 1)));
    }
    i = end + 1;
  }
  return out;
}

export function parseClientList(text: string): ClientListObservation {
  const truncated = text.length > MAX_BYTES;
  const body = truncated ? text.slice(0, MAX_BYTES) : text;
  const buffered: BufferedClient[] = [];
  const bySource = new Map<string, ClientSource>();
  let total = 0;
  let idle = 0;
  let pubsub = 0;
  let replicas = 0;
  let lines = 0;
  let more = truncated;
  for (let start = 0; start < body.length; ) {
    let end = body.indexOf('\n', start);
    if (end < 0) end = body.length;
    const raw = body.slice(start, Math.min(end, start + LINE_MAX)).replace(/\r$/, '');
    start = end + 1;
    if (raw.trim() === '') continue;
    if (++lines > MAX_LINES) {
      more = true;
      break;
    }
    const f = fields(raw);
    if (f.get('cmd') === 'client|list') continue;
    const addr = f.get('addr');
    if (addr === undefined) continue;
    total++;
    const flags = (f.get('flags') ?? '').slice(0, 16);
    const kind: BufferedClient['kind'] = flags.includes('P') ? 'pubsub' : flags.includes('S') || flags.includes('O') ? 'replica' : 'normal';
    if (flags.includes('P')) pubsub++;
    if (flags.includes('S')) replicas++;
    const idleSec = num(f.get('idle'));
    if (idleSec !== undefined && idleSec >= IDLE_SEC) idle++;
    const source = shown(sourceOf(addr)) ?? '?';
    const s = bySource.get(source) ?? { source, count: 0, idle: 0 };
    s.count++;
    if (idleSec !== undefined && idleSec >= IDLE_SEC) s.idle++;
    if (bySource.size < 10_000 || bySource.has(source)) bySource.set(source, s);
    const omem = num(f.get('omem')) ?? 0;
    const oll = num(f.get('oll')) ?? 0;
    if (omem > 0 || oll > 0) {
      const c: BufferedClient = { kind, addr: shown(addr) ?? '?', omemBytes: omem, oll };
      const name = shown(f.get('name'));
      if (name !== undefined) c.name = name;
      const age = num(f.get('age'));
      if (age !== undefined) c.ageSec = age;
      buffered.push(c);
      if (buffered.length > SHOWN * 4) buffered.sort((a, b) => b.omemBytes - a.omemBytes).splice(SHOWN);
    }
  }
  buffered.sort((a, b) => b.omemBytes - a.omemBytes).splice(SHOWN);
  const sources = [...bySource.values()].sort((a, b) => b.count - a.count).slice(0, SHOWN);
  return { total, truncated: more, buffered, pubsubClients: pubsub, replicaClients: replicas, sources, idle, idleSec: IDLE_SEC };
}

/** CONFIG GET client-output-buffer-limit's value: `normal 0 0 0 replica 268435456 67108864 60 pubsub 33554432 8388608 60`. */
export interface OutputBufferLimit {
  class: 'normal' | 'replica' | 'pubsub';
  hardBytes: number;
  softBytes: number;
  softSeconds: number;
}

export function parseOutputBufferLimits(value: string | undefined): OutputBufferLimit[] {
  if (value === undefined) return [];
  const words = value.slice(0, 400).trim().split(/\s+/);
  const out: OutputBufferLimit[] = [];
  for (let i = 0; i + 3 < words.length && out.length < 3; i += 4) {
    const name = words[i]!.toLowerCase();
    const cls = name === 'slave' || name === 'replica' ? 'replica' : name === 'pubsub' ? 'pubsub' : name === 'normal' ? 'normal' : undefined;
    const [h, s, t] = [num(words[i + 1]), num(words[i + 2]), num(words[i + 3])];
    if (cls && h !== undefined && s !== undefined && t !== undefined) out.push({ class: cls, hardBytes: h, softBytes: s, softSeconds: t });
  }
  return out;
}

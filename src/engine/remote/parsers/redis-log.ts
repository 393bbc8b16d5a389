/**
 * The `redis-log` section (scripts.ts redisLogScript) → ServerLog per log read.
 * The host has already reduced each log's tail to a few lines (LOG_AWK):
 *
 *   ### log file /var/log/redis/redis-server.log      (or: ### log journal redis-server.service)
 *   c 4242:M 07 Dec 2026 03:12:09.331 flags=P addr=10.0.0.8:51234 name=worker cmd=subscribe
 *   b 262144 · p 1 · f 07 Dec 2026 01:02:03.004 · l 07 Dec 2026 04:00:00.000 · n 3 · a 0
 *
 * or `missing`, `not-a-file`, or the tool's own error (tail: Permission denied, sudo refused).
 * Everything in it still comes from the host and from clients (addr, name): lines capped
 * before any test, one linear pass, fields matched by position and plain tokens only, values
 * capped with their invisible characters shown; a time is kept only in Redis' own shape.
 */
import { looksDenied } from './sections.js';
import { outputLines } from '../../shared/lines.js';
import { showInvisible } from '../../shared/text.js';
import { REDACTED } from '../../shared/redact.js';
import { isSafeUnitName } from '../../shared/shell-words.js';
import { isSafeAbsolutePath } from '../shell.js';
import { LOG_TAIL_BYTES } from '../scripts.js';
import type { LogClosure, ServerLog } from '../types.js';

const MAX_LOGS = 8;
const MAX_CLOSURES = 8;
const VALUE_MAX = 64;
/** `07 Dec 2026 03:12:09.331` (server.c: strftime "%d %b %Y %H:%M:%S." and milliseconds). */
const TIME_RE = /^[0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{3})?$/;
/** Words the journal or sudo print when the reader may not see the log. */
const JOURNAL_DENIED_RE = /insufficient permissions|not seeing messages from other users/i;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Seconds from `from` to `to`, both in the log's format and the same (local) time zone; undefined when either is unreadable. */
export function secondsBetween(from: string | undefined, to: string | undefined): number | undefined {
  const ms = (t: string | undefined) => {
    const m = t === undefined ? null : /^([0-9]{2}) ([A-Z][a-z]{2}) ([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2})/.exec(t);
    const month = m ? MONTHS.indexOf(m[2]!) : -1;
    return m && month >= 0 ? Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) : undefined;
  };
  const a = ms(from);
  const b = ms(to);
  return a === undefined || b === undefined ? undefined : Math.round((b - a) / 1000);
}

function time(text: string): string | undefined {
  const t = text.trim();
  return TIME_RE.test(t) ? t : undefined;
}

/** `password=…`, `token:…` in a client's name: what follows is not shown (values are at most 65 bytes). */
const SECRET_KEY_RE = /(?:pass|secret|token|auth|key)[a-z_-]{0,16}[=:]/i;

function value(v: string | undefined): string | undefined {
  if (v === undefined || v === '-' || v === '') return undefined;
  const secret = SECRET_KEY_RE.exec(v);
  if (secret) return showInvisible(`${v.slice(0, secret.index + secret[0].length)}${REDACTED}`);
  // The host cuts values at VALUE_MAX + 1 bytes (a multi-byte character may be cut in two).
  return showInvisible(Buffer.byteLength(v) > VALUE_MAX ? `${v.slice(0, VALUE_MAX - 1)}…` : v);
}

/** `flags=` of CLIENT INFO (networking.c catClientInfoString): S replica, M primary, P pub/sub, else normal. */
export function clientKind(flags: string): LogClosure['kind'] {
  if (flags.includes('S') && !flags.includes('O')) return 'replica';
  if (flags.includes('M')) return 'master';
  if (flags.includes('P')) return 'pubsub';
  return 'normal';
}

/** `c <pid:role> <dd> <Mon> <yyyy> <time> flags=… addr=… name=… cmd=…`: exactly ten words. */
function closure(line: string): LogClosure | undefined {
  const w = line.split(' ');
  if (w.length !== 10 || w[0] !== 'c') return undefined;
  const kv = new Map<string, string>();
  for (const word of w.slice(6)) {
    const eq = word.indexOf('=');
    if (eq > 0) kv.set(word.slice(0, eq), word.slice(eq + 1));
  }
  const flags = kv.get('flags');
  if (flags === undefined || !/^[A-Za-z-]{1,32}$/.test(flags)) return undefined;
  const out: LogClosure = { kind: clientKind(flags === '-' ? '' : flags), flags };
  const pid = /^([0-9]{1,10}):[A-Z]$/.exec(w[1]!)?.[1];
  if (pid !== undefined) out.pid = Number(pid);
  const at = time(w.slice(2, 6).join(' '));
  if (at) out.at = at;
  const addr = value(kv.get('addr'));
  const name = value(kv.get('name'));
  const cmd = value(kv.get('cmd'));
  if (addr) out.addr = addr;
  if (name) out.name = name;
  if (cmd) out.cmd = cmd;
  return out;
}

function count(text: string): number | undefined {
  return /^[0-9]{1,12}$/.test(text) ? Number(text) : undefined;
}

export function parseRedisLogs(output: string): ServerLog[] {
  const out: ServerLog[] = [];
  let cur: ServerLog | undefined;
  let errors: string[] = [];
  const finish = () => {
    // Nothing read: the tool said why (tail: Permission denied, sudo: a password is required).
    if (cur && cur.status === 'read' && cur.bytesRead === 0 && cur.bufferClosures === 0) {
      if (errors.some((e) => looksDenied(e) || JOURNAL_DENIED_RE.test(e))) cur.status = 'denied';
      else if (errors.some((e) => /No such file/i.test(e))) cur.status = 'missing';
    }
    // journalctl shows a user only their own messages and says so: not this unit's log.
    if (cur && cur.source === 'journal' && cur.bufferClosures === 0 && cur.slowFsyncs === 0 && errors.some((e) => JOURNAL_DENIED_RE.test(e))) cur.status = 'denied';
    cur = undefined;
    errors = [];
  };
  let now: string | undefined;
  for (const raw of outputLines(output)) {
    const line = raw.slice(0, 1024);
    if (line.startsWith('### now ')) {
      now ??= time(line.slice(8));
      continue;
    }
    if (line.startsWith('### ')) {
      finish();
      const h = /^### log (file|journal) (\S{1,255})$/.exec(line);
      if (!h || out.length >= MAX_LOGS) continue;
      const source = h[1] as ServerLog['source'];
      if (source === 'file' ? !isSafeAbsolutePath(h[2]!) : !isSafeUnitName(h[2]!)) continue;
      cur = { source, path: h[2]!, status: 'read', bytesRead: 0, partial: false, bufferClosures: 0, closures: [], slowFsyncs: 0 };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    if (line === 'missing' || line === 'not-a-file') {
      cur.status = line;
      continue;
    }
    const key = line.slice(0, 2);
    const rest = line.slice(2);
    if (key === 'c ') {
      const c = closure(line);
      if (c && cur.closures.length < MAX_CLOSURES) cur.closures.push(c);
      continue;
    }
    if (key === 'b ' && count(rest) !== undefined) cur.bytesRead = Math.min(count(rest)!, LOG_TAIL_BYTES);
    else if (key === 'p ' && (rest === '0' || rest === '1')) cur.partial = rest === '1';
    else if (key === 'f ') {
      const t = time(rest);
      if (t) cur.firstAt = t;
    } else if (key === 'l ') {
      const t = time(rest);
      if (t) cur.lastAt = t;
    } else if (key === 'n ' && count(rest) !== undefined) cur.bufferClosures = count(rest)!;
    else if (key === 'a ') {
      const sp = rest.indexOf(' ');
      const n = count(sp < 0 ? rest : rest.slice(0, sp));
      if (n !== undefined) cur.slowFsyncs = n;
      const t = sp < 0 ? undefined : time(rest.slice(sp + 1));
      if (t) cur.lastSlowFsyncAt = t;
    } else if (errors.length < 4) errors.push(line.trim());
  }
  finish();
  // What awk printed is the whole story: more closures listed than counted cannot be.
  if (now) for (const l of out) l.hostNow = now;
  for (const l of out) if (l.closures.length > l.bufferClosures) l.closures = l.bufferClosures === 0 ? [] : l.closures.slice(-l.bufferClosures);
  return out;
}

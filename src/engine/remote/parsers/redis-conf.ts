/**
 * redis.conf directives that decide reachability, as printed by the remote
 * `redis-conf` script:
 *
 *   ### file <path> <source>         then `<n>: <line>` for each allow-listed directive
 *   ### include <pattern> <path>     <path> is one file an `include <pattern>` line names
 *   ### denied <path> <source>       the file may exist but could not be read
 *   ### pidfile <path>               then the first bytes of that pid file
 *
 * The script prints only the allow-listed directives and replaces secret
 * values with `<redacted>` on the host; this parser redacts again so a secret
 * can never pass even if the script changes.
 *
 * Redis reads directives in order and the last one wins; an `include` is read
 * in place, where the line stands (config.c loadServerConfigFromString calls
 * loadServerConfig for it, which expands a glob pattern, sorted). So the
 * included files' directives are applied at the include line, recursively.
 */
import { redactRedisConfigText } from '../../shared/redact.js';
import { isSafeAbsolutePath } from '../shell.js';
import type { PidFile, RedisConfFile, RedisConfLine } from '../types.js';
import { outputLines } from '../../shared/lines.js';

const SOURCES = new Set(['process', 'systemd', 'default']);
const SECRET_KEYS = new Set(['requirepass', 'masterauth', 'masteruser-password', 'tls-key-file-pass', 'tls-client-key-file-pass']);
/** Redis itself recurses without a limit; a cycle or a deep chain here stops at this depth. */
const MAX_INCLUDE_DEPTH = 8;

/** Splits a redis.conf line into arguments, honouring "double" and 'single' quotes as sdssplitargs does. */
export function splitConfArgs(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

function intArg(v: string | undefined): number | undefined {
  return v !== undefined && /^\d{1,9}$/.test(v) ? Number(v) : undefined;
}

/** Applies one directive line to a file record; returns the include argument when it is an include. */
function applyDirective(file: RedisConfFile, l: RedisConfLine): string | undefined {
  const args = splitConfArgs(l.text);
  const key = args[0]?.toLowerCase();
  if (!key || key.startsWith('#')) return undefined;
  switch (key) {
    case 'bind':
      file.bind = args.slice(1);
      break;
    case 'protected-mode':
      file.protectedMode = args[1]?.toLowerCase() === 'yes';
      break;
    case 'port':
      file.port = intArg(args[1]);
      break;
    case 'tls-port':
      file.tlsPort = intArg(args[1]);
      break;
    case 'requirepass':
      // `requirepass ""` clears it again.
      file.requirepassSet = (args[1] ?? '') !== '';
      break;
    case 'maxclients':
      file.maxclients = intArg(args[1]);
      break;
    case 'dir':
      file.dir = args[1];
      break;
    case 'logfile':
      // `logfile ""` (the default): stdout, the journal under systemd.
      file.logfile = args[1] ?? '';
      break;
    case 'appenddirname':
      file.appendDirName = args[1];
      break;
    case 'include':
      if (args[1]) file.includes.push(args[1]);
      break;
    case 'pidfile':
      if (args[1] && isSafeAbsolutePath(args[1])) file.pidfile = args[1];
      else delete file.pidfile;
      break;
    default:
      if (!SECRET_KEYS.has(key)) return undefined;
  }
  const safe: RedisConfLine = { n: l.n, text: SECRET_KEYS.has(key) ? `${args[0]} <redacted>` : redactRedisConfigText(l.text.trim()) };
  if (l.file) safe.file = l.file;
  file.lines.push(safe);
  return key === 'include' ? args[1] : undefined;
}

interface ScriptOutput {
  /** Top-level files in the order printed. */
  top: { path: string; source: RedisConfFile['source'] }[];
  /** Directive lines of every file read, top-level or included. */
  lines: Map<string, RedisConfLine[]>;
  /** include pattern → the files it named, in the order Redis reads them. */
  matches: Map<string, string[]>;
  denied: { path: string; source: string }[];
}

function readOutput(output: string): ScriptOutput {
  const out: ScriptOutput = { top: [], lines: new Map(), matches: new Map(), denied: [] };
  let current: RedisConfLine[] | undefined;
  for (const raw of outputLines(output)) {
    const head = /^### (file|include|denied) (\S+) (\S+)$/.exec(raw);
    // Any other header ends the current file too: its lines never run on into the previous file.
    if (raw.startsWith('### ')) current = undefined;
    if (head) {
      const [, kind, a, b] = head as unknown as [string, string, string, string];
      if (kind === 'include') {
        if (isSafeAbsolutePath(b)) out.matches.set(a, [...(out.matches.get(a) ?? []), b]);
      } else if (kind === 'denied') {
        if (isSafeAbsolutePath(a)) out.denied.push({ path: a, source: b });
      } else if (isSafeAbsolutePath(a) && (SOURCES.has(b) || b === 'include') && !out.lines.has(a)) {
        current = [];
        out.lines.set(a, current);
        if (b !== 'include') out.top.push({ path: a, source: b as RedisConfFile['source'] });
      }
      continue;
    }
    const m = /^(\d+): ?(.*)$/.exec(raw);
    if (current && m) current.push({ n: Number(m[1]), text: m[2]! });
  }
  return out;
}

/** Applies a file's lines, reading each include where it stands. */
function applyFile(file: RedisConfFile, path: string, out: ScriptOutput, stack: string[]): void {
  for (const line of out.lines.get(path) ?? []) {
    const include = applyDirective(file, path === file.path ? line : { ...line, file: path });
    if (include === undefined) continue;
    const targets = (out.matches.get(include) ?? []).filter((t) => out.lines.has(t) && !stack.includes(t));
    if (targets.length === 0 || stack.length >= MAX_INCLUDE_DEPTH) {
      (file.unfollowed ??= []).push(include);
      continue;
    }
    for (const t of targets) {
      if (!(file.included ??= []).includes(t)) file.included.push(t);
      applyFile(file, t, out, [...stack, t]);
    }
  }
}

export function parseRedisConfOutput(output: string): RedisConfFile[] {
  const out = readOutput(output);
  return out.top.map(({ path, source }) => {
    const file: RedisConfFile = { path, source, lines: [], requirepassSet: false, includes: [] };
    applyFile(file, path, out, [path]);
    return file;
  });
}

/** Files that may exist but could not be read (no permission, or sudo refused). */
export function unreadableConfs(output: string): { path: string; source: string }[] {
  return readOutput(output).denied;
}

/**
 * The `### pidfile <path>` sections: a pid file holds the pid in decimal and a newline
 * (Redis createPidFile). Tied to the config file that names it, or, for a default location
 * (`/var/run/redis_<port>.pid`), to the port in its name.
 */
export function parsePidFiles(output: string, confs: RedisConfFile[]): PidFile[] {
  const out: PidFile[] = [];
  let path: string | undefined;
  for (const raw of outputLines(output)) {
    if (raw.startsWith('### ')) {
      const h = /^### pidfile (\S{1,255})$/.exec(raw);
      path = h && isSafeAbsolutePath(h[1]!) && !out.some((p) => p.path === h[1]) ? h[1] : undefined;
      continue;
    }
    if (path === undefined) continue;
    const pid = /^\s*(\d{1,10})\s*$/.exec(raw.slice(0, 32))?.[1];
    if (pid === undefined || Number(pid) === 0) continue;
    const entry: PidFile = { path, pid: Number(pid) };
    const conf = confs.find((c) => c.pidfile === path);
    if (conf) entry.configPath = conf.path;
    const port = /\/redis_(\d{1,5})\.pid$/.exec(path)?.[1];
    if (!conf && port) entry.port = Number(port);
    out.push(entry);
    path = undefined;
  }
  return out;
}

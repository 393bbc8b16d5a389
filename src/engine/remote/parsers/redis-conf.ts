/**
 * redis.conf directives that decide reachability, as printed by the remote
 * `redis-conf` script: `### file <path> <source>` headers, then `<n>: <line>`.
 * The script prints only the allow-listed directives and replaces secret
 * values with `<redacted>` on the host; this parser redacts again so a secret
 * can never pass even if the script changes.
 *
 * Redis reads directives in order and the last one wins (config.c loadServerConfigFromString).
 */
import { redactRedisConfigText } from '../../redact.js';
import { isSafeAbsolutePath } from '../shell.js';
import type { RedisConfFile, RedisConfLine } from '../types.js';

const SOURCES = new Set(['process', 'systemd', 'default']);
const SECRET_KEYS = new Set(['requirepass', 'masterauth', 'masteruser-password', 'tls-key-file-pass', 'tls-client-key-file-pass']);

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

/** Applies directive lines (already filtered or a whole file) to a file record. */
export function applyDirectives(file: RedisConfFile, lines: RedisConfLine[]): void {
  for (const l of lines) {
    const args = splitConfArgs(l.text);
    const key = args[0]?.toLowerCase();
    if (!key || key.startsWith('#')) continue;
    const safe: RedisConfLine = { n: l.n, text: SECRET_KEYS.has(key) ? `${args[0]} <redacted>` : redactRedisConfigText(l.text.trim()) };
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
      case 'include':
        if (args[1]) file.includes.push(args[1]);
        break;
      default:
        if (!SECRET_KEYS.has(key)) continue;
    }
    file.lines.push(safe);
  }
}

export function parseRedisConfOutput(output: string): RedisConfFile[] {
  const files: RedisConfFile[] = [];
  let current: RedisConfFile | undefined;
  for (const raw of output.split('\n')) {
    const header = /^### file (\/\S*) (\S+)$/.exec(raw);
    if (header) {
      current = undefined;
      if (!isSafeAbsolutePath(header[1]!) || !SOURCES.has(header[2]!)) continue;
      current = { path: header[1]!, source: header[2] as RedisConfFile['source'], lines: [], requirepassSet: false, includes: [] };
      files.push(current);
      continue;
    }
    const m = /^(\d+): ?(.*)$/.exec(raw);
    if (current && m) applyDirectives(current, [{ n: Number(m[1]), text: m[2]! }]);
  }
  return files;
}

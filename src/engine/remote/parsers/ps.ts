/**
 * `ps -eo pid=,user=,stat=,args=` → the redis-server processes (the older
 * `pid=,user=,args=` output, without STAT, is read too).
 *
 * Redis rewrites its process title (redis.conf `proc-title-template`, default
 * "{title} {listen-addr} {server-mode}", and `{listen-addr}` is the first bind
 * address or `*` followed by the port), so a stock server shows up as
 * `redis-server 127.0.0.1:6379`; with `set-proc-title no` the original command
 * line (config path, `--port`, even `--requirepass`) stays visible. Secrets in it
 * are redacted here, before the line leaves the parser.
 */
import { REDACTED, redactRedisConfigText } from '../../shared/redact.js';
import { isSafeAbsolutePath } from '../shell.js';
import type { ProcessState, RedisProcess } from '../types.js';
import { capLine, outputLines, splitFields } from '../../shared/lines.js';

const MAX_PROCESSES = 64;

// Flags that carry a secret: Redis' own, Valkey's primary* names, and any --…pass…/--…secret…/--…token…
// of other programs (`docker ps` shows every container's command, not only Redis').
const SECRET_FLAG = String.raw`--(?:masterauth|primaryauth|[\w-]*(?:pass|secret|token)[\w-]*)`;
const SECRET_VALUE = String.raw`(?:"(?:[^"\\]|\\.)*"|'[^']*'|\S+)`;
// Only at the start of a word (the lookbehind): tried at every `--` inside a run of dashes, `[\w-]*` made it quadratic.
const SECRET_FLAG_RE = new RegExp(`((?<![\\w-])${SECRET_FLAG}=|(?:^|\\s)${SECRET_FLAG}\\s+)${SECRET_VALUE}`, 'gi');
const SECRET_FLAG_WORD = new RegExp(`^${SECRET_FLAG}$`, 'i');
const SECRET_FLAG_EQ = new RegExp(`^(${SECRET_FLAG}|--(?:requirepass|masteruser-password|tls-key-file-pass|tls-client-key-file-pass))=`, 'i');
// `REDIS_PASSWORD=… redis-server …` in a `sh -c` command.
// Any assignment is matched (one scan of the name), and redacted when its name says secret: a pattern with the
// words inside the name (`[A-Za-z_]*(?:PASS|…)[A-Za-z_]*=`) backtracks over a long name at every word it holds.
const ENV_ASSIGN_RE = /(^|[\s"';])([A-Za-z_][A-Za-z0-9_]*=)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s"';]+)/g;
const SECRET_ENV_NAME = /PASS|SECRET|TOKEN|AUTH/i;
function redactSecretEnv(text: string): string {
  return text.replace(ENV_ASSIGN_RE, (m: string, pre: string, name: string) => (SECRET_ENV_NAME.test(name) ? `${pre}${name}${REDACTED}` : m));
}

// ACL rule syntax (Redis 7 acl.c ACLSetUser): keywords, and rules that start with a marker character.
const ACL_KEYWORD = /^(?:on|off|nopass|resetpass|reset|allkeys|allchannels|allcommands|nocommands|resetkeys|resetchannels|sanitize-payload|skip-sanitize-payload)$/i;
const ACL_RULE_START = /^[~%&+\-@(]/;

/**
 * `ps` prints a command line without its quoting: `--requirepass "correct horse battery
 * staple"` arrives as four words, and nothing says where the password ends. So a secret
 * flag's value is everything up to the next `--option` (or the end), and an ACL password
 * rule (`>pw`, `<pw`, `#hash`, `!hash`) takes every following word that is not ACL syntax.
 * Over-redacting a word is harmless; under-redacting one leaks.
 */
function redactUnquotedSecrets(args: string): string {
  const words = args.split(' ');
  const out: string[] = [];
  let hiding: 'flag' | 'acl' | undefined;
  for (const w of words) {
    if (w.startsWith('--')) hiding = undefined;
    else if (hiding === 'acl' && (ACL_KEYWORD.test(w) || ACL_RULE_START.test(w) || /^[<>#!]/.test(w))) hiding = undefined;
    if (hiding) {
      if (out[out.length - 1] !== REDACTED && !out[out.length - 1]?.endsWith(REDACTED)) out.push(REDACTED);
      continue;
    }
    const flag = SECRET_FLAG_WORD.test(w) || /^--(?:requirepass|masteruser-password|tls-key-file-pass|tls-client-key-file-pass)$/i.test(w);
    const flagEq = SECRET_FLAG_EQ.exec(w);
    if (flag) {
      out.push(w);
      hiding = 'flag';
    } else if (flagEq) {
      out.push(`${flagEq[0]}${REDACTED}`);
      hiding = 'flag';
    } else if (!w.includes(REDACTED) && /^"?[<>#!]\S/.test(w)) {
      out.push(`${w.startsWith('"') ? '"' : ''}${w.replace(/^"/, '')[0]}${REDACTED}`);
      hiding = 'acl';
    } else {
      out.push(w);
    }
  }
  return out.join(' ');
}

/** Command-line secrets: redis.conf-style flags, `--flag=value`, ACL `>password` tokens, `redis-cli -a`, secret env assignments. */
export function redactCommandLine(args: string): string {
  // Capped here too (callers cap their lines already): the patterns below are linear per start, not over 130,000 characters.
  return redactUnquotedSecrets(
    redactSecretEnv(redactRedisConfigText(capLine(args)))
      .replace(SECRET_FLAG_RE, `$1${REDACTED}`)
      .replace(/(\bredis-cli\b.*?\s-a\s+)\S+/g, `$1${REDACTED}`),
  );
}

function isRedisServer(args: string): boolean {
  const first = args.split(/\s+/)[0] ?? '';
  return /(^|\/)redis-server$/.test(first) || first === '[redis-server]';
}

function parseTitleAddress(token: string | undefined): { address: string; port: number } | undefined {
  if (!token) return undefined;
  const m = /^(.+):(\d{1,5})$/.exec(token);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  // `bind -::1` keeps its "optional" dash in the title; brackets appear for some IPv6 forms.
  const address = m[1]!.replace(/^-/, '').replace(/^\[(.*)\]$/, '$1');
  if (!/^[0-9A-Za-z.:*%-]+$/.test(address)) return undefined;
  return { address, port };
}

// procps ps(1), PROCESS STATE CODES: the state letter, then BSD flags (<, N, L, s, l, +).
const STATES: Record<string, ProcessState> = { R: 'running', S: 'sleeping', D: 'disk-sleep', T: 'stopped', t: 'tracing-stop', Z: 'zombie', X: 'dead', I: 'idle', W: 'paging' };
const STAT_RE = /^[RSDTtZXIW][<NLsl+]*$/;

export function parsePs(output: string): RedisProcess[] {
  const out: RedisProcess[] = [];
  // Lines capped, then split into fields: `^\s*(\d+)\s+(\S+)\s+(.+?)\s*$` took 23–30 s on a title of 130,000 spaces.
  for (const raw of outputLines(output)) {
    const f = splitFields(raw, 2);
    if (!f || !/^\d+$/.test(f.fields[0]!) || f.rest === '') continue;
    const [pid, user] = f.fields as [string, string];
    let rest = f.rest;
    const first = rest.split(/\s+/, 1)[0]!;
    // A STAT column never looks like a redis-server path, so the older format still reads.
    const stat = STAT_RE.test(first) && rest.length > first.length ? first : undefined;
    if (stat) rest = rest.slice(first.length).trimStart();
    if (!isRedisServer(rest)) continue;
    const rawArgs = rest;
    const tokens = rawArgs.split(/\s+/);
    const args = redactCommandLine(rawArgs);
    const proc: RedisProcess = {
      pid: Number(pid),
      user,
      args,
      defunct: /<defunct>/.test(rawArgs) || stat?.startsWith('Z') === true,
      line: `${pid} ${user}${stat ? ` ${stat}` : ''} ${args}`,
    };
    if (stat) {
      proc.stat = stat;
      proc.state = STATES[stat[0]!]!;
    }
    const title = parseTitleAddress(tokens[1]);
    if (title && !tokens[1]!.startsWith('/')) {
      proc.titleAddress = title.address;
      proc.titlePort = title.port;
    }
    // `redis-server /etc/redis/redis.conf [--opt …]`: the config file is the first argument.
    if (tokens[1] && tokens[1].startsWith('/') && isSafeAbsolutePath(tokens[1])) proc.configPath = tokens[1];
    const portIdx = tokens.indexOf('--port');
    if (portIdx > 0 && /^\d{1,5}$/.test(tokens[portIdx + 1] ?? '')) proc.argPort = Number(tokens[portIdx + 1]);
    out.push(proc);
    if (out.length >= MAX_PROCESSES) break;
  }
  return out;
}

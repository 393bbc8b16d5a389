/**
 * Command-line parsing, by hand: the grammar is small, and a parser library
 * would cost start-up time on every run (the CLI must start within 3× a bare
 * `node -e 0`).
 *
 *   redis-doctor diagnose <target> [options]
 *   redis-doctor --help | -h | help        redis-doctor --version | -V
 *
 * Options take their value as `--opt value` or `--opt=value`. Anything the
 * grammar does not know is an `ArgsError` (exit 2). Error messages never echo
 * the value of an unknown option: it may be a password typed by habit.
 */
import type { TargetFlags } from '../config/resolve-target.js';
import { MAX_TIMEOUT_MS, MIN_TIMEOUT_MS } from '../engine/index.js';
import { CodedError } from '../util/errors.js';

export class ArgsError extends CodedError {
  override name = 'ArgsError';
  constructor(message: string) {
    super('args', message);
  }
}

export interface DiagnoseArgs {
  command: 'diagnose';
  target: string;
  json: boolean;
  /** Verdict, primary cause and its first fix in a few lines. */
  brief: boolean;
  timeoutMs?: number;
  config?: string;
  flags: TargetFlags;
}

/** `redis-doctor mcp`: the diagnosis as an MCP server on stdio (src/mcp/server.ts). */
export interface McpArgs {
  command: 'mcp';
  config?: string;
}

export type CliArgs = DiagnoseArgs | McpArgs | { command: 'help' } | { command: 'version' };

type ValueOption = 'timeout' | 'tls-ca' | 'user' | 'password-env' | 'ssh' | 'ssh-key' | 'ssh-known-hosts' | 'ssh-timeout' | 'config' | 'sentinel-master' | 'client-access' | 'docker-host';
type BoolOption = 'json' | 'brief' | 'tls' | 'tls-insecure' | 'cluster';

const VALUE_OPTIONS: ReadonlySet<string> = new Set<ValueOption>(['timeout', 'tls-ca', 'user', 'password-env', 'ssh', 'ssh-key', 'ssh-known-hosts', 'ssh-timeout', 'config', 'sentinel-master', 'client-access', 'docker-host']);
const BOOL_OPTIONS: ReadonlySet<string> = new Set<BoolOption>(['json', 'brief', 'tls', 'tls-insecure', 'cluster']);
// redis-cli's connection flags, typed by habit. Each takes a value; together they become one
// suggested target ("-h 10.0.0.5 -p 7000" → "redis-doctor diagnose 10.0.0.5:7000").
type Habit = '-h' | '-p' | '-u' | '-n' | '-a';
const HABITS: ReadonlySet<string> = new Set<Habit>(['-h', '-p', '-u', '-n', '-a']);
const PASSWORD_HINT = 'passwords are not accepted as arguments (they show in `ps` and shell history): use --password-env <VAR> or REDISCLI_AUTH';

// Values echoed back in a suggestion must look like what they claim to be; anything else is not repeated.
const HOST_TEXT = /^[A-Za-z0-9._-]{1,253}$|^\[?[0-9A-Fa-f:.]{2,45}\]?$/;
const NUMBER_TEXT = /^\d{1,5}$/;
const URL_TEXT = /^rediss?:\/\/[^\s'"`$;|&<>\\]{1,300}$/;

/** The target a redis-cli user meant, as one word, or undefined when a value is not safe to repeat. */
function suggestedTarget(habits: ReadonlyMap<Habit, string>, target: string | undefined): string | undefined {
  const uri = habits.get('-u');
  if (uri !== undefined) return URL_TEXT.test(uri) ? uri : undefined;
  let host = habits.get('-h') ?? target ?? '127.0.0.1';
  const port = habits.get('-p') ?? '6379';
  const db = habits.get('-n');
  if (!HOST_TEXT.test(host) || !NUMBER_TEXT.test(port) || (db !== undefined && !NUMBER_TEXT.test(db))) return undefined;
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  return db === undefined ? `${host}:${port}` : `redis://${host}:${port}/${db}`;
}

function habitError(habits: ReadonlyMap<Habit, string>, target: string | undefined): ArgsError {
  const flags = [...habits.keys()].filter((f) => f !== '-a');
  const parts: string[] = [];
  if (flags.length > 0) {
    const suggestion = suggestedTarget(habits, target);
    parts.push(`the address is the target, not redis-cli's ${flags.join('/')}: ${suggestion ? `redis-doctor diagnose ${suggestion}` : 'redis-doctor diagnose <host>:<port> (or redis://host:port/db)'}`);
  }
  if (habits.has('-a')) parts.push(PASSWORD_HINT);
  return new ArgsError(parts.join('; '));
}

// Options redis-cli users type by habit; each gets a pointer to ours instead of "unknown option".
const HINTS: Record<string, string> = {
  password: PASSWORD_HINT,
  pass: PASSWORD_HINT,
  insecure: 'use --tls-insecure',
  cacert: 'use --tls-ca <file>',
};

function parseTimeout(text: string, option = '--timeout'): number {
  if (!/^\d{1,7}$/.test(text)) throw new ArgsError(`${option} expects a whole number of milliseconds (${MIN_TIMEOUT_MS}..${MAX_TIMEOUT_MS}), got "${text.slice(0, 20)}"`);
  const ms = Number(text);
  if (ms < MIN_TIMEOUT_MS || ms > MAX_TIMEOUT_MS) throw new ArgsError(`${option} must be between ${MIN_TIMEOUT_MS} and ${MAX_TIMEOUT_MS} ms, got ${ms}`);
  return ms;
}

function unknownOption(token: string): ArgsError {
  // Only the part before "=" is shown: `--password=hunter2` must not print hunter2.
  const name = token.split('=')[0]!.slice(0, 40);
  const hintOf = (key: string) => (Object.hasOwn(HINTS, key) ? HINTS[key] : undefined);
  const hint = hintOf(name.replace(/^--/, '')) ?? hintOf(name);
  return new ArgsError(`unknown option ${JSON.stringify(name).slice(1, -1)}${hint ? `: ${hint}` : ''} (see redis-doctor --help)`);
}

export function parseArgs(argv: readonly string[]): CliArgs {
  const positional: string[] = [];
  const values = new Map<ValueOption, string>();
  const bools = new Set<BoolOption>();
  const habits = new Map<Habit, string>();
  let help = false;
  let version = false;
  let optionsEnded = false;

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (optionsEnded || !token.startsWith('-') || token === '-') {
      positional.push(token);
      continue;
    }
    if (token === '--') {
      optionsEnded = true;
      continue;
    }
    if (HABITS.has(token)) {
      // "-h" alone (or before the command) is help; "-h <host>" is redis-cli's host flag.
      const next = argv[i + 1];
      // -a always swallows its value, even one that starts with "-": it is a password, never echoed.
      const takesValue = next !== undefined && (token === '-a' || (!next.startsWith('-') && next !== 'diagnose' && next !== 'help'));
      if (token === '-h' && !takesValue) { help = true; continue; }
      habits.set(token as Habit, takesValue ? next : '');
      if (takesValue) i++;
      continue;
    }
    if (token === '--help') { help = true; continue; }
    if (token === '--version' || token === '-V') { version = true; continue; }
    if (!token.startsWith('--')) throw unknownOption(token);

    const eq = token.indexOf('=');
    const name = eq === -1 ? token.slice(2) : token.slice(2, eq);
    if (BOOL_OPTIONS.has(name)) {
      if (eq !== -1) throw new ArgsError(`--${name} takes no value`);
      bools.add(name as BoolOption);
      continue;
    }
    if (!VALUE_OPTIONS.has(name)) throw unknownOption(token);
    let value: string | undefined;
    if (eq !== -1) {
      value = token.slice(eq + 1);
    } else {
      value = argv[i + 1];
      // "--user --json" is a missing value, not a user called "--json".
      if (value === undefined || value.startsWith('--')) throw new ArgsError(`--${name} needs a value`);
      i++;
    }
    if (value === '') throw new ArgsError(`--${name} needs a non-empty value`);
    if (values.has(name as ValueOption)) throw new ArgsError(`--${name} given more than once`);
    values.set(name as ValueOption, value);
  }

  const [command, target, ...extra] = positional;
  if (habits.size > 0) throw habitError(habits, command === 'diagnose' ? target : undefined);
  // Under --json stdout carries one diagnosis document or nothing: never help or a version line with exit 0.
  if ((help || version) && bools.has('json')) throw new ArgsError(`--${help ? 'help' : 'version'} prints text, not a diagnosis document: run it without --json`);
  if (help) return { command: 'help' };
  if (version) return { command: 'version' };
  if (command === undefined) throw new ArgsError('missing command: redis-doctor diagnose <target> (see redis-doctor --help)');
  if (command === 'help') return { command: 'help' };
  if (command === 'mcp') return mcpArgs(positional.slice(1), values, bools);
  if (command !== 'diagnose') throw new ArgsError(`unknown command "${JSON.stringify(command.slice(0, 40)).slice(1, -1)}": the commands are "diagnose" and "mcp" (see redis-doctor --help)`);
  if (target === undefined) throw new ArgsError('missing target: redis-doctor diagnose <target> (see redis-doctor --help)');
  // Unquoted spaces split a target into several words; say so rather than ignoring the rest.
  if (extra.length > 0) throw new ArgsError(`unexpected argument after the target (${extra.length} more): give exactly one target; targets contain no spaces`);

  const flags: TargetFlags = {};
  const user = values.get('user');
  if (user !== undefined) flags.user = user;
  const passwordEnv = values.get('password-env');
  if (passwordEnv !== undefined) flags.passwordEnv = passwordEnv;
  if (bools.has('tls')) flags.tls = true;
  if (bools.has('tls-insecure')) flags.tlsInsecure = true;
  const tlsCa = values.get('tls-ca');
  if (tlsCa !== undefined) flags.tlsCa = tlsCa;
  const ssh = values.get('ssh');
  if (ssh !== undefined) flags.ssh = ssh;
  const sshKey = values.get('ssh-key');
  if (sshKey !== undefined) flags.sshKey = sshKey;
  const knownHosts = values.get('ssh-known-hosts');
  if (knownHosts !== undefined) flags.sshKnownHosts = knownHosts;
  const sshTimeout = values.get('ssh-timeout');
  if (sshTimeout !== undefined) flags.sshTimeoutMs = parseTimeout(sshTimeout, '--ssh-timeout');
  const sentinelMaster = values.get('sentinel-master');
  if (sentinelMaster !== undefined) flags.sentinelMaster = sentinelMaster;
  const dockerHost = values.get('docker-host');
  if (dockerHost !== undefined) flags.dockerHost = dockerHost;
  if (bools.has('cluster')) flags.cluster = true;
  const access = values.get('client-access');
  if (access !== undefined) {
    if (access !== 'read' && access !== 'write') throw new ArgsError(`--client-access is read or write, got "${JSON.stringify(access.slice(0, 20)).slice(1, -1)}"`);
    flags.clientAccess = access;
  }

  if (bools.has('brief') && bools.has('json')) throw new ArgsError('--brief and --json are two output formats: choose one');
  const args: DiagnoseArgs = { command: 'diagnose', target, json: bools.has('json'), brief: bools.has('brief'), flags };
  const timeout = values.get('timeout');
  if (timeout !== undefined) args.timeoutMs = parseTimeout(timeout);
  const config = values.get('config');
  if (config !== undefined) args.config = config;
  return args;
}

/** The MCP server takes its targets from the config file only: any other option would be ignored, so it is refused. */
function mcpArgs(extra: readonly string[], values: ReadonlyMap<ValueOption, string>, bools: ReadonlySet<BoolOption>): McpArgs {
  if (extra.length > 0) throw new ArgsError('redis-doctor mcp takes no target: the agent names one in each diagnose call');
  const other = [...values.keys(), ...bools].find((name) => name !== 'config');
  if (other !== undefined) throw new ArgsError(`redis-doctor mcp takes only --config, not --${other}: targets and their settings come from the config file`);
  const config = values.get('config');
  return config === undefined ? { command: 'mcp' } : { command: 'mcp', config };
}

export const HELP_TEXT = `redis-doctor: find out why a Redis endpoint refuses connections or misbehaves

Usage:
  redis-doctor diagnose <target> [options]
  redis-doctor mcp [--config <file>]    serve diagnose/list_targets as an MCP server on stdio
  redis-doctor --help | --version

Target:
  host[:port]                       port defaults to 6379; [ipv6]:port for IPv6
  redis://[user[:password]@]host[:port][/db]
  rediss://…                        the same over TLS
  <name>                            a target from the config file

Options:
  --json                  print exactly one JSON document on stdout
  --brief                 the verdict, the primary cause and its first fix in a few lines
  --timeout <ms>          bound for each network step (default 2000, ${MIN_TIMEOUT_MS}..${MAX_TIMEOUT_MS})
  --tls                   use TLS (as rediss://)
  --tls-ca <file>         CA bundle (PEM) to verify the server certificate (implies --tls)
  --tls-insecure          do not verify the server certificate (implies --tls)
  --user <name>           ACL user name
  --password-env <VAR>    read the password from environment variable VAR;
                          REDISCLI_AUTH is honoured as redis-cli does
  --ssh <user@host[:port]>  also run read-only checks on the Redis host over SSH
  --ssh-key <file>        private key for --ssh (else ssh-agent via SSH_AUTH_SOCK)
  --ssh-known-hosts <file>  known_hosts file; required with --ssh, the host key must match
  --ssh-timeout <ms>      bound for the whole SSH phase (default the larger of 10000
                          and 5 × --timeout, ${MIN_TIMEOUT_MS}..${MAX_TIMEOUT_MS})
  --docker-host <uri>     read container state from this Docker (unix:///…/docker.sock, or
                          ssh://user@host = the --ssh host); see docs/containers.md
  --config <file>         config file (default: $REDIS_DOCTOR_CONFIG, then ./redis-doctor.yaml)
  --sentinel-master <name>  the target is a Sentinel: diagnose the primary it names for <name>
  --cluster               the client is cluster-aware (a standalone server is then a problem)
  --client-access <read|write>  what the client does: a replica fails writers, serves readers
  -h, --help              show this help
  -V, --version           show the version

redis-cli habits: -h <host> -p <port> become the target (diagnose <host>:<port>),
-u <url> is the target itself, -n <db> is redis://host:port/<db>.

Password precedence: URL password, --password-env, REDISCLI_AUTH, config passwordEnv.
Passwords are never printed.

Exit status: 0 healthy, 1 a problem was found, 2 usage or input error, 3 internal error.
Colour: on when stdout is a terminal; NO_COLOR=1 turns it off, FORCE_COLOR=1 forces it on.
`;

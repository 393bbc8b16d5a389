/**
 * The catalogue as few shell starts (issue #10): sshd starts the account's
 * login shell for every channel, and bash reads ~/.bashrc for commands sshd
 * starts, so an rc file that runs pyenv/conda/nvm init (0.5–1 s of CPU) is paid
 * per channel. A diagnosis therefore feeds two scripts to `/bin/sh -s`: every
 * command that needs nothing from the host, then one follow-up for those that
 * need parsed pids, config paths and container ids (catalogue-run.ts).
 *
 * Each command runs as one section:
 *
 *   \n### <marker> begin <id>\n   stdout as the command wrote it
 *   \n### <marker> stderr <id>\n  stderr (only when there is any)
 *   \n### <marker> end <id> <exit status>\n
 *
 * The marker is fresh random hex per run and appears only in our own printf
 * lines, never on a command line, so nothing the login shell prints (banners,
 * echoes from its rc file, lines that look like headers) and nothing a command
 * prints can open or close a section; text outside the sections is ignored
 * (stream.ts). Every section runs in its own `/bin/sh -c` under timeout(1)
 * (coreutils or BusyBox; without it, unbounded on the host and cut by the SSH
 * phase bound), so a hung tool costs its neighbours at most the step bound,
 * and its own exit status (127 missing, 125 unavailable …) survives.
 *
 * The section scripts are the constant catalogue scripts of scripts.ts (only
 * validated values in them), each passed as ONE single-quoted word. Values
 * read from the host at run time (the `dir` lines of redis.conf, for df) stay
 * shell data: arguments of the df section, which checks them itself.
 */
import { randomBytes } from 'node:crypto';
import { ENVIRONMENT, sudoFunction, type Guard } from './scripts.js';
import { safeInt, UnsafeValueError } from './shell.js';
import type { RemoteCommandId } from './types.js';

const MARKER_RE = /^[0-9a-f]{16}$/;

/** 16 hex digits from the system CSPRNG, new for every script. */
export function newMarker(): string {
  return randomBytes(8).toString('hex');
}

/** Our own constant text as one single-quoted shell word: `'` becomes `'\''`. */
export function shellWord(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

export interface BatchSection {
  id: RemoteCommandId;
  script: string;
  /** Tested here first (builtins only): a missing tool or service is reported without a process. */
  guard?: Guard;
  /**
   * redis-conf: its stdout is also kept by the script, and the `dir` values of the
   * directive lines it printed are collected for the sections that take them.
   */
  collectsDirs?: boolean;
  /** df: gets the collected `dir` values as its arguments. */
  takesDirs?: boolean;
  /** redis-log: gets the collected `logfile` values as its arguments. */
  takesLogs?: boolean;
}

/** timeout(1) exits 124 when it stopped the command, 137 when `-k` had to kill it. */
export const HOST_TIMEOUT_STATUSES: ReadonlySet<number> = new Set([124, 137]);

/** The header a script prints first: whether timeout(1) bounds its sections on this host. */
export const HOST_TIMEOUT_HEADER = 'host-timeout';

const TOOL_RE = /^[a-z0-9][a-z0-9-]*$/;

/** `command -v` and `[` are builtins: a host without the tool costs no process for its section. */
function guarded(id: string, guard: Guard, run: string): string {
  if (guard.tools.length === 0 || !guard.tools.every((t) => TOOL_RE.test(t))) throw new UnsafeValueError('not a tool name');
  const installed = guard.tools.map((t) => `command -v ${t} >/dev/null 2>&1`).join(' || ');
  const body = guard.service ? `if ${guard.service}; then ${run}; else n ${id} 125; fi` : run;
  return `if ${installed}; then ${body}; else n ${id} 127; fi`;
}

function header(kind: string, id: string, extra = ''): string {
  const n = extra ? extra.split(' ').length : 0;
  return `printf '\\n### %s ${kind} %s${' %s'.repeat(n)}\\n' "$M" "${id}"${extra ? ` ${extra}` : ''}`;
}

/**
 * One script: the environment, then each section in order, bounded on the host by
 * `hostTimeoutSec` each. `sudo` defines `s` in every section's shell. Timings come from
 * /proc/uptime where there is one (a builtin read, no process), else the client measures them.
 *
 * (Running the sections in two lanes of one script, a pipeline whose second stage copies the
 * first's output after its own, was measured: no faster on two shared cores, more processes.)
 */
export function batchScript(marker: string, hostTimeoutSec: number, sudo: boolean, sections: readonly BatchSection[]): string {
  if (!MARKER_RE.test(marker)) throw new UnsafeValueError('not a section marker');
  const sec = safeInt(hostTimeoutSec, 3600);
  const s = sudoFunction(sudo);
  const word = (section: BatchSection) => shellWord(`${s}\n${section.script}`);
  const lines = [
    ENVIRONMENT,
    `M=${marker}`,
    // coreutils' timeout (a plain file in /usr/bin or /bin) takes -k; any other one must show it
    // can run `true` (BusyBox before 1.30 wanted `-t SECS`). Builtins only for the usual case.
    // $T is expanded unquoted on purpose: "timeout -k 1 <sec>" or nothing.
    'if { [ -x /usr/bin/timeout ] && [ ! -L /usr/bin/timeout ]; } || { [ -x /bin/timeout ] && [ ! -L /bin/timeout ]; } || timeout -k 1 1 true >/dev/null 2>&1; then',
    `  T="timeout -k 1 ${sec}"; b=yes`,
    'else T=; b=no; fi',
    `printf '\\n### %s ${HOST_TIMEOUT_HEADER} %s\\n' "$M" "$b"`,
    // Seconds since boot, 1/100 s (Linux): u <var>. Elsewhere the variables stay "-".
    'a=-; z=-',
    'u() { read "$1" _ 2>/dev/null </proc/uptime; }',
    // stdout of a section goes straight to the channel through fd 3; fd 1 captures stderr.
    'x() {',
    '  i=$1; shift',
    '  u a',
    `  printf '\\n### %s begin %s\\n' "$M" "$i"`,
    // A simple command in $( ): the subshell execs it, no extra fork. stdin never reaches a
    // command: the rest of this script is still on it.
    '  e=$($T /bin/sh -c "$@" 2>&1 1>&3 3>&- </dev/null); r=$?',
    '  u z',
    `  [ -z "$e" ] || { printf '\\n### %s stderr %s\\n' "$M" "$i"; printf '%s\\n' "$e"; }`,
    `  printf '\\n### %s end %s %s %s %s\\n' "$M" "$i" "$r" "$a" "$z"`,
    '}',
    // A section that did not need to run: the status its script would have exited with.
    `n() { printf '\\n### %s begin %s\\n\\n### %s end %s %s\\n' "$M" "$1" "$M" "$1" "$2"; }`,
    "q=''; g=''",
  ];
  const emit = (section: BatchSection): string[] => {
    if (!/^[a-z0-9-]+$/.test(section.id)) throw new UnsafeValueError('not a section id');
    if (section.collectsDirs) {
      // Its stdout is kept here (not streamed); stderr goes to the channel, outside any section.
      return [
        'u a',
        header('begin', section.id),
        `o=$($T /bin/sh -c ${word(section)} 3>&- </dev/null); r=$?`,
        'u z',
        `[ -z "$o" ] || printf '%s\\n' "$o"`,
        header('end', section.id, '"$r" "$a" "$z"'),
        // `<n>: dir <value>` lines; quotes dropped as redis.conf drops them (\047 is '). The df section checks each value.
        `case "$o" in *[Dd][Ii][Rr]*) q="$q $(printf '%s\\n' "$o" | awk '$1 ~ /^[0-9]+:$/ && tolower($2) == "dir" { v = $3; gsub(/["\\047]/, "", v); print v }')";; esac`,
        // The same for `logfile` (the log section reads them; an empty value is stdout, nothing to read here).
        `case "$o" in *[Ll][Oo][Gg][Ff][Ii][Ll][Ee]*) g="$g $(printf '%s\\n' "$o" | awk '$1 ~ /^[0-9]+:$/ && tolower($2) == "logfile" { v = $3; gsub(/["\\047]/, "", v); print v }')";; esac`,
      ];
    }
    // Unquoted on purpose: one argument per value, with globbing off.
    if (section.takesDirs) return ['set -f', `x ${section.id} ${word(section)} sh $q`, 'set +f'];
    if (section.takesLogs) return ['set -f', `x ${section.id} ${word(section)} sh $g`, 'set +f'];
    const run = `x ${section.id} ${word(section)}`;
    return [section.guard ? guarded(section.id, section.guard, run) : run];
  };
  lines.push('exec 3>&1', ...sections.flatMap(emit), 'exit 0');
  return lines.join('\n');
}

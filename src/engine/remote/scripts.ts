/**
 * The remote scripts of the command catalogue. batch.ts runs each as one
 * section of the two scripts a diagnosis feeds to `/bin/sh -s` on stdin.
 *
 * Every script is a constant. The planned scripts take only values that passed
 * the validators of shell.ts (integers we parsed, absolute paths of plain
 * characters read from the host's own process list, unit files or redis.conf,
 * hex container ids). Every command only reads: ps, ss, systemctl show, free,
 * dmesg/journalctl, iptables -S, nft list, ufw status, firewall-cmd --list-all,
 * docker ps/inspect, kubectl get, cat of redis.conf (filtered by awk),
 * cat /proc/…/limits, readlink, df. Nothing writes: output goes to the channel
 * or /dev/null, never to a file (test/remote/read-only.test.ts).
 *
 * Exit status 127 means "tool not installed" and 125 "tool there, its service
 * is not" (no systemd, no Docker socket, no kubeconfig): both are skipped.
 */
import { isSafeUnitName } from '../shared/shell-words.js';
import { safeContainerId, safeInt, safePath, sudoPrefix, UnsafeValueError } from './shell.js';
import { DEFAULT_EVENTS_WINDOW_MS, EVENT_ACTIONS, MAX_EVENT_BYTES } from '../docker/events.js';

/** The exported part of the preamble: set once per script, inherited by every section. */
export const ENVIRONMENT = [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH; export PATH',
  'LC_ALL=C; export LC_ALL',
  'PYTHONDONTWRITEBYTECODE=1; export PYTHONDONTWRITEBYTECODE',
].join('\n');

/**
 * Stable tool output (LC_ALL=C), the sbin directories non-root PATHs on Debian lack, and no
 * bytecode caches written by the Python tools (ufw, firewall-cmd) when they run as the login user.
 */
export function preamble(sudo: boolean): string {
  return [ENVIRONMENT, sudoFunction(sudo)].join('\n');
}

/** `s`: runs a privileged reading tool, through `sudo -n` when the target is configured for it. Defined in each section's shell. */
export function sudoFunction(sudo: boolean): string {
  const s = sudoPrefix(sudo).trim();
  // With sudo configured but not installed, say so instead of letting every tool look "not installed" (127).
  return s ? `s() { if command -v sudo >/dev/null 2>&1; then ${s} "$@"; else echo 'sudo not installed' >&2; return 126; fi; }` : 's() { "$@"; }';
}

/**
 * The checks a script starts with: one of `tools` must be installed (else 127), and `service`,
 * a constant shell test, must hold (else 125). Every script below begins with these lines;
 * batch.ts runs the same tests before it starts the section's shell.
 */
export interface Guard {
  tools: string[];
  service?: string;
}

// sd_booted(3): systemd is the init system iff /run/systemd/system exists.
export const SYSTEMD_BOOTED = '[ -d /run/systemd/system ]';
export const DOCKER_REACHABLE = '[ -S /var/run/docker.sock ] || [ -n "$DOCKER_HOST" ]';
export const KUBECONFIG_PRESENT = '[ -n "$KUBECONFIG" ] || [ -f "$HOME/.kube/config" ] || [ -n "$KUBERNETES_SERVICE_HOST" ]';

export const PS_SCRIPT = [
  'command -v ps >/dev/null 2>&1 || exit 127',
  // $4 is the first word of the command line; the awk process itself ($4 = "awk") never matches,
  // nor do the shells and timeout(1) of our own sections. STAT (T stopped, D, Z …): parsers/ps.ts.
  "ps -eo pid=,user=,stat=,args= | awk '$4 ~ /redis-server/'",
].join('\n');

export const SS_SCRIPT = [
  'if command -v ss >/dev/null 2>&1; then s ss -ltnp',
  'elif command -v netstat >/dev/null 2>&1; then s netstat -ltnp',
  'else exit 127; fi',
].join('\n');

export const SYSTEMD_SCRIPT = [
  'command -v systemctl >/dev/null 2>&1 || exit 127',
  `${SYSTEMD_BOOTED} || exit 125`,
  "units=$( { systemctl list-units --all --type=service --no-legend --plain 'redis*'; systemctl list-unit-files --type=service --no-legend --plain 'redis*'; } 2>/dev/null | awk '{print $1}' | grep -v '@\\.service$' | sort -u | head -n 16)",
  'for u in $units; do',
  '  systemctl show --no-pager -p Id,LoadState,ActiveState,SubState,Result,ExecMainCode,ExecMainStatus,MainPID,ExecMainPID,NRestarts,ControlGroup,ExecStart "$u"; echo',
  'done',
].join('\n');

/**
 * Host-wide settings of the slow-path causes (issue #18), read-only, no privileges: the THP mode,
 * the ephemeral port range, and TIME_WAIT sockets counted per port (each socket counts for its
 * local and its peer port; only counts leave the host, never an address): `t <total>` then
 * `c <count> <port>` for the ports with the most.
 */
export const HOST_TUNING_SCRIPT = [
  'command -v head >/dev/null 2>&1 || exit 127',
  'echo "### thp"; head -c 200 /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; echo',
  'echo "### port-range"; head -c 100 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null; echo',
  // Pressure stall information (Linux ≥ 4.20): the share of time tasks waited for I/O.
  'echo "### io-pressure"; head -c 300 /proc/pressure/io 2>/dev/null; echo',
  'echo "### time-wait"',
  'if command -v ss >/dev/null 2>&1; then',
  "  ss -Htan state time-wait 2>/dev/null | awk '{n=split($3,a,\":\"); c[a[n]]++; m=split($4,b,\":\"); if (b[m] != a[n]) c[b[m]]++; t++} END {print \"t\", t+0; for (p in c) print \"c\", c[p], p}' | sort -k2,2nr | head -n 17",
  'fi',
  'exit 0',
].join('\n');

export const FREE_SCRIPT = ['command -v free >/dev/null 2>&1 || exit 127', 'free -b'].join('\n');

export const KERNEL_OOM_SCRIPT = [
  "p='out of memory|oom-kill|killed process'",
  // The host's clock and uptime turn a dmesg stamp (seconds since boot) into a time (parsers/kernel-oom.ts).
  "u=''; read u _ </proc/uptime 2>/dev/null; echo \"### clock $(date +%s) $u\"",
  'if command -v dmesg >/dev/null 2>&1 && s dmesg >/dev/null 2>&1; then',
  "  echo '### source dmesg'; s dmesg | grep -iE \"$p\" | tail -n 200",
  'elif command -v journalctl >/dev/null 2>&1; then',
  "  echo '### source journalctl'; s journalctl -k -b --no-pager -q -o short-iso 2>/dev/null | grep -iE \"$p\" | tail -n 200",
  "elif command -v dmesg >/dev/null 2>&1; then echo 'dmesg: permission denied' >&2; exit 1",
  'else exit 127; fi',
  'exit 0',
].join('\n');

export const IPTABLES_SCRIPT = [
  'found=0',
  'for t in iptables ip6tables; do',
  '  command -v $t >/dev/null 2>&1 || continue',
  '  found=1; echo "### $t"; s $t -S 2>&1; echo "### rc $?"',
  'done',
  '[ $found = 1 ] || exit 127',
].join('\n');

export const NFT_SCRIPT = ['command -v nft >/dev/null 2>&1 || exit 127', 's nft list ruleset'].join('\n');

export const UFW_SCRIPT = ['command -v ufw >/dev/null 2>&1 || exit 127', 's ufw status verbose'].join('\n');

export const FIREWALLD_SCRIPT = [
  'command -v firewall-cmd >/dev/null 2>&1 || exit 127',
  'st=$(s firewall-cmd --state 2>&1)',
  'if [ "$st" != running ]; then echo "$st" >&2; case "$st" in *"not running"*) exit 125;; esac; exit 1; fi',
  "zones=$(s firewall-cmd --get-active-zones 2>/dev/null | awk '/^[^ \\t]/{print $1}')",
  '[ -n "$zones" ] || zones=$(s firewall-cmd --get-default-zone)',
  'for z in $zones; do s firewall-cmd --zone="$z" --list-all; done',
].join('\n');

export const DOCKER_PS_SCRIPT = [
  'command -v docker >/dev/null 2>&1 || exit 127',
  `${DOCKER_REACHABLE} || exit 125`,
  "s docker ps -a --no-trunc --format '{{json .}}'",
].join('\n');

/** The step bound caps it anyway; --timeout allows up to 600 s. */
const MAX_KUBECTL_TIMEOUT_SEC = 300;

export function kubectlScript(timeoutSec: number): string {
  return [
    'command -v kubectl >/dev/null 2>&1 || exit 127',
    `${KUBECONFIG_PRESENT} || exit 125`,
    // kubectl caches API discovery under ~/.kube/cache; a cache directory that cannot be created
    // (below /dev/null) makes it skip the cache instead of writing to the host.
    `kubectl get svc,endpoints --all-namespaces -o json --request-timeout=${safeInt(Math.min(timeoutSec, MAX_KUBECTL_TIMEOUT_SEC), MAX_KUBECTL_TIMEOUT_SEC)}s --cache-dir=/dev/null/redis-doctor`,
  ].join('\n');
}

// redis.conf directives worth reading; secret ones are printed as "<redacted>" before leaving the host.
const CONF_AWK =
  '{ k = tolower($1) } ' +
  'k ~ /^(requirepass|masterauth|masteruser-password|tls-key-file-pass|tls-client-key-file-pass)$/ { print NR ": " $1 " <redacted>"; next } ' +
  'k ~ /^(bind|protected-mode|port|tls-port|maxclients|dir|include|pidfile|logfile|appenddirname)$/ { print NR ": " $0 }';

export interface ConfCandidate {
  path: string;
  source: 'process' | 'systemd' | 'default';
}

/** Bounds of the include walk: arguments looked at, files read through them. */
const MAX_INCLUDE_ARGS = 64;
const MAX_INCLUDED_FILES = 16;
/** Pid files read: those the config files name, then the default locations given. */
const MAX_PID_FILES = 8;

/** The pid file Redis' own redis.conf and utils/install_server.sh give the instance on `port`. */
export function defaultPidFile(port: number): string {
  return `/var/run/redis_${safeInt(port, 65535)}.pid`;
}

/**
 * Prints each readable candidate (`### file <path> <source>` and its allow-listed
 * directives), then follows `include` lines breadth first: `### include <pattern> <file>`
 * for each file a pattern names (Redis 7 expands globs), then that file the same way.
 * Files that may exist but cannot be read are `### denied <path> <source>`.
 *
 * Include arguments come from the host's own files and stay shell data: they are
 * checked against the same characters as shell.ts (absolute, no `..`, plus the glob
 * characters `*` and `?`) and only ever used quoted, or unquoted with globbing for
 * the one expansion, never as script text.
 *
 * Then `### pidfile <path>` and the first bytes of each pid file: those the files name
 * (`pidfile`, the same character checks) and `pidFiles` (default locations). A server killed
 * by SIGKILL (the OOM killer) leaves its pid file behind: the pid that served the port.
 */
export function redisConfScript(files: ConfCandidate[], pidFiles: string[] = []): string {
  return [
    // Read as the login user where it can; otherwise only `cat` runs privileged (awk can run
    // programs, so it never gets sudo), and a sudoers entry needs nothing but `cat <file>`.
    'r() { if [ -r "$1" ]; then cat "$1"; else s cat "$1"; fi; }',
    // Visible, or hidden by a directory the login user cannot search; else missing (no need to ask sudo).
    'v() { [ -e "$1" ] || [ ! -x "${1%/*}/" ]; }',
    "seen=' '; q=''",
    'c() {',
    '  case "$seen" in *" $1 "*) return 0;; esac',
    '  seen="$seen$1 "',
    '  v "$1" || return 0',
    // cat itself tells a missing file from a refusal (sudo: "a password is required").
    '  if [ ! -r "$1" ] && ! e=$(s cat "$1" 2>&1 >/dev/null); then case "$e" in *"No such file"*) ;; *) echo "### denied $1 $2";; esac; return 0; fi',
    '  echo "### file $1 $2"',
    `  y=$(r "$1" | awk '${CONF_AWK}')`,
    `  [ -z "$y" ] || printf '%s\\n' "$y"`,
    // (Most files include nothing: no processes spent on them.)
    `  case "$y" in *[Ii][Nn][Cc][Ll][Uu][Dd][Ee]*) q="$q $(printf '%s\\n' "$y" | awk 'tolower($2) == "include" { print $3 }' | tr -d "\\"'" | head -n ${MAX_INCLUDE_ARGS})";; esac`,
    `  case "$y" in *[Pp][Ii][Dd][Ff][Ii][Ll][Ee]*) pf="$pf $(printf '%s\\n' "$y" | awk 'tolower($2) == "pidfile" { print $3 }' | tr -d "\\"'" | head -n ${MAX_PID_FILES})";; esac`,
    '}',
    "pf=''",
    ...files.map((f) => `c ${safePath(f.path)} ${f.source}`),
    'k=0; m=0',
    'set -f',
    `while [ $k -lt ${MAX_INCLUDE_ARGS} ] && [ $m -lt ${MAX_INCLUDED_FILES} ]; do`,
    '  set -- $q',
    '  [ $# -gt 0 ] || break',
    '  p=$1; shift; q="$*"; k=$((k + 1))',
    '  case "$p" in /*) ;; *) continue;; esac',
    '  case "$p" in *[!A-Za-z0-9._+@%=,/*?-]*|*/../*|*/..|*//*) continue;; esac',
    '  set +f',
    '  for f in $p; do',
    `    [ $m -lt ${MAX_INCLUDED_FILES} ] || break`,
    // A matched name with other characters (space, newline …) would garble the headers: not followed.
    '    case "$f" in *[!A-Za-z0-9._+@%=,/-]*) continue;; esac',
    '    [ ! -d "$f" ] && v "$f" || continue',
    '    m=$((m + 1)); echo "### include $p $f"; c "$f" include',
    '  done',
    '  set -f',
    'done',
    // Unquoted with globbing off: one word per path. A pid is a few digits: 16 bytes at most are read.
    `k=0; for p in $pf ${pidFiles.map((f) => safePath(f)).join(' ')}; do`,
    `  [ $k -lt ${MAX_PID_FILES} ] || break`,
    '  case "$p" in /*) ;; *) continue;; esac',
    '  case "$p" in *[!A-Za-z0-9._+@%=,/-]*|*/../*|*/..|*//*) continue;; esac',
    '  [ -f "$p" ] && [ -r "$p" ] || continue',
    '  k=$((k + 1)); echo "### pidfile $p"; head -c 16 "$p"; echo',
    'done',
    'exit 0',
  ].join('\n');
}

/**
 * `/proc/<pid>/limits` and `/proc/<pid>/cgroup` of the servers on the ports: the cgroup is what
 * ties an OOM kill's `task_memcg=` to the unit or container that serves the port (world-readable).
 */
export function procLimitsScript(pids: number[]): string {
  return [
    // /proc/<pid>/status is world-readable: VmSwap and VmRSS of the server (latency-spikes), no sudo.
    ...pids.map((p) => `echo "### pid ${safeInt(p)}"; s cat /proc/${safeInt(p)}/limits; echo "### cgroup ${safeInt(p)}"; cat /proc/${safeInt(p)}/cgroup; echo "### status ${safeInt(p)}"; grep -E '^(VmSwap|VmRSS):' /proc/${safeInt(p)}/status`),
    'exit 0',
  ].join('\n');
}

/** Data directories to measure; defaults are tried only when neither a process nor a config names one. */
export const DEFAULT_DATA_DIRS = ['/var/lib/redis', '/var/lib/redis-server', '/var/lib/redis-stack', '/data', '/var/db/redis'];

/** A data directory named by a config file (its `dir`, includes followed). */
export interface ConfDataDir {
  conf: string;
  dir: string;
}

/** At most this many `dir` values of the config files are measured. */
const MAX_CONF_DIRS = 16;

/**
 * `### <origin> <ref> <path>` then `df -P -k` for each data directory: the cwd of each pid, the
 * `dir` of each config file given, and each of the script's arguments. The arguments are the
 * `dir` values the redis-conf section printed (batch.ts hands them over in shell, as data): only
 * absolute paths of the characters isSafeAbsolutePath allows are measured, the others skipped.
 */
export function dfScript(pids: number[], confDirs: ConfDataDir[]): string {
  return [
    'd() { echo "### $1 $2 $3"; s df -P -k "$4"; }',
    'n=0',
    // Redis chdir()s to its `dir` (config.c), so the process cwd is the data directory. It is measured
    // through /proc/<pid>/cwd, which reaches it in whatever mount namespace the process lives (inside a
    // container its path means something else here); the path reported is the one readlink shows.
    ...pids.map((p) => {
      const pid = safeInt(p);
      return `x=$(s readlink /proc/${pid}/cwd 2>/dev/null); if [ -n "$x" ]; then d process-cwd ${pid} "$x" /proc/${pid}/cwd/.; n=1; fi`;
    }),
    ...confDirs.map((c) => `d config-dir ${safePath(c.conf)} ${safePath(c.dir)} ${safePath(c.dir)}; n=1`),
    'k=0',
    'for x in "$@"; do',
    `  [ $k -lt ${MAX_CONF_DIRS} ] || break`,
    '  case "$x" in /*) ;; *) continue;; esac',
    '  case "$x" in *[!A-Za-z0-9._+@%=,/-]*|*/../*|*/..|*//*) continue;; esac',
    '  [ ${#x} -le 255 ] || continue',
    '  k=$((k + 1)); d config-dir - "$x" "$x"; n=1',
    'done',
    `if [ $n = 0 ]; then for x in ${DEFAULT_DATA_DIRS.map((d) => safePath(d)).join(' ')}; do [ -d "$x" ] && d default-dir - "$x" "$x"; done; fi`,
    'exit 0',
  ].join('\n');
}

/** How much of a log's end is read: 256 kB, a few thousand lines of a busy server. */
export const LOG_TAIL_BYTES = 262144;
/** Log files read (the `logfile` values the config files printed, in order). */
const MAX_LOG_FILES = 4;
/** Lines of a unit's journal read before the byte bound. */
const JOURNAL_LINES = 5000;

/**
 * One awk pass over a log's tail (at most LOG_TAIL_BYTES + 1 bytes: one more tells a longer file),
 * linear and bounded, printing only:
 *   b <bytes read>  p <1: there was more before them>  f <time of the first whole line>  l <time of the last>
 *   n <lines "… for overcoming of output buffer limits">  c <pid:role> <time> flags= addr= name= cmd=  (the last 8)
 *   a <lines "Asynchronous AOF fsync is taking too long"> <time of the last>
 * A line's time is Redis' prefix `pid:role dd Mon yyyy hh:mm:ss.mmm` (server.c serverLogRaw), fields
 * cut to 32 bytes, values to 65 (one more tells a cut value). When there was more before, the first line is cut: it is left out.
 * No `>` anywhere: the read-only check allows no redirection-looking text in a script.
 */
const LOG_AWK = [
  'function h(s, w, i, k, q, v, fl, ad, nm, cm) {',
  '  split(s, w, " "); T = substr(w[2], 1, 32) " " substr(w[3], 1, 32) " " substr(w[4], 1, 32) " " substr(w[5], 1, 32); C = ""; F = 0',
  '  if (index(s, "for overcoming of output buffer limits")) {',
  '    fl = ad = nm = cm = "-"',
  '    for (i = 6; i in w; i++) { q = index(w[i], "="); if (!q) continue; k = substr(w[i], 1, q - 1); v = substr(w[i], q + 1, 65); if (v == "") v = "-"',
  '      if (k == "flags" && fl == "-") fl = v; else if (k == "addr" && ad == "-") ad = v; else if (k == "name" && nm == "-") nm = v; else if (k == "cmd" && cm == "-") cm = v }',
  '    C = "c " substr(w[1], 1, 32) " " T " flags=" fl " addr=" ad " name=" nm " cmd=" cm',
  '  }',
  '  if (index(s, "AOF fsync is taking too long")) F = 1',
  '}',
  `BEGIN { L = ${LOG_TAIL_BYTES} }`,
  'NR == 1 { z = $0; b = length($0) + 1; next }',
  '{ b += length($0) + 1; h($0); if (f == "") f = T; l = T; if (C != "") { m++; r[m % 8] = C } if (F) { a++; at = T } }',
  'END {',
  '  p = (L < b); n = m',
  '  if (NR && !p) { h(z); f = T; if (NR == 1) l = T; if (C != "") { n++; if (m < 8) print C } if (F) { a++; if (at == "") at = T } }',
  '  for (j = m - 7; j <= m; j++) if (0 < j) print r[j % 8]',
  '  print "b " (p ? L : b); print "p " p; print "f " f; print "l " l; print "n " n + 0; print "a " a + 0 " " at',
  '}',
].join('\n');

/**
 * `### log file <path>` or `### log journal <unit>`, then the LOG_AWK lines of its tail, or
 * `missing` / `not-a-file`, or the tool's own error line (permission denied, sudo refused). The
 * paths are the script's arguments: the `logfile` values the redis-conf section printed (batch.ts
 * hands them over as shell data), checked here as dfScript checks its own. The unit is the one
 * whose MainPID serves the target port (planned from systemctl and ss): its journal holds the log
 * of a server with `logfile ""`. Only `tail` runs privileged (awk never does).
 */
export function redisLogScript(unit?: string): string {
  if (unit !== undefined && !isSafeUnitName(unit)) throw new UnsafeValueError('not a unit name');
  return [
    `A='${LOG_AWK}'`,
    // The host's clock in the log's own format (the server's local time, as the host's): how old a line is.
    `echo "### now $(date '+%d %b %Y %H:%M:%S')"`,
    `t() { if [ -r "$1" ]; then tail -c ${LOG_TAIL_BYTES + 1} "$1"; else s tail -c ${LOG_TAIL_BYTES + 1} "$1"; fi; }`,
    "k=0; seen=' '",
    'for p in "$@"; do',
    `  [ $k -lt ${MAX_LOG_FILES} ] || break`,
    '  case "$p" in /*) ;; *) continue;; esac',
    '  case "$p" in *[!A-Za-z0-9._+@%=,/-]*|*/../*|*/..|*//*) continue;; esac',
    '  [ ${#p} -le 255 ] || continue',
    '  case "$seen" in *" $p "*) continue;; esac',
    '  seen="$seen$p "; k=$((k + 1)); echo "### log file $p"',
    // A FIFO or a device named as the log would block or never end: only regular files are read.
    '  if [ -f "$p" ] || { [ ! -e "$p" ] && [ ! -x "${p%/*}/" ]; }; then { t "$p" 2>&3 | awk "$A"; } 3>&1',
    '  elif [ -e "$p" ]; then echo not-a-file; else echo missing; fi',
    'done',
    ...(unit
      ? [`if command -v journalctl >/dev/null 2>&1; then echo "### log journal ${unit}"; { s journalctl -u '${unit}' -n ${JOURNAL_LINES} --no-pager -o cat 2>&3 | tail -c ${LOG_TAIL_BYTES + 1} | awk "$A"; } 3>&1; fi`]
      : []),
    'exit 0',
  ].join('\n');
}

/** Log lines and bytes read per container by the docker-inspect section (the Engine API reads the same: docker/engine-api.ts). */
export const DOCKER_LOG_LINES = 30;
export const DOCKER_LOG_BYTES = 64 * 1024;

/**
 * `docker inspect` of the Redis containers (`### inspect`, the JSON, `### rc`), then the last
 * lines of the logs of those not running well (`### logs <id>`): Redis prints a FATAL CONFIG FILE
 * ERROR on stderr, so both streams, at most DOCKER_LOG_BYTES. The log is the container's text:
 * every line of it is printed behind `| `, so no line it holds can read as one of our headers.
 * The section's exit status is inspect's.
 */
export function dockerInspectScript(ids: string[], logIds: string[] = []): string {
  return [
    "echo '### inspect'",
    `s docker inspect ${ids.map(safeContainerId).join(' ')}; r=$?`,
    'echo; echo "### rc $r"',
    ...logIds.map((id) => `echo '### logs ${safeContainerId(id)}'; s docker logs --tail ${DOCKER_LOG_LINES} ${safeContainerId(id)} 2>&1 | head -c ${DOCKER_LOG_BYTES} | sed 's/^/| /'; echo`),
    'exit $r',
  ].join('\n');
}

/**
 * Docker events of these containers (issue #19) from `sinceSec` (the last good probe; without
 * one the host's now minus 15 min) until the host's now, so `docker events` replays what the
 * engine kept and returns instead of streaming. Read-only; ids are hex (validated), the window
 * integers, the filters constants. The first line says the window (the host's clock); the
 * docker exit status follows the events; the answer is cut at MAX_EVENT_BYTES on the host.
 */
export function dockerEventsScript(ids: string[], sinceSec?: number): string {
  // Filter values quoted: they are data (an action named kill is no kill command).
  const filters = ["--filter 'type=container'", ...ids.map((id) => `--filter 'container=${safeContainerId(id)}'`), ...EVENT_ACTIONS.map((a) => `--filter 'event=${a}'`)];
  return [
    'de_u=$(date +%s)',
    sinceSec !== undefined ? `de_s=${safeInt(sinceSec, 99_999_999_999)}; de_f=probe` : `de_s=$((de_u - ${DEFAULT_EVENTS_WINDOW_MS / 1000})); de_f=default`,
    'echo "### window $de_s $de_u $de_f"',
    `{ s docker events --since "$de_s" --until "$de_u" ${filters.join(' ')} --format '{{json .}}'; echo "### rc $?"; } | head -c ${MAX_EVENT_BYTES}`,
    'exit 0',
  ].join('\n');
}

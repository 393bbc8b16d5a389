/**
 * What the read-only SSH checks saw on the Redis host (issue #3). Plain data:
 * every field is absent when its command was not run, the tool does not exist
 * there, or it could not be read. Secrets are redacted by the parsers before
 * anything lands here; raw command output is never stored.
 */
import type { DockerEvents } from '../docker/events.js';

/** Why the SSH session could not run commands. Public: `details.reason` of `remote-check-failed`. */
export type RemoteFailureReason =
  | 'host-key-mismatch'
  | 'auth-failed'
  | 'unreachable'
  | 'timeout'
  | 'no-credentials'
  | 'key-unreadable'
  | 'known-hosts-unreadable'
  | 'protocol-error'
  | 'aborted';

/** How the presented host key compared with known_hosts. */
export type HostKeyStatus = 'match' | 'mismatch' | 'unknown-host' | 'revoked' | 'not-checked';

export interface RemoteSessionInfo {
  ok: boolean;
  /** Why no command ran: host-key-mismatch, auth-failed, unreachable, timeout, … */
  failureReason?: RemoteFailureReason;
  message?: string;
  host: string;
  port: number;
  user?: string;
  durationMs: number;
  hostKey?: {
    status: HostKeyStatus;
    /** Key type presented by the server (ssh-ed25519, ecdsa-sha2-nistp256 …). */
    type?: string;
    /** OpenSSH-style fingerprint of the presented key: SHA256:… */
    fingerprint?: string;
    /** known_hosts line number that matched (or that listed the host with another key). */
    line?: number;
  };
  /** True once a user-authentication request was sent; false proves no credentials were offered. */
  authAttempted?: boolean;
  sudo?: boolean;
}

/** Ids of the fixed command catalogue; the check id is `ssh-<id>`. */
export type RemoteCommandId =
  | 'ps'
  | 'ss'
  | 'systemd'
  | 'free'
  | 'kernel-oom'
  | 'iptables'
  | 'nft'
  | 'ufw'
  | 'firewalld'
  | 'docker-ps'
  | 'kubectl'
  | 'redis-conf'
  | 'proc-limits'
  | 'df'
  | 'docker-inspect'
  | 'docker-events'
  | 'host-tuning'
  | 'redis-log';

/**
 * ok: ran and parsed · missing: tool not installed (skipped) · unavailable: tool there but its
 * service is not (no systemd, no Docker daemon, no cluster) · denied: not permitted (try `sudo`) ·
 * failed: ran but errored or its output was not understood · timeout: cut off on the host by timeout(1) at the step bound, or no answer before the SSH phase bound.
 */
export type RemoteCommandStatus = 'ok' | 'missing' | 'unavailable' | 'denied' | 'failed' | 'timeout';

export interface RemoteCommandOutcome {
  id: RemoteCommandId;
  status: RemoteCommandStatus;
  exitCode?: number;
  /** One line, redacted: a summary on success, the reason otherwise. */
  detail: string;
  durationMs: number;
}

/**
 * The process state letter of `ps` STAT (procps ps(1) "PROCESS STATE CODES"): R running or
 * runnable, S interruptible sleep, D uninterruptible sleep (usually I/O), T stopped by a job
 * control signal, t stopped by a debugger, Z zombie, X dead, I idle kernel thread, W paging.
 */
export type ProcessState = 'running' | 'sleeping' | 'disk-sleep' | 'stopped' | 'tracing-stop' | 'zombie' | 'dead' | 'idle' | 'paging';

/** A redis-server process as `ps` shows it. */
export interface RedisProcess {
  pid: number;
  user: string;
  /** `ps` STAT as printed (`Ssl`, `Tsl`, `Z` …); absent when ps printed no STAT column. */
  stat?: string;
  /** The state its first letter names. */
  state?: ProcessState;
  /** The ps line (pid, user, STAT, command line), secrets redacted, for evidence. */
  line?: string;
  /** The command line, secrets redacted. */
  args: string;
  /** Redis' own process title `redis-server 127.0.0.1:6379` names the first bind address and port. */
  titleAddress?: string;
  titlePort?: number;
  /** A config file named on the command line (absolute, safe characters only). */
  configPath?: string;
  /** `--port N` on the command line. */
  argPort?: number;
  /** Zombie `[redis-server] <defunct>`. */
  defunct: boolean;
}

/** One listening TCP socket from `ss -ltnp` (or `netstat -ltnp`). */
export interface TcpListener {
  /** Address as printed, brackets removed: 0.0.0.0, ::, 127.0.0.1, ::1, *, 10.0.0.5 … */
  address: string;
  port: number;
  process?: string;
  pid?: number;
  /** The output line, trimmed, for evidence. */
  line: string;
}

export interface SystemdUnit {
  id: string;
  loadState?: string;
  activeState?: string;
  subState?: string;
  result?: string;
  execMainStatus?: number;
  execMainCode?: string;
  mainPid?: number;
  /** ExecMainPID: the main process of the last start, kept after it exited (a killed server's pid). */
  execMainPid?: number;
  /** ControlGroup: the unit's cgroup path, what the kernel prints as `task_memcg=` for its processes. */
  controlGroup?: string;
  nRestarts?: number;
  /** argv of ExecStart, e.g. `/usr/bin/redis-server /etc/redis/redis.conf --supervised systemd`. */
  execStartArgv?: string;
  configPath?: string;
  /** `redis-server.service: failed (Result: exit-code, status 1)` — for evidence. */
  summary: string;
}

export interface RedisConfLine {
  /** Line number in its file. */
  n: number;
  /** The directive line, secret values replaced by `<redacted>`. */
  text: string;
  /** The included file the line comes from; absent for the file's own lines. */
  file?: string;
}

export interface RedisConfFile {
  path: string;
  source: 'process' | 'systemd' | 'default';
  lines: RedisConfLine[];
  bind?: string[];
  protectedMode?: boolean;
  port?: number;
  tlsPort?: number;
  /** Only whether it is set: the value never leaves the host (redacted remotely and again here). */
  requirepassSet: boolean;
  maxclients?: number;
  /** `pidfile`: where the server writes its pid (left behind when it is killed). */
  pidfile?: string;
  dir?: string;
  /** `logfile`: where the server logs; `""` (the default) is stdout, the journal under systemd. */
  logfile?: string;
  /** `appenddirname` (Redis ≥ 7): the AOF directory inside `dir`. */
  appendDirName?: string;
  /** `include` arguments, as written (this file's and those of the files it includes). */
  includes: string[];
  /** Included files read and applied where their include line stands (Redis reads them in place). */
  included?: string[];
  /** `include` arguments whose file could not be read (relative, unsafe characters, missing, denied, too deep). */
  unfollowed?: string[];
}

export interface MemoryInfo {
  totalBytes: number;
  usedBytes: number;
  freeBytes: number;
  availableBytes?: number;
  swapTotalBytes: number;
  swapFreeBytes: number;
  /** The `Mem:` line as printed. */
  line: string;
}

export interface OomKill {
  process: string;
  pid?: number;
  /** The kernel log line, as printed. */
  line: string;
  /** `task_memcg=` of the kernel's oom-kill summary line: the memory cgroup the killed task ran in. */
  memcg?: string;
  /** When it happened (ISO), from the journal's time or the dmesg stamp and the host's clock. */
  at?: string;
}

export interface OomEvidence {
  source: 'dmesg' | 'journalctl';
  /** Kills of redis-server (other processes are dropped). */
  kills: OomKill[];
}

export interface DiskUsage {
  /** Why this path was measured. */
  origin: 'process-cwd' | 'config-dir' | 'default-dir';
  pid?: number;
  configPath?: string;
  path: string;
  filesystem: string;
  sizeBytes: number;
  usedBytes: number;
  availableBytes: number;
  usePercent: number;
  mountedOn: string;
  line: string;
}

/** The cgroup a running redis-server is in (/proc/<pid>/cgroup): the memory controller's path. */
export interface ProcessCgroup {
  pid: number;
  /** cgroup v1 `N:…memory…:/path`, else the v2 `0::/path`. */
  memcg: string;
}

/** A pid file read on the host (`pidfile` of a config file, or the default /var/run/redis_<port>.pid). */
export interface PidFile {
  path: string;
  pid: number;
  /** The config file that names it; absent for a default location. */
  configPath?: string;
  /** The port a default location is named after. */
  port?: number;
}

export interface OpenFilesLimit {
  pid: number;
  /** null = unlimited */
  soft: number | null;
  hard: number | null;
  line: string;
}

export type FirewallTool = 'iptables' | 'ip6tables' | 'nft' | 'ufw' | 'firewalld';
export type FirewallVerdict = 'accept' | 'drop' | 'reject';

/** A firewall rule reduced to what decides a new TCP connection to one port. */
export interface FirewallRule {
  /** The rule as the tool printed it, for evidence. */
  line: string;
  action: FirewallVerdict | 'jump' | 'return' | 'other';
  jumpTarget?: string;
  protocol: 'tcp' | 'udp' | 'any' | 'other';
  /** Destination port ranges; absent = any port. */
  ports?: [number, number][];
  /** Conditions that may or may not hold for our client (source address, interface …): quoted in evidence. */
  conditions: string[];
  /** Only applies to loopback traffic (`-i lo`): never to a remote client. */
  loopbackOnly?: boolean;
  /** A conntrack state match that excludes NEW connections. */
  excludesNew?: boolean;
  /** A negation we do not evaluate (`! --dport`): treated as "may match". */
  negated?: boolean;
}

export interface FirewallChain {
  name: string;
  policy?: FirewallVerdict;
  /** How the tool printed the policy (`-P INPUT DROP`, `policy drop;`, `Default: deny (incoming)`). */
  policyLine?: string;
  rules: FirewallRule[];
}

/** One tool's view of the host firewall, input path only. */
export interface FirewallTable {
  tool: FirewallTool;
  family: 'ipv4' | 'ipv6' | 'inet';
  /** false for ufw/firewalld when installed but inactive. */
  active: boolean;
  /** Chains traffic to the host enters first (INPUT, nft `hook input` chains, a ufw/firewalld zone). */
  entryChains: string[];
  chains: Record<string, FirewallChain>;
  /** Free-form facts for evidence (`Default: deny (incoming)`, zone name …). */
  notes: string[];
}

export interface DockerPort {
  containerPort: number;
  protocol: string;
  hostIp?: string;
  hostPort?: number;
}

export interface DockerContainer {
  id: string;
  name: string;
  image: string;
  command: string;
  status: string;
  running: boolean;
  /** Image or command says redis-server / redis. */
  redis: boolean;
  ports: DockerPort[];
  /** From `docker inspect`: host, bridge, a network name … */
  networkMode?: string;
  /** `docker ps` PORTS column as printed. */
  portsText: string;
  /** From `docker inspect`: State.OOMKilled, the kernel OOM killer ended its main process. */
  oomKilled?: boolean;
  /** From `docker inspect` (issue #19): State.Status — created, running, paused, restarting, exited, dead. */
  state?: string;
  exitCode?: number;
  /** RestartCount: how often the restart policy started it again. */
  restartCount?: number;
  /** HostConfig.RestartPolicy.Name: no, always, unless-stopped, on-failure. */
  restartPolicy?: string;
  /** State.Health.Status (healthy, unhealthy, starting) and the last check's output, capped. */
  health?: string;
  healthOutput?: string;
  /** State.Health.FailingStreak: consecutive failed checks (issue #19, container-unhealthy). */
  healthFailingStreak?: number;
  /** The last entries of State.Health.Log (at most 3, oldest first): exit code, output (redacted, capped), end time. */
  healthLog?: { exitCode?: number; output: string; at?: string }[];
  /** Config.Healthcheck: the test command (redacted: it often holds `redis-cli -a <password>`), interval and retries. */
  healthTest?: string;
  healthIntervalSec?: number;
  healthRetries?: number;
  /** HostConfig.PortBindings: what it publishes when it runs, also while it is stopped. */
  bindings?: DockerPort[];
  /** Config.ExposedPorts (`6379/tcp`). */
  exposed?: DockerPort[];
  /** HostConfig.Memory in bytes (0: no limit). */
  memoryBytes?: number;
  /** State.FinishedAt / StartedAt (ISO), State.Error (capped). */
  finishedAt?: string;
  startedAt?: string;
  error?: string;
  /** The last lines of its log (stdout and stderr), capped and redacted; read only for a Redis container that is not running well. */
  logTail?: string[];
}

export interface K8sServicePort {
  port: number;
  targetPort: string;
  nodePort?: number;
  protocol: string;
}

export interface K8sService {
  namespace: string;
  name: string;
  type: string;
  clusterIP?: string;
  externalIPs: string[];
  loadBalancerIPs: string[];
  ports: K8sServicePort[];
  hasSelector: boolean;
}

export interface K8sEndpoints {
  namespace: string;
  name: string;
  ready: string[];
  notReady: string[];
  ports: number[];
}

/** The bound of the whole SSH phase ran out before these catalogue commands answered. */
export interface RemoteCutOff {
  boundMs: number;
  /** In catalogue order. */
  unanswered: RemoteCommandId[];
}

export interface RemoteObservation {
  /** The SSH session itself. */
  session: RemoteSessionInfo;
  /** Every catalogue command attempted, in catalogue order. */
  commands: RemoteCommandOutcome[];
  /** Set when the SSH phase bound (--ssh-timeout, ssh.timeoutMs) cut the checks short. */
  cutOff?: RemoteCutOff;
  /** Login shells started for the checks (one per SSH channel): at most 2. */
  shellStarts?: number;
  processes?: RedisProcess[];
  listeners?: TcpListener[];
  systemd?: { units: SystemdUnit[] };
  redisConf?: RedisConfFile[];
  memory?: MemoryInfo;
  oom?: OomEvidence;
  disks?: DiskUsage[];
  fileLimits?: OpenFilesLimit[];
  /** cgroups of the redis-servers whose limits were read (the ones serving ports here). */
  cgroups?: ProcessCgroup[];
  pidFiles?: PidFile[];
  firewall?: FirewallTable[];
  docker?: { containers: DockerContainer[]; events?: DockerEvents };
  kubernetes?: { services: K8sService[]; endpoints: K8sEndpoints[] };
  /** /proc/<pid>/status of the redis-servers whose limits were read (the ones serving ports here): swap and resident memory. */
  processStatus?: ProcessStatus[];
  /** Host-wide settings the slow-path causes read (issue #18): THP, the ephemeral port range, TIME_WAIT per local port. */
  hostTuning?: HostTuning;
  /** The tails of the server logs the config files name (and the journal of the unit serving the port), reduced to what the slow-path causes count. */
  serverLogs?: ServerLog[];
}

/**
 * One Redis log as the `redis-log` section read it: at most its last LOG_TAIL_BYTES, reduced on
 * the host to counts and a few fields of the lines that matter (never the raw log).
 */
export interface ServerLog {
  /** A file a config file's `logfile` names, or the journal of a systemd unit (`logfile ""`: stdout). */
  source: 'file' | 'journal';
  /** The file's path, or the unit's name. */
  path: string;
  /** missing: no such file (rotated away, never written); denied: not readable (sudo refused); not-a-file: a directory, FIFO or device. */
  status: 'read' | 'missing' | 'denied' | 'not-a-file';
  /** Bytes read from its end, and whether there was more before them (only the tail was read). */
  bytesRead: number;
  partial: boolean;
  /** The time of the first and of the last whole line read, as the log prints it (the host's local time). */
  firstAt?: string;
  lastAt?: string;
  /** Lines "Client … closed for overcoming of output buffer limits" (Redis: `scheduled to be closed ASAP for …`, `closed for …`). */
  bufferClosures: number;
  /** The last few of them (at most 8), oldest first: fields only, capped, invisible characters shown. */
  closures: LogClosure[];
  /** Lines "Asynchronous AOF fsync is taking too long (disk is busy?)", and the time of the last. */
  slowFsyncs: number;
  lastSlowFsyncAt?: string;
  /** The host's clock when it was read, in the same format: how old the lines are. */
  hostNow?: string;
}

export interface LogClosure {
  /** The log line's time (host local time), when it has Redis' own `pid:role dd Mon yyyy hh:mm:ss.mmm` prefix. */
  at?: string;
  /** The pid of the server that wrote the line. */
  pid?: number;
  /** From `flags=`: P pub/sub, S replica, M the primary's link (on a replica), else a normal client. */
  kind: 'pubsub' | 'replica' | 'master' | 'normal';
  flags: string;
  addr?: string;
  name?: string;
  cmd?: string;
}

export interface ProcessStatus {
  pid: number;
  /** VmSwap: how much of the process is in swap, kB. */
  vmSwapKb?: number;
  vmRssKb?: number;
}

export interface HostTuning {
  /** /sys/kernel/mm/transparent_hugepage/enabled: the bracketed choice (`always`, `madvise`, `never`). */
  thp?: string;
  /** net.ipv4.ip_local_port_range: the first and last ephemeral port. */
  portRange?: [number, number];
  /** `ss -tan state time-wait` counted per local port: the ports with the most, counts only. */
  timeWait?: { port: number; count: number }[];
  /** TIME_WAIT sockets in all (every port). */
  timeWaitTotal?: number;
  /** /proc/pressure/io (Linux ≥ 4.20): % of time some / all tasks waited for I/O, over 10 s and 60 s. Host-wide. */
  ioPressure?: { some10: number; some60: number; full10: number; full60: number };
}

/** What a caller (CLI, worker, monitor) hands the engine for one diagnosis. */
import type { TargetInfo } from './types.js';
import type { DockerTargetOptions } from '../docker/types.js';

export const DEFAULT_TIMEOUT_MS = 2000;
/** The range a timeout may be given in (--timeout, --ssh-timeout, `ssh.timeoutMs`). */
export const MIN_TIMEOUT_MS = 50;
export const MAX_TIMEOUT_MS = 600_000;

export interface Credentials {
  user?: string;
  /** Never copied into observations, findings, checks or errors. */
  password?: string;
}

export interface TlsOptions {
  /** CA bundle (PEM) to verify the server certificate against. */
  ca?: string;
  /** Skip certificate verification (like redis-cli --insecure). */
  insecure?: boolean;
  /** SNI / name to verify; defaults to the target host when it is a name. */
  servername?: string;
}

export interface SshTargetOptions {
  host: string;
  port: number;
  user: string;
  /** PEM/OpenSSH private key contents (read by the caller). */
  privateKey?: string;
  privateKeyPath?: string;
  /** OpenSSH known_hosts contents; required: no match, no commands. */
  knownHosts: string;
  knownHostsPath?: string;
  /** Run the commands that need privileges through `sudo -n`. */
  sudo?: boolean;
  /** Offer the ssh-agent at $SSH_AUTH_SOCK (after the key file) when one runs; false never does. */
  useAgent?: boolean;
  /**
   * Bound for the whole SSH phase: connect, host key, login and every check (--ssh-timeout,
   * ssh.timeoutMs). Default: the larger of 10000 ms and 5 × the step timeout.
   */
  timeoutMs?: number;
}

/** The monitor's memory of a target: it answered at this very address until a moment ago. */
export interface TargetHistory {
  /** ISO time of the last probe that got +PONG from this address and port. */
  lastAnsweredAt?: string;
  /**
   * The monitor's idle watch (monitor/idle-watch.ts): a connection it held idle
   * was closed (FIN), reset, or went silent (a PING after the idle got no reply).
   */
  idleClosed?: { how: 'closed' | 'reset' | 'silent'; idleSeconds: number; at: string };
  /** ISO time of the first failed probe after it: with lastAnsweredAt, the window the outage began in. */
  firstFailedAt?: string;
  /**
   * The monitor's ticks read INFO server's run_id: each time it differed from
   * the one read before, the new one and when (ms since the epoch), oldest
   * first, within the monitor's window (monitor/restarts.ts). A changed run_id
   * is a new process: the server restarted in between (restart-loop).
   */
  runIdChanges?: { at: number; runId: string }[];
  /** Since when (ms) the monitor has read run_ids of this target: the window runIdChanges covers. */
  runIdsSince?: number;
}

/**
 * What the caller knows about the client's view of the topology (addition):
 * from the config target (`sentinelMaster`, `cluster`, `clientAccess`) or the CLI.
 */
export interface TopologyOptions {
  /** The target url is a Sentinel: diagnose the primary it names for this master. */
  sentinelMaster?: string;
  /** The client is cluster-aware (true) or a plain client (false); unknown when absent. */
  cluster?: boolean;
  /** The client writes (a replica fails it) or only reads (a replica serves it); unknown when absent. */
  access?: 'read' | 'write';
  /** Probe the nodes the topology names, one hop away (default true). */
  follow?: boolean;
}

/**
 * Which addresses learned from the wire the topology hop may contact
 * (docs/topology.md, "Following the topology"). The caller decides, the engine applies
 * it to every followed address, the bus ports included; absent: `configured`.
 *  - configured: a target the user named (config file, CLI): its topology is
 *    followed, names included;
 *  - ad-hoc: a target admitted by its network (a Slack user typed it): a
 *    followed address passes the same admission, an IP literal `allows`
 *    accepts, or it is not contacted at all.
 * Either way a loopback or unspecified address (127.0.0.0/8, ::1, 0.0.0.0, ::)
 * named by a target that is not on loopback is not contacted: it is that
 * host's own loopback, and here it would be this machine's.
 */
export interface FollowPolicy {
  kind: 'configured' | 'ad-hoc';
  /** Ad-hoc: whether an IP literal is inside the networks the target was admitted to. Absent: none is. */
  allows?: (ip: string) => boolean;
  /** Ad-hoc: the words for a refusal (`outside the allowed networks (access.adHocNetworks)`). */
  outside?: string;
}

export type ProgressEvent = { phase: 'start' | 'done'; step: string; detail?: string };

export interface DiagnoseOptions {
  /** Bound for each network step (default 2000 ms); the whole run stays bounded. */
  timeoutMs?: number;
  credentials?: Credentials;
  tls?: TlsOptions;
  ssh?: SshTargetOptions;
  /** Look for Redis on neighbouring ports when the port refuses (default true). */
  scanNeighbours?: boolean;
  /**
   * When the target is an address of this machine and refuses: try 127.0.0.1 on the same port
   * (default true). Off for targets a Slack user typed: loopback was not what they were admitted to.
   */
  loopbackProbe?: boolean;
  /** Sentinel, cluster and replica expectations (addition; see TopologyOptions). */
  topology?: TopologyOptions;
  /** Which followed addresses may be contacted (default: `configured`); see FollowPolicy. */
  followPolicy?: FollowPolicy;
  /** What the caller knows of the target's past (the monitor): it weighs the inferred causes. */
  history?: TargetHistory;
  /**
   * Where to read the target's container state (issue #19: --docker-host, the target's
   * `docker:` block, DOCKER_HOST); absent: the SSH host's own Docker with `ssh`, else the
   * local socket when the target is an address of this machine. `enabled: false` reads none.
   */
  docker?: DockerTargetOptions & { enabled?: boolean };
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
}

/** The resolved target: where to connect, never carrying a password. */
export type DiagnoseTarget = TargetInfo;

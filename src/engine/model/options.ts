/** What a caller (CLI, worker, monitor) hands the engine for one diagnosis. */
import type { TargetInfo } from './types.js';

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
  /** ISO time of the first failed probe after it: with lastAnsweredAt, the window the outage began in. */
  firstFailedAt?: string;
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
  /** What the caller knows of the target's past (the monitor): it weighs the inferred causes. */
  history?: TargetHistory;
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
}

/** The resolved target: where to connect, never carrying a password. */
export type DiagnoseTarget = TargetInfo;

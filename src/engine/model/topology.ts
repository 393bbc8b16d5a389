/**
 * What the topology phase saw: what the target is (standalone, a cluster
 * node, a Sentinel; primary or replica), the replies of the one follow-up
 * round trip INFO asked for, and the nodes probed one hop away. Plain data,
 * like every observation: the rules decide (rules/helpers/topology.ts).
 */
import type { Observations, RespReply } from './types.js';

export type TopologyKind = 'standalone' | 'cluster' | 'sentinel' | 'unknown';

/** What the caller told the engine about the client (options.topology). */
export interface TopologyExpectation {
  /** The target url is a Sentinel; the client wants the primary of this master. */
  sentinelMaster?: string;
  /** true: the client is cluster-aware; false: a plain client; absent: unknown. */
  cluster?: boolean;
  /** What the client does: writes (a replica fails it) or only reads; absent: unknown. */
  access?: 'read' | 'write';
}

/** One command of the follow-up round trip, as sent and as answered. */
export interface TopologyCommand {
  /** `CLUSTER SHARDS`, `SENTINEL GET-MASTER-ADDR-BY-NAME mymaster` … */
  command: string;
  /** The check it is reported under (`cluster-shards`, `sentinel-masters` …). */
  check: string;
  /**
   * `quote`: sent to record the reply a client gets, an error being the
   * expected answer (SENTINEL to a data node); never "evidence not collected".
   */
  purpose: 'evidence' | 'quote';
  reply?: RespReply;
  durationMs: number;
}

/** One master as SENTINEL MASTERS (or GET-MASTER-ADDR-BY-NAME) describes it. */
export interface SentinelMasterEntry {
  name: string;
  host: string;
  port: number;
  runId?: string;
  /** `master`, `s_down`, `o_down`, `disconnected` … */
  flags: string[];
  numSlaves?: number;
  numOtherSentinels?: number;
  quorum?: number;
  failoverState?: string;
}

/** A replica or a peer Sentinel as SENTINEL REPLICAS / SENTINELS list it. */
export interface SentinelPeerEntry {
  host: string;
  port: number;
  runId?: string;
  flags: string[];
  /** Replicas: `ok` or `err` (the replica's link to its primary, as Sentinel last saw it). */
  masterLinkStatus?: string;
  masterHost?: string;
  masterPort?: number;
}

export interface SentinelView {
  masters?: SentinelMasterEntry[];
  /** GET-MASTER-ADDR-BY-NAME for the configured master; null: the Sentinel knows no master of that name. */
  masterAddr?: { host: string; port: number } | null;
  replicas?: SentinelPeerEntry[];
  sentinels?: SentinelPeerEntry[];
  /** SENTINEL CKQUORUM: `+OK 3 usable Sentinels …` or `-NOQUORUM …`. */
  ckquorum?: { ok: boolean; text: string };
}

/** A cluster node, merged from CLUSTER SHARDS (or SLOTS) and CLUSTER NODES. */
export interface ClusterNodeEntry {
  id: string;
  /** The endpoint handed to clients (CLUSTER SHARDS `endpoint`, SLOTS first field): an IP, a hostname, `?` or empty. */
  endpoint: string;
  /** The node's IP as the cluster knows it. */
  ip?: string;
  hostname?: string;
  port: number;
  tlsPort?: number;
  /** The cluster bus port (CLUSTER NODES `ip:port@cport`): port + 10000 unless cluster-port says otherwise. */
  busPort?: number;
  role: 'master' | 'replica';
  /** CLUSTER SHARDS health: online, fail, loading. */
  health?: string;
  /** CLUSTER NODES flags: myself, master, slave, fail?, fail, handshake, noaddr, nofailover. */
  flags: string[];
  /** CLUSTER NODES link-state: connected or disconnected. */
  linkState?: string;
  /** Slot ranges it serves (masters). */
  slots: [number, number][];
  myself: boolean;
  /** A replica's master id. */
  masterId?: string;
}

export interface ClusterView {
  /** CLUSTER INFO fields: cluster_state, cluster_slots_assigned … */
  info?: Record<string, string>;
  nodes: ClusterNodeEntry[];
  /** Which reply listed the nodes: CLUSTER SHARDS (7.0+), CLUSTER SLOTS (older) or only CLUSTER NODES. */
  source?: 'shards' | 'slots' | 'nodes';
  /** CONFIG GET cluster-* the server agreed to show. */
  config?: Record<string, string>;
  /** Read-only key lookups spread over the slots (EXISTS): -MOVED, -ASK or -CLUSTERDOWN show what clients get. */
  keyProbes: { key: string; reply: RespReply }[];
}

/** A `__sentinel__:hello` message: a Sentinel that monitors this node, and the primary it names. */
export interface SentinelHello {
  sentinelHost: string;
  sentinelPort: number;
  sentinelRunId: string;
  masterName: string;
  masterHost: string;
  masterPort: number;
}

/** Listening on the target for Sentinel hello messages (a data node configured as a Sentinel target). */
export interface HelloDiscovery {
  waitedMs: number;
  hellos: SentinelHello[];
  /** Why nothing was heard: an error reply to SUBSCRIBE, a closed connection … */
  error?: string;
}

/** Why a node was probed one hop away. */
export type FollowReason =
  | 'sentinel-replica' // SENTINEL REPLICAS lists it
  | 'sentinel-peer' // SENTINEL SENTINELS lists it
  | 'hello-sentinel' // it announced itself in __sentinel__:hello
  | 'cluster-node' // CLUSTER SHARDS / SLOTS lists it
  | 'replica-primary'; // the target replica's master_host:master_port

/** A node probed one hop away, lightly: connect, PING, a few INFO fields. */
export interface FollowedNode {
  via: FollowReason;
  /** The address as handed out (what a client would connect to). */
  host: string;
  port: number;
  /** What the topology says answers there: a cluster node id, a Sentinel run id. */
  expectedId?: string;
  /** The connect: ok, or the error code (ECONNREFUSED, ETIMEDOUT, ENOTFOUND …). */
  connect: { ok: boolean; code?: string; address?: string; durationMs: number };
  /** PING's reply in wire form (`+PONG`, `-NOAUTH …`), when the session got that far. */
  ping?: string;
  /** A reply sent on connect (-DENIED …). */
  greeting?: string;
  /** Selected INFO fields: role, run_id, redis_mode, tcp_port, master_host, master_port, master_link_status. */
  info?: Record<string, string>;
  /** CLUSTER MYID (cluster nodes). */
  myId?: string;
  /** A peer Sentinel's GET-MASTER-ADDR-BY-NAME answer; null: it knows no such master. */
  masterAddr?: { host: string; port: number } | null;
  /** A peer Sentinel's CKQUORUM. */
  ckquorum?: { ok: boolean; text: string };
  /** Error replies seen: the command (INFO without its sections) and the reply in wire form. */
  errors: { command: string; reply: string }[];
  /** Why PING went unanswered when the session ended first: `no reply before the timeout`, `not a RESP reply` … */
  pingFailure?: string;
  /** A cluster node flagged failing: can we reach its bus port from here? (Only when that address was admitted too.) */
  bus?: { port: number; ok: boolean; code?: string };
  /** The target's credentials were not sent here, and why (docs/topology.md, "Following the topology"). */
  withheld?: string;
  durationMs: number;
}

/** An address the topology named that the follow policy did not let the doctor contact: nothing was sent to it. */
export interface NotFollowed {
  via: FollowReason | 'sentinel-primary' | 'cluster-bus';
  host: string;
  port: number;
  /** `outside the allowed networks (access.adHocNetworks)`, `a host name: ad-hoc targets follow IP addresses only` … */
  reason: string;
}

/** The primary a Sentinel target names, diagnosed with the full network probes. */
export interface FollowedPrimary {
  /** The Sentinel that named it, and for which master. */
  sentinel: string;
  masterName: string;
  observations: Observations;
}

export interface TopologyObservation {
  kind: TopologyKind;
  /** As INFO (or ROLE) reports it: master, slave, sentinel. */
  role?: string;
  /** Where kind and role came from. */
  source: 'info' | 'role' | 'none';
  expected: TopologyExpectation;
  /** The follow-up round trip on the target's own connection. */
  commands: TopologyCommand[];
  followUpTimedOut?: boolean;
  sentinel?: SentinelView;
  cluster?: ClusterView;
  /** CONFIG GET min-replicas-* on a primary whose INFO shows min_slaves_good_slaves. */
  minReplicas?: Record<string, string>;
  /** ROLE's reply, when INFO could not say (flattened: `master 0` …). */
  roleReply?: string;
  discovery?: HelloDiscovery;
  followed: FollowedNode[];
  /** Addresses named but not contacted (the follow policy refused them). */
  notFollowed?: NotFollowed[];
  /** How many were refused in all (notFollowed keeps the first few). */
  notFollowedCount?: number;
  /** More nodes were listed than the bound lets the doctor probe. */
  followLimit?: { listed: number; probed: number };
  primary?: FollowedPrimary;
}

/**
 * The data that flows through one diagnosis:
 *
 *   target → probes → Observations → rules → Findings → Diagnosis
 *
 * Probes never decide, rules never do I/O, renderers never compute: every
 * type here is plain data so a rule can be tested with a literal object.
 */
import type { CauseId } from './causes.js';
import type { RemoteObservation } from '../remote/types.js';
import type { DockerObservation } from '../docker/types.js';
import type { TargetHistory } from './options.js';
import type { TopologyObservation } from './topology.js';

export type { CauseId } from './causes.js';
export type * from './topology.js';

export type Severity = 'critical' | 'warning' | 'info';
export type Verdict = 'healthy' | 'degraded' | 'unreachable';
export type Risk = 'low' | 'medium' | 'high';
export type RemediationMode = 'automatic' | 'guided';

/** A fix the operator can apply. `steps` are concrete commands or edits. */
export interface Remediation {
  /** Stable id, used in Slack action ids `remediate:<id>`: [a-z0-9-]+ */
  id: string;
  title: string;
  risk: Risk;
  mode: RemediationMode;
  steps: string[];
  /** How to confirm the fix worked (usually: run the diagnosis again). */
  verify?: string;
  /**
   * For mode `automatic`: the single Redis command (argv) that applies the
   * fix, so the bot sends exactly what the approver saw. Never holds a secret.
   */
  redisCommand?: string[];
}

/**
 * How strongly the evidence supports a finding (INTERFACES.md section 2):
 *  - confirmed: a server reply or host evidence names this cause (-DENIED; ss shows the listener on 127.0.0.1 only; a DROP rule for the port);
 *  - likely: inferred from network evidence alone, with no other explanation left open;
 *  - possible: one of several explanations the evidence leaves open (Redis answers on another port of a host that may run several instances).
 * A possible finding never outranks a confirmed or likely one, and never explains one away.
 */
export type Confidence = 'confirmed' | 'likely' | 'possible';

export interface Finding {
  cause: CauseId;
  severity: Severity;
  confidence: Confidence;
  title: string;
  /** Quotes of what was observed: server replies, error codes, config lines. */
  evidence: string[];
  remediations: Remediation[];
  /** Extra machine-readable facts (e.g. the neighbouring port found, a reason code). */
  details?: Record<string, string | number | boolean>;
}

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

/** One step the engine ran, in the order it ran, for the "what was checked" part of a report. */
export interface Check {
  id: string;
  status: CheckStatus;
  durationMs: number;
  detail: string;
}

/** The target as shown in reports: never carries a password. */
export interface TargetInfo {
  input: string;
  host: string;
  port: number;
  tls: boolean;
  name?: string;
  user?: string;
  db?: number;
}

/** The document of INTERFACES.md section 2 (`--json`, and what the worker stores). */
export interface Diagnosis {
  target: TargetInfo;
  verdict: Verdict;
  primaryCause: CauseId | null;
  findings: Finding[];
  checks: Check[];
  durationMs: number;
  startedAt: string;
  version: string;
  /** The probe location that ran it (INTERFACES.md section 4 `locations`); set by the worker, never by the engine. */
  location?: string;
}

// ---------------------------------------------------------------------------
// Observations: what the probes saw, with no interpretation.
// ---------------------------------------------------------------------------

export interface DnsObservation {
  /** False when the host was an IP literal and no lookup was needed. */
  lookedUp: boolean;
  ok: boolean;
  addresses: { address: string; family: 4 | 6 }[];
  /** getaddrinfo code on failure: ENOTFOUND, EAI_AGAIN, ETIMEOUT … */
  code?: string;
  durationMs: number;
  /**
   * A and AAAA looked up on their own, in parallel with the lookup above (absent
   * for an IP literal): a client that asks for one family (ioredis `family: 4`,
   * node-redis `socket.family`) gets these. `addresses` above is the resolver's
   * order plus any address only a per-family lookup returned.
   */
  families?: FamilyLookup[];
}

export interface FamilyLookup {
  family: 4 | 6;
  addresses: string[];
  /** getaddrinfo code when this family gave nothing: ENOTFOUND, ENODATA, ETIMEOUT … */
  code?: string;
}

/** One resolved address's connect, as probeTcp saw it. */
export interface TcpAttempt {
  address: string;
  family: 4 | 6;
  ok: boolean;
  code?: string;
  message?: string;
  /** From the start of the TCP step (every address is tried at once). */
  durationMs: number;
}

export interface TcpObservation {
  ok: boolean;
  address: string;
  port: number;
  /** Socket error code on failure: ECONNREFUSED, ETIMEDOUT (our bound), EHOSTUNREACH, ENETUNREACH, ECONNRESET … */
  code?: string;
  message?: string;
  durationMs: number;
  /**
   * Every resolved address's result, in resolver order (`address` above is the
   * first that connected, or the first address when none did).
   */
  attempts?: TcpAttempt[];
}

export interface TlsObservation {
  ok: boolean;
  durationMs: number;
  /** On failure: an OpenSSL/Node code (ERR_SSL_WRONG_VERSION_NUMBER, ECONNRESET, ETIMEDOUT, DEPTH_ZERO_SELF_SIGNED_CERT …). */
  code?: string;
  message?: string;
  protocol?: string;
  authorized?: boolean;
  authorizationError?: string;
  /** First bytes the server sent instead of a TLS ServerHello, printable excerpt. */
  plaintextReply?: string;
  /**
   * A TLS alert the server sent right after a completed handshake, seen by a
   * second handshake that writes nothing (run when the RESP session over TLS got
   * no reply). TLS 1.3 completes the client's side before the server checks the
   * client certificate, so Redis's default `tls-auth-clients yes` shows up here
   * as ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED.
   */
  alertAfterHandshake?: string;
  /** The server's certificate, kept when verification failed or was skipped (evidence for a rejected certificate). */
  serverCertificate?: CertificateSummary;
  /** SHA-256 fingerprint of the certificate this handshake got (compared with what a handshake without SNI gets). */
  fingerprint?: string;
  /** Handshakes an older client would make (probes/tls-variants.ts), run only after this one succeeded. */
  variants?: TlsVariant[];
}

/** One handshake that differs from the client's in one thing: no SNI, or TLS 1.2 at most. */
export interface TlsVariant {
  kind: 'no-sni' | 'tls12';
  ok: boolean;
  /** On failure: ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION, ERR_SSL_TLSV1_UNRECOGNIZED_NAME, ETIMEDOUT … */
  code?: string;
  protocol?: string;
  fingerprint?: string;
  durationMs: number;
}

/** What a certificate says about itself, as Node's getPeerCertificate() reports it. */
export interface CertificateSummary {
  /** Distinguished names as `CN=cache.internal, O=Example`. */
  subject?: string;
  issuer?: string;
  /** OpenSSL date strings: `Nov 25 02:23:03 2026 GMT`. */
  validFrom?: string;
  validTo?: string;
  /** `DNS:cache.internal, IP Address:10.0.0.5` */
  subjectAltName?: string;
}

/** A RESP reply, flattened to text for evidence and matching. */
export interface RespReply {
  kind: 'status' | 'error' | 'string' | 'integer' | 'array' | 'null' | 'other';
  text: string;
}

export interface RespExchange {
  /** The command as sent, secrets replaced: `AUTH <redacted>`. */
  command: string;
  reply?: RespReply;
  durationMs: number;
}

export interface RespObservation {
  /** True when the session was usable: PING answered +PONG. */
  ok: boolean;
  /** A reply the server sent before answering our first command (-DENIED, max clients …). */
  greeting?: RespReply;
  exchanges: RespExchange[];
  /** The server closed the connection. */
  closedByServer: boolean;
  /** Closed, reset or timed out before any byte came back. */
  noReply: boolean;
  timedOut: boolean;
  /** Socket error seen during the session (ECONNRESET …). */
  socketError?: string;
  /** Set when the bytes received are not RESP. */
  nonResp?: {
    excerpt: string;
    looksLikeTls: boolean;
    looksLikeHttp: boolean;
  };
  /** What modern clients send on connect, and the idle settings, asked in the same write (probes/resp.ts). */
  clientProbe?: ClientProbeObservation;
}

/**
 * The commands a diagnosis sends on behalf of the application's client,
 * after its own (PING, INFO): CONFIG GET timeout / tcp-keepalive, CLIENT
 * SETINFO lib-name / lib-ver, HELLO 3 (and HELLO 2 back). Kept apart from
 * `exchanges` so that rules about the diagnosis's own commands (acl-denied,
 * unexpected-reply …) never read a refusal of these as theirs.
 */
export interface ClientProbeObservation {
  /** Each command as sent and its reply; no reply when the connection ended or went silent first. */
  exchanges: RespExchange[];
  /** The server or a proxy closed (or reset) the connection before answering all of them. */
  closed: boolean;
  /** No reply to some of them within the grace after the diagnosis's own replies (closed stays false). */
  silent: boolean;
  /** CONFIG GET values the server showed (`timeout`, `tcp-keepalive`). */
  config: Record<string, string>;
}

/** INFO output parsed: section name (lower case) → field → value. */
export interface InfoObservation {
  sections: Record<string, Record<string, string>>;
}

/** When the port refused: Redis on the usual neighbouring ports of the same host. */
export interface NeighbourScan {
  scanned: number[];
  found: { port: number; redis: boolean; tls?: boolean; reply?: string }[];
  durationMs: number;
  /** The scan hit its time bound before every port answered. */
  truncated: boolean;
}

/**
 * What this machine's routing says about a private address no connect
 * reached (probes/route.ts): the kernel's own answer to a UDP connect (no
 * packet sent) and the main table's most specific route.
 */
export interface RouteObservation {
  address: string;
  /** The private range it is in: `10.0.0.0/8 (RFC 1918)` … */
  range: string;
  /** The kernel has a route (and picked `source`); false with `code` when it refused locally. */
  ok: boolean;
  /** ENETUNREACH (no route), EHOSTUNREACH (`unreachable` route), EINVAL (`blackhole`), EACCES (`prohibit`). */
  code?: string;
  source?: string;
  /** The main table's most specific route covering the address; absent when none does (or unread). */
  matched?: RouteMatch;
  /** The main table was read (Linux /proc); without it `matched` says nothing. */
  tableRead?: boolean;
  durationMs: number;
}

export interface RouteMatch {
  /** `10.0.0.0/8`, `0.0.0.0/0` */
  prefix: string;
  defaultRoute: boolean;
  /** An unreachable, prohibit or blackhole route. */
  reject: boolean;
  gateway?: string;
  dev?: string;
}

/** A plaintext connect to a TLS port: did a TLS handshake on the same port succeed? */
export interface TlsSniff {
  speaksTls: boolean;
  durationMs: number;
}

/**
 * A TLS client whose handshake failed or got no answer: does the same port
 * answer a plaintext PING? (+PONG or any RESP error means a plaintext Redis
 * port, i.e. a TLS mismatch; a plaintext Redis usually leaves a ClientHello
 * unanswered, waiting for a newline.)
 */
export interface PlaintextPing {
  redis: boolean;
  /** `+PONG`, `-NOAUTH …`, or a printable excerpt of other bytes. */
  reply?: string;
  durationMs: number;
}

/**
 * When the target address belongs to this machine and refused: does Redis
 * answer on loopback at the same port? (Then it is bound to loopback only.)
 */
export interface LoopbackProbe {
  address: string;
  port: number;
  redis: boolean;
  reply?: string;
  durationMs: number;
}

export interface ClientContext {
  /** Credentials were supplied (the values never leave the probe). */
  authProvided: boolean;
  user?: string;
  /** The address connected to is not a loopback address. */
  remote: boolean;
  /** The per-step timeout in force, for evidence text. */
  timeoutMs: number;
}

export interface Observations {
  target: TargetInfo;
  client: ClientContext;
  /** From the caller, not a probe: e.g. when the target last answered at this address (the monitor). */
  history?: TargetHistory;
  dns?: DnsObservation;
  tcp?: TcpObservation;
  tls?: TlsObservation;
  tlsSniff?: TlsSniff;
  plaintextPing?: PlaintextPing;
  resp?: RespObservation;
  info?: InfoObservation;
  /** CONFIG GET values the server agreed to show (may be absent under ACLs). */
  config?: Record<string, string>;
  neighbours?: NeighbourScan;
  loopback?: LoopbackProbe;
  /** Only when no address connected and the first is private (probes/route.ts). */
  route?: RouteObservation;
  remote?: RemoteObservation;
  /** Docker's state: the Engine API here, or the SSH host's docker ps/inspect (docker/types.ts, issue #19). */
  docker?: DockerObservation;
  /** What the target is and what its topology showed (model/topology.ts). */
  topology?: TopologyObservation;
  /** PINGs timed one by one on the handshake's connection (probes/slow-sample.ts). */
  latency?: LatencySample;
  /** SLOWLOG GET on the same connection, arguments never kept (probes/slowlog.ts). */
  slowlog?: SlowlogObservation;
  /** LATENCY LATEST (and HISTORY of the worst event), same write as SLOWLOG (probes/latency-events.ts). */
  latencyEvents?: LatencyEventsObservation;
  /** CLIENT LIST, same write, summarized: buffers, idle clients by source (probes/client-list.ts). */
  clients?: ClientListObservation;
  /** total_connections_received before and after the latency sample (INFO stats, same writes). */
  connections?: ConnectionsObservation;
}

/** One LATENCY LATEST row: the event, when it last happened (server's Unix seconds), its latest and all-time max ms. */
export interface LatencyEvent {
  /** `fork`, `aof-fsync-always`, `expire-cycle`, `command` …: a plain token or `<unreadable event>`. */
  event: string;
  at: number;
  latestMs: number;
  maxMs: number;
}

export interface LatencyEventsObservation {
  events: LatencyEvent[];
  /** LATENCY HISTORY of the worst event (highest max), sent with the sample's last PING: [unix s, ms], oldest first. */
  history?: { event: string; samples: { at: number; ms: number }[] };
  /** The server's time the `at` values compare with (INFO server_time_usec), else this machine's. */
  nowSec: number;
  clock: 'server' | 'local';
  /** LATENCY LATEST answered with an error (renamed away, -NOPERM): the reply in wire form, capped. */
  error?: string;
}

/** A client whose output buffer holds data (CLIENT LIST omem > 0 or oll > 0). */
export interface BufferedClient {
  /** From CLIENT LIST flags: P pub/sub, S replica (or a MONITOR, O), else normal. */
  kind: 'pubsub' | 'replica' | 'normal';
  addr: string;
  name?: string;
  omemBytes: number;
  /** Output list length: reply blocks queued. */
  oll: number;
  ageSec?: number;
}

/** Clients of one source address (the IP of `addr`): how many, how many idle for IDLE_SEC or more. */
export interface ClientSource {
  source: string;
  count: number;
  idle: number;
}

export interface ClientListObservation {
  /** Client lines read (at most the cap). */
  total: number;
  /** The reply had more lines or bytes than read. */
  truncated: boolean;
  /** At most a few, the biggest output buffers first. */
  buffered: BufferedClient[];
  pubsubClients: number;
  replicaClients: number;
  /** The sources with the most clients first, at most a few. */
  sources: ClientSource[];
  /** Clients idle for IDLE_SEC or more. */
  idle: number;
  /** The idle threshold used, seconds. */
  idleSec: number;
  /** CLIENT LIST answered with an error (renamed away, -NOPERM): the reply in wire form, capped. */
  error?: string;
}

export interface ConnectionsObservation {
  /** INFO stats total_connections_received with the sample's first write, and with its last PING. */
  before: number;
  after?: number;
  /** Time between the two replies, this machine's clock. */
  windowMs?: number;
}

export interface LatencySample {
  /** Round trip of each PING answered, in order, milliseconds (two decimals). */
  samplesMs: number[];
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** 0-based position of the slowest PING in samplesMs. */
  slowest: number;
  /** The sample stopped early: a PING went unanswered within the bound, or the connection closed. */
  stopped?: 'timeout' | 'closed' | 'error';
}

/** One SLOWLOG entry as kept: the command's name and shape, never its keys or values. */
export interface SlowlogEntry {
  id: number;
  /** Unix seconds, the server's clock. */
  at: number;
  durationUs: number;
  /** `KEYS`, `DEBUG SLEEP`: the name (and a container command's subcommand), nothing the caller typed. */
  command: string;
  /** For KEYS/SCAN-type commands: `KEYS * (every key)`, `SCAN <cursor> MATCH <pattern> COUNT 1000`. */
  shape?: string;
  /** The client's address (Redis ≥ 4.0), shown escaped and capped. */
  client?: string;
  clientName?: string;
}

export interface SlowlogObservation {
  entries: SlowlogEntry[];
  /** The server's own time (INFO server_time_usec) when it had one; else this machine's, with `clock: 'local'`. */
  nowSec: number;
  clock: 'server' | 'local';
  /** SLOWLOG GET answered with an error (renamed away, -NOPERM): the reply in wire form, capped. */
  error?: string;
}

// ---------------------------------------------------------------------------
// Rules: one module per cause id, all of this shape (rules/helpers/define.ts),
// registered in rules/index.ts in the order they rank.
// ---------------------------------------------------------------------------

/**
 * What a critical finding of a cause means for the verdict: the client cannot
 * use the server at all (`unusable` → unreachable), or the server answers but
 * impaired (`degrading` → degraded: memory limit, failing persistence …).
 */
export type Impact = 'unusable' | 'degrading';

/** A finding as a rule builds it: the rule declares the cause once, defineRule() adds it. */
export type FindingDraft = Omit<Finding, 'cause'>;

export interface Rule {
  cause: CauseId;
  impact: Impact;
  /** Causes this one explains away when it fires (e.g. wrong-port supersedes connection-refused). */
  supersedes?: CauseId[];
  /** Runs only when no other rule found anything and the server is not healthy: the last word, never noise. */
  fallback?: boolean;
  evaluate(observations: Observations): Finding | undefined;
}

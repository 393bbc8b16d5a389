/**
 * A node one hop away, probed lightly and bounded: resolve (when a name),
 * connect, TLS when the target uses it, then one pipelined round trip
 *   [AUTH]  PING  INFO <sections>  <extra commands>
 * (a cluster node: CLUSTER MYID; a peer Sentinel: SENTINEL
 * GET-MASTER-ADDR-BY-NAME, CKQUORUM). Each step gets the budget in force; the
 * result is data (model/topology.ts FollowedNode), never an exception.
 */
import type { Credentials, TlsOptions } from '../model/options.js';
import type { FollowedNode, FollowReason } from '../model/topology.js';
import { now, since } from '../shared/clock.js';
import { probeDns } from './dns.js';
import { connectOnce } from './tcp.js';
import { probeTls } from './tls.js';
import { runRespSession } from './resp.js';
import { infoField, parseInfo } from './info.js';
import type { PlannedCommand } from './resp-connection.js';
import { wireText } from './resp-parser.js';
import { parseCkquorum } from './topology-replies.js';

/** INFO fields a followed node reports (enough to say what it is and where its primary is). */
const INFO_FIELDS = ['redis_mode', 'run_id', 'tcp_port', 'role', 'master_host', 'master_port', 'master_link_status', 'connected_slaves'] as const;

export interface NodeProbeOptions {
  /** Milliseconds for the next step (the timeout, or less near the deadline). */
  budget(): number;
  credentials?: Credentials;
  /** The address `host` was already resolved (and admitted) at: connect there without resolving again. */
  address?: string;
  /** Set when the target is reached over TLS: followed nodes are too. */
  tls?: TlsOptions;
  infoSections: readonly string[];
  extra?: readonly PlannedCommand[];
  signal?: AbortSignal;
}

export async function probeNode(host: string, port: number, via: FollowReason, options: NodeProbeOptions): Promise<FollowedNode> {
  const started = now();
  const node: FollowedNode = { via, host, port, connect: { ok: false, durationMs: 0 }, errors: [], durationMs: 0 };
  const done = () => ({ ...node, durationMs: since(started) });
  if (host === '' || host === '?') {
    node.connect = { ok: false, code: 'NOADDR', durationMs: 0 };
    return done();
  }
  const dns = options.address === undefined ? await probeDns(host, options.budget(), options.signal) : undefined;
  if (dns && !dns.ok) {
    node.connect = { ok: false, code: dns.code ?? 'ENOTFOUND', durationMs: dns.durationMs };
    return done();
  }
  const address = options.address ?? dns!.addresses[0]!.address;
  const connectStart = now();
  const attempt = await connectOnce(address, port, options.budget(), options.signal);
  node.connect = { ok: attempt.open !== undefined, address, durationMs: since(connectStart), ...(attempt.code ? { code: attempt.code } : {}) };
  if (!attempt.open) return done();
  let open = attempt.open;
  if (options.tls) {
    const tls = await probeTls(open, host, options.tls, options.budget(), options.signal);
    if (!tls.open) {
      node.connect = { ...node.connect, ok: false, code: tls.observation.code ?? 'TLS' };
      return done();
    }
    open = tls.open;
  }
  const session = await runRespSession(open, {
    timeoutMs: options.budget(),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    infoSections: options.infoSections,
    ...(options.extra ? { extra: options.extra } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const resp = session.resp;
  if (resp.greeting) node.greeting = wireText(resp.greeting);
  for (const e of resp.exchanges) {
    if (!e.reply) continue;
    if (e.reply.kind === 'error') node.errors.push({ command: e.command.split(' ')[0] === 'INFO' ? 'INFO' : e.command, reply: wireText(e.reply) });
    if (e.command === 'PING') node.ping = wireText(e.reply);
    if (e.command === 'CLUSTER MYID' && e.reply.kind === 'string') node.myId = e.reply.text;
    if (e.command.startsWith('SENTINEL GET-MASTER-ADDR-BY-NAME')) {
      if (e.reply.kind === 'null') node.masterAddr = null;
      const [h, p] = e.reply.kind === 'array' ? e.reply.text.split(' ') : [];
      if (h !== undefined && p !== undefined && /^\d+$/.test(p)) node.masterAddr = { host: h, port: Number(p) };
    }
    if (e.command.startsWith('SENTINEL CKQUORUM')) {
      const ckquorum = parseCkquorum(e.reply);
      if (ckquorum) node.ckquorum = ckquorum;
    }
  }
  if (!resp.ok && !node.ping) node.pingFailure = resp.timedOut ? 'no reply before the timeout' : resp.nonResp ? 'not a RESP reply' : 'connection closed before PING was answered';
  if (session.infoText !== undefined) {
    const sections = parseInfo(session.infoText).sections;
    const info: Record<string, string> = {};
    for (const field of INFO_FIELDS) {
      const value = infoField(sections, field);
      if (value !== undefined) info[field] = value;
    }
    node.info = info;
  }
  return done();
}

/** A bare TCP connect to a cluster bus port: does it accept from here? */
export async function probeBusPort(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<{ port: number; ok: boolean; code?: string }> {
  const attempt = await connectOnce(address, port, timeoutMs, signal);
  attempt.open?.socket.destroy();
  return { port, ok: attempt.open !== undefined, ...(attempt.code ? { code: attempt.code } : {}) };
}

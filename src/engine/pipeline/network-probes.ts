/**
 * The network half of a diagnosis, in order:
 *   dns → tcp-connect → tls-handshake (when TLS) → redis-handshake + info
 *   tcp-connect tries every resolved address at once; the session uses the
 *     first in resolver order that connected, the others' results are kept
 *     (tcp-addresses) for address-family-mismatch
 *   TLS handshake done → tls-variants beside the session: no SNI (target is a
 *     name), TLS 1.2 at most (TLS 1.3 was negotiated)
 *   no address connected, the first not refused and private (RFC 1918, ULA …)
 *     → route-lookup: what this machine's routing table says about it
 *   refused  → neighbour-scan and loopback-probe, in parallel
 *   no RESP reply on plaintext (closed, reset, TLS alert bytes) → tls-sniff
 *   TLS session dropped without a reply → tls-alert: a silent second handshake
 *     that catches a post-handshake alert (client certificate required)
 *   TLS handshake failed, not over the certificate → plaintext-ping: a bare
 *     PING on the same port in plaintext (no credentials: a password never goes
 *     out in the clear when TLS was asked for).
 *   the handshake answered (the target only) → latency-sample and slowlog on the same
 *     connection (slow-phase.ts): PINGs one at a time, SLOWLOG GET in the first write
 *   the handshake answered → the topology phase (topology-phase.ts): what the
 *     target is, a follow-up round trip on the same connection when INFO says
 *     it is needed, and the nodes one hop away.
 * Each step gets min(timeout, time left before the run's deadline).
 */
import type { DiagnoseOptions } from '../model/options.js';
import type { Observations } from '../model/types.js';
import { probeDns } from '../probes/dns.js';
import { probeTcp, type OpenSocket, type TcpResult } from '../probes/tcp.js';
import { lookupRoute, needsRouteLookup } from '../probes/route.js';
import { probeTls } from '../probes/tls.js';
import { runRespSession, type RespSessionResult } from '../probes/resp.js';
import { parseInfo } from '../probes/info.js';
import { scanNeighbours } from '../probes/neighbours.js';
import { isLocalNonLoopback, probeLoopback } from '../probes/loopback.js';
import { isLoopbackAddress } from '../shared/address.js';
import { sniffTls } from '../probes/tls-sniff.js';
import { pingRedis } from '../probes/ping.js';
import { probeTlsAlert } from '../probes/tls-alert.js';
import { probeTlsVariants, variantsFor } from '../probes/tls-variants.js';
import { now, since } from '../shared/clock.js';
import { addressesCheck, alertCheck, dnsCheck, infoCheck, loopbackCheck, neighbourCheck, plaintextCheck, respCheck, routeCheck, sniffCheck, tcpCheck, tlsCheck, variantsCheck } from './check-details.js';
import type { StepRecorder } from './steps.js';
import { runTopologyPhase } from './topology-phase.js';
import { runSlowPhase } from './slow-phase.js';
import { VERSION } from '../../version.js';

export interface ProbeContext {
  obs: Observations;
  options: DiagnoseOptions;
  steps: StepRecorder;
  /** Milliseconds for the next step: the timeout, or less when the run's deadline is near. */
  budget(): number;
  /** Milliseconds left before the run's deadline. */
  remaining(): number;
  /** The per-step timeout in force. */
  timeoutMs: number;
  signal: AbortSignal;
  /** 0 for the target; 1 for a node followed one hop away (classified, but not followed further). */
  depth?: number;
}

export async function runNetworkProbes(ctx: ProbeContext): Promise<void> {
  const { obs, steps, signal } = ctx;
  const { host, port } = obs.target;
  const dns = await steps.run('dns', () => probeDns(host, ctx.budget(), signal), dnsCheck);
  obs.dns = dns;
  if (!dns.ok) return;

  const addresses = dns.addresses.map((a) => a.address);
  const tcp = await steps.run('tcp-connect', () => probeTcp(addresses, port, ctx.budget(), signal), (r) => tcpCheck(r.observation));
  obs.tcp = tcp.observation;
  obs.client.remote = !isLoopbackAddress(tcp.observation.address);
  try {
    await afterConnect(ctx, tcp);
  } finally {
    // Addresses after the one used settle within the same bound, while the session ran.
    await recordAttempts(ctx, tcp);
  }
}

async function afterConnect(ctx: ProbeContext, tcp: TcpResult): Promise<void> {
  const { obs, steps, signal } = ctx;
  const { host, port } = obs.target;
  if (!tcp.open) {
    const { address, code } = tcp.observation;
    if (code === 'ECONNREFUSED') await afterRefused(ctx, address);
    else if (needsRouteLookup(address, code)) obs.route = await steps.run('route-lookup', () => lookupRoute(address, port, ctx.budget(), signal), routeCheck);
    return;
  }

  let open: OpenSocket = tcp.open;
  if (obs.target.tls) {
    const tls = await steps.run('tls-handshake', () => probeTls(open, host, ctx.options.tls, ctx.budget(), signal), (r) => tlsCheck(r.observation));
    obs.tls = tls.observation;
    if (!tls.open) {
      const t = tls.observation;
      if (t.authorizationError === undefined && t.code !== 'ABORTED') await plaintextPing(ctx, tcp.observation.address);
      return;
    }
    open = tls.open;
  }
  // Beside the session: what clients without SNI or TLS 1.3 would get (nothing runs when neither can
  // matter). For the target only: a node followed one hop away is not what the client configured.
  const variants = obs.tls?.ok && !ctx.depth ? startTlsVariants(ctx, tcp.observation.address) : undefined;

  const session = await steps.run(
    'redis-handshake',
    () => runRespSession(open, { timeoutMs: ctx.budget(), credentials: ctx.options.credentials, db: obs.target.db, signal, keepOpen: true, ...clientProbe(ctx) }),
    (r) => respCheck(r.resp),
  );
  try {
    obs.resp = session.resp;
    const config = session.resp.clientProbe?.config;
    if (config && Object.keys(config).length > 0) obs.config = { ...obs.config, ...config };
    recordInfo(ctx, session);
    if (session.resp.ok && session.conn && !ctx.depth) await runSlowPhase(ctx, session.conn);
    const conn = session.conn?.open ? session.conn : undefined;
    if (session.resp.ok || obs.info) await runTopologyPhase(ctx, conn, tcp.observation.address);
  } finally {
    session.conn?.close();
    await variants;
  }

  const resp = session.resp;
  if (obs.target.tls && obs.tls && resp.noReply && !resp.timedOut) {
    const address = tcp.observation.address;
    const alert = await steps.run('tls-alert', () => probeTlsAlert(address, port, host, ctx.options.tls, ctx.budget(), signal), alertCheck);
    if (alert.alert) obs.tls.alertAfterHandshake = alert.alert;
  }
  const noRespReply = (resp.noReply && !resp.timedOut) || resp.nonResp?.looksLikeTls === true;
  if (!obs.target.tls && noRespReply) {
    obs.tlsSniff = await steps.run('tls-sniff', () => sniffTls(tcp.observation.address, port, host, ctx.budget(), signal), sniffCheck);
  }
}

/**
 * The target itself (not a node followed one hop away) is also asked what its
 * application's client would meet: idle settings, CLIENT SETINFO, HELLO 3
 * (probes/client-probe.ts), in the same write: no extra round trip.
 */
function clientProbe(ctx: ProbeContext): { clientProbe?: { libName: string; libVer: string } } {
  return (ctx.depth ?? 0) === 0 ? { clientProbe: { libName: 'redis-doctor', libVer: VERSION } } : {};
}

async function startTlsVariants(ctx: ProbeContext, address: string): Promise<void> {
  const { obs, signal } = ctx;
  const tls = obs.tls;
  const req = { address, port: obs.target.port, host: obs.target.host, options: ctx.options.tls, protocol: tls?.protocol };
  if (!tls || variantsFor(req).length === 0) return;
  const started = now();
  tls.variants = await probeTlsVariants(req, ctx.budget(), signal);
  ctx.steps.note('tls-variants', variantsCheck(tls.variants), since(started));
}

async function recordAttempts(ctx: ProbeContext, tcp: TcpResult): Promise<void> {
  const attempts = await tcp.attempts;
  if (!ctx.obs.tcp) return;
  ctx.obs.tcp.attempts = attempts;
  if (attempts.length > 1) ctx.steps.note('tcp-addresses', addressesCheck(attempts, ctx.obs.tcp.port), Math.max(...attempts.map((a) => a.durationMs)));
}

function recordInfo(ctx: ProbeContext, session: RespSessionResult): void {
  const infoExchange = [...session.resp.exchanges].reverse().find((e) => e.command.startsWith('INFO') && e.reply);
  if (session.infoText !== undefined) {
    ctx.obs.info = parseInfo(session.infoText);
    ctx.steps.note('info', infoCheck(session.resp, Object.keys(ctx.obs.info.sections).length), infoExchange?.durationMs ?? 0);
  } else if (infoExchange) {
    ctx.steps.note('info', infoCheck(session.resp, undefined), infoExchange.durationMs);
  } else {
    ctx.steps.skip('info', 'not reached');
  }
}

async function plaintextPing(ctx: ProbeContext, address: string): Promise<void> {
  const { obs, steps, signal } = ctx;
  const started = now();
  const ping = await steps.run('plaintext-ping', () => pingRedis(address, obs.target.port, ctx.budget(), signal), plaintextCheck);
  obs.plaintextPing = { redis: ping.redis, ...(ping.reply !== undefined ? { reply: ping.reply } : {}), durationMs: since(started) };
}

async function afterRefused(ctx: ProbeContext, address: string): Promise<void> {
  const { obs, steps, signal } = ctx;
  const port = obs.target.port;
  const scan = ctx.options.scanNeighbours !== false;
  const local = ctx.options.loopbackProbe !== false && isLocalNonLoopback(address);
  const budget = ctx.budget();
  // Both only connect to the target's own host (or this machine's loopback), so they run side by side.
  const [neighbours, loopback] = await Promise.all([
    scan ? steps.run('neighbour-scan', () => scanNeighbours(address, port, budget, signal), neighbourCheck) : undefined,
    local ? steps.run('loopback-probe', () => probeLoopback(address, port, budget, signal), loopbackCheck) : undefined,
  ]);
  if (neighbours) obs.neighbours = neighbours;
  else steps.skip('neighbour-scan', 'disabled');
  if (loopback) obs.loopback = loopback;
}

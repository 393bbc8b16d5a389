/**
 * One line per step for the "what was checked" list: the status and a short
 * detail quoting what was seen (an error code, a server reply). No
 * interpretation here: causes are the rules' business.
 */
import { hostPort } from '../shared/address.js';
import type { CheckOutcome } from './steps.js';
import type { PingResult } from '../probes/ping.js';
import type { TlsAlertResult } from '../probes/tls-alert.js';
import { wireText } from '../probes/resp-parser.js';
import type { TlsVariant, DnsObservation, LoopbackProbe, NeighbourScan, RespObservation, RouteObservation, TcpAttempt, TcpObservation, TlsObservation, TlsSniff } from '../model/types.js';

const MAX_DETAIL = 160;

/** A check's detail cut to MAX_DETAIL characters. */
export function clip(text: string): string {
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text;
}

export function dnsCheck(dns: DnsObservation): CheckOutcome {
  if (!dns.lookedUp) return { status: 'skip', detail: 'IP address, no lookup needed' };
  if (!dns.ok) return { status: 'fail', detail: dns.code ?? 'no address' };
  return { status: 'pass', detail: clip(dns.addresses.map((a) => a.address).join(', ')) };
}

export function tcpCheck(tcp: TcpObservation): CheckOutcome {
  if (tcp.ok) return { status: 'pass', detail: `connected to ${hostPort(tcp.address, tcp.port)}` };
  return { status: 'fail', detail: tcp.code ?? 'failed' };
}

/** Every resolved address's connect, in resolver order: `[::1]:6379 ECONNREFUSED; 127.0.0.1:6379 connected`. */
export function addressesCheck(attempts: readonly TcpAttempt[], port: number): CheckOutcome {
  const ok = attempts.filter((a) => a.ok).length;
  const status = ok === attempts.length ? 'pass' : ok === 0 ? 'fail' : 'warn';
  return { status, detail: clip(attempts.map((a) => `${hostPort(a.address, port)} ${a.ok ? 'connected' : (a.code ?? 'failed')}`).join('; ')) };
}

export function routeCheck(route: RouteObservation): CheckOutcome {
  const table = route.matched ? `; main table: ${route.matched.reject ? 'reject route' : 'route'} ${route.matched.prefix}` : route.tableRead ? '; main table: no route' : '';
  const kernel = route.ok ? `kernel routes ${route.address} from ${route.source ?? 'a local address'}` : `kernel refuses ${route.address}: ${route.code ?? 'failed'}`;
  return { status: route.ok ? 'pass' : 'fail', detail: clip(`${kernel}${table}`) };
}

/** `no SNI: handshake ok (TLSv1.3); TLS 1.2 only: ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION` */
export function variantsCheck(variants: readonly TlsVariant[]): CheckOutcome {
  const label = { 'no-sni': 'no SNI', tls12: 'TLS 1.2 at most' } as const;
  const detail = variants.map((v) => `${label[v.kind]}: ${v.ok ? `handshake ok (${v.protocol ?? 'TLS'})` : (v.code ?? 'failed')}`).join('; ');
  return { status: variants.every((v) => v.ok) ? 'pass' : 'warn', detail: clip(detail) };
}

export function tlsCheck(tls: TlsObservation): CheckOutcome {
  if (tls.ok) {
    const verified = tls.authorized ? 'certificate verified' : `certificate not verified${tls.authorizationError ? ` (${tls.authorizationError})` : ''}`;
    return { status: tls.authorized ? 'pass' : 'warn', detail: `${tls.protocol ?? 'TLS'}, ${verified}` };
  }
  const extra = tls.plaintextReply ? `: server sent plaintext "${tls.plaintextReply}"` : '';
  return { status: 'fail', detail: clip(`${tls.code ?? 'failed'}${extra}`) };
}

export function respCheck(resp: RespObservation): CheckOutcome {
  if (resp.greeting) return { status: 'fail', detail: clip(wireText(resp.greeting)) };
  if (resp.nonResp) return { status: 'fail', detail: clip(`not a RESP reply: ${resp.nonResp.excerpt}`) };
  if (resp.noReply) {
    const why = resp.timedOut ? 'no reply before the timeout' : resp.socketError ? `no reply (${resp.socketError})` : 'no reply (connection closed)';
    return { status: 'fail', detail: why };
  }
  const auth = resp.exchanges.find((e) => e.command.startsWith('AUTH'));
  const select = resp.exchanges.find((e) => e.command.startsWith('SELECT'));
  const ping = resp.exchanges.find((e) => e.command === 'PING');
  const selectFailed = select?.reply?.kind === 'error' ? { status: 'fail' as const, detail: clip(`${select.command} ${wireText(select.reply)}`) } : undefined;
  if (resp.ok) {
    // PING still answers +PONG after a refused SELECT, but a client that asked for that database has no session.
    if (selectFailed) return selectFailed;
    const steps = [auth && `AUTH ${auth.reply ? wireText(auth.reply) : '?'}`, select && `${select.command} ${select.reply ? wireText(select.reply) : '?'}`, 'PING +PONG'];
    return { status: 'pass', detail: steps.filter(Boolean).join(', ') };
  }
  if (auth?.reply?.kind === 'error') return { status: 'fail', detail: clip(`AUTH ${wireText(auth.reply)}`) };
  if (selectFailed) return selectFailed;
  if (ping?.reply) return { status: 'fail', detail: clip(`PING ${wireText(ping.reply)}`) };
  if (resp.timedOut) return { status: 'fail', detail: 'PING not answered before the timeout' };
  return { status: 'fail', detail: resp.socketError ? `connection lost (${resp.socketError})` : 'connection closed before PING was answered' };
}

export function infoCheck(resp: RespObservation, sections: number | undefined): CheckOutcome {
  if (sections !== undefined) return { status: 'pass', detail: `${sections} sections` };
  const info = [...resp.exchanges].reverse().find((e) => e.command.startsWith('INFO'));
  if (info?.reply) return { status: 'fail', detail: clip(wireText(info.reply)) };
  return { status: 'fail', detail: 'no INFO reply' };
}

export function neighbourCheck(scan: NeighbourScan): CheckOutcome {
  const redis = scan.found.filter((f) => f.redis).map((f) => f.port);
  const suffix = scan.truncated ? ' (scan stopped at its time bound)' : '';
  if (redis.length > 0) return { status: 'warn', detail: `Redis answers on port ${redis.join(', ')}${suffix}` };
  const open = scan.found.map((f) => f.port);
  if (open.length > 0) return { status: 'pass', detail: `no Redis on ${scan.scanned.length} neighbouring ports; open but not Redis: ${open.join(', ')}${suffix}` };
  return { status: 'pass', detail: `no Redis on ${scan.scanned.length} neighbouring ports${suffix}` };
}

export function loopbackCheck(probe: LoopbackProbe): CheckOutcome {
  const where = hostPort(probe.address, probe.port);
  if (probe.redis) return { status: 'warn', detail: clip(`Redis answers on ${where}: ${probe.reply ?? ''}`) };
  return { status: 'pass', detail: `no Redis on ${where}` };
}

/** After a failed TLS handshake: a plaintext PING on the same port, without credentials. */
export function plaintextCheck(ping: PingResult): CheckOutcome {
  if (ping.redis) return { status: 'warn', detail: clip(`the port answers plaintext RESP: ${ping.reply ?? ''}`) };
  if (!ping.open) return { status: 'pass', detail: ping.code ?? 'no connection' };
  return { status: 'pass', detail: ping.reply !== undefined ? clip(`not a RESP reply: ${ping.reply}`) : 'no plaintext RESP reply' };
}

export function alertCheck(result: TlsAlertResult): CheckOutcome {
  if (result.alert) return { status: 'warn', detail: result.alert };
  const what = { closed: 'closed without an alert', quiet: 'no alert', 'handshake-failed': 'second handshake failed', alert: '' }[result.outcome];
  return { status: 'pass', detail: result.code ? `${what} (${result.code})` : what };
}

export function sniffCheck(sniff: TlsSniff): CheckOutcome {
  return sniff.speaksTls ? { status: 'warn', detail: 'the port speaks TLS' } : { status: 'pass', detail: 'no TLS handshake on the port' };
}

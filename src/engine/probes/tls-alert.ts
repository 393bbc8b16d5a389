/**
 * Why did the server drop a TLS session without a reply? TLS 1.3 completes
 * the client's handshake before the server has checked the client
 * certificate; a Redis with `tls-auth-clients yes` (its default) then sends
 * the alert "certificate required" (116) and closes. When our pipelined
 * commands are already on their way, that close becomes a reset and the
 * alert can be lost with it. So: handshake again, send nothing, and wait
 * briefly for an alert. No command and no credential is sent.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { TlsOptions } from '../model/options.js';
import { bound, now, since } from '../shared/clock.js';

export interface TlsAlertResult {
  /** The alert as Node reports it (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED …). */
  alert?: string;
  /** What happened otherwise: closed, handshake-failed:<code>, quiet (nothing within the wait). */
  outcome: 'alert' | 'closed' | 'quiet' | 'handshake-failed';
  code?: string;
  durationMs: number;
}

/** Node's code for a TLS alert the peer sent: ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED, ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE … */
export function isTlsAlertCode(code: string | undefined): boolean {
  return /^ERR_SSL_(TLSV1\d?|SSLV3)_ALERT_/.test(code ?? '');
}

/** Bound for the whole probe: the alert comes one round trip after the handshake. */
export const ALERT_WAIT_MAX_MS = 1000;

export function probeTlsAlert(address: string, port: number, host: string, options: TlsOptions | undefined, timeoutMs: number, signal?: AbortSignal): Promise<TlsAlertResult> {
  const start = now();
  const servername = options?.servername ?? (net.isIP(host) ? undefined : host);
  return new Promise<TlsAlertResult>((resolve) => {
    const socket = tls.connect({
      host: address,
      port,
      ...(servername ? { servername } : {}),
      ...(options?.ca ? { ca: options.ca } : {}),
      // Only the server's reaction matters here; the first handshake already reported on the certificate.
      rejectUnauthorized: false,
    });
    let handshaken = false;
    const done = (result: Omit<TlsAlertResult, 'durationMs'>) => {
      timer.clear();
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve({ ...result, durationMs: since(start) });
    };
    const timer = bound(Math.min(timeoutMs, ALERT_WAIT_MAX_MS), signal, () => done({ outcome: handshaken ? 'quiet' : 'handshake-failed', code: 'ETIMEDOUT' }));
    socket.once('secureConnect', () => {
      handshaken = true;
    });
    socket.on('data', () => done({ outcome: 'quiet' }));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'EUNKNOWN';
      if (isTlsAlertCode(code)) return done({ outcome: 'alert', alert: code });
      done({ outcome: handshaken ? 'closed' : 'handshake-failed', code });
    });
    socket.on('close', () => done({ outcome: handshaken ? 'closed' : 'handshake-failed' }));
  });
}

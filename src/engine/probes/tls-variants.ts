/**
 * What older TLS clients would get from a TLS port that a modern client got a
 * session from: handshakes that differ from the first in one thing each, run
 * at once and only when their answer can matter (pipeline: a TLS target whose
 * handshake succeeded, beside the RESP session):
 *   - no-sni: no server_name extension (clients that send none: redis-cli
 *     before 6.2 without --sni, clients given an IP literal); only when the
 *     target is a name. A server that picks its certificate by SNI (a proxy, a
 *     managed endpoint) fails the handshake or sends another certificate.
 *   - tls12: TLS 1.2 at most (OpenSSL before 1.1.1, Java 8 before 8u261, older
 *     .NET); only when the first handshake negotiated TLS 1.3. Redis
 *     `tls-protocols "TLSv1.3"` answers it with a protocol_version alert.
 * Nothing is sent after the handshake; certificates are not verified here
 * (the first handshake did that): only the fingerprint is compared.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { TlsOptions } from '../model/options.js';
import type { TlsVariant } from '../model/types.js';
import { bound, now, since } from '../shared/clock.js';

export interface VariantRequest {
  address: string;
  port: number;
  host: string;
  options: TlsOptions | undefined;
  /** The protocol the first handshake negotiated (TLSv1.3 …). */
  protocol: string | undefined;
}

/** Which variants can tell anything here (none: the probe is skipped). */
export function variantsFor(req: VariantRequest): TlsVariant['kind'][] {
  const kinds: TlsVariant['kind'][] = [];
  if (!net.isIP(req.host) && req.options?.servername === undefined) kinds.push('no-sni');
  if (req.protocol === 'TLSv1.3') kinds.push('tls12');
  return kinds;
}

function handshake(kind: TlsVariant['kind'], req: VariantRequest, timeoutMs: number, signal?: AbortSignal): Promise<TlsVariant> {
  const start = now();
  // Node sends no SNI for an empty servername; otherwise the same name the client's handshake sent.
  const servername = kind === 'no-sni' ? '' : (req.options?.servername ?? (net.isIP(req.host) ? '' : req.host));
  return new Promise<TlsVariant>((resolve) => {
    const socket = tls.connect({
      host: req.address,
      port: req.port,
      servername,
      ...(req.options?.ca ? { ca: req.options.ca } : {}),
      rejectUnauthorized: false,
      ...(kind === 'tls12' ? { maxVersion: 'TLSv1.2' as const } : {}),
    });
    const finish = (result: Omit<TlsVariant, 'kind' | 'durationMs'>) => {
      timer.clear();
      socket.removeAllListeners('secureConnect');
      socket.on('error', () => {});
      socket.destroy();
      resolve({ kind, ...result, durationMs: since(start) });
    };
    const timer = bound(timeoutMs, signal, (reason) => finish({ ok: false, code: reason === 'timeout' ? 'ETIMEDOUT' : 'ABORTED' }));
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ ok: false, code: err.code ?? 'EUNKNOWN' }));
    socket.once('secureConnect', () => {
      const fingerprint = socket.getPeerCertificate()?.fingerprint256;
      const protocol = socket.getProtocol();
      finish({ ok: true, ...(protocol ? { protocol } : {}), ...(fingerprint ? { fingerprint } : {}) });
    });
  });
}

export function probeTlsVariants(req: VariantRequest, timeoutMs: number, signal?: AbortSignal): Promise<TlsVariant[]> {
  return Promise.all(variantsFor(req).map((kind) => handshake(kind, req, timeoutMs, signal)));
}

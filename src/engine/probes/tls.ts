/**
 * TLS handshake on the connected TCP socket.
 *
 * A plaintext Redis port that receives a ClientHello reads it as an inline
 * command and waits for a newline that usually never comes, so the
 * handshake hangs: the bound turns that into code ETIMEDOUT with a message
 * that says so. When the server does answer with bytes that are not TLS
 * (a "-ERR …" line, an SSH banner), they are kept as `plaintextReply`.
 * To see those bytes the TCP socket is wrapped in a tap that records what
 * passes before the TLS layer consumes it.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import type { TlsOptions } from '../model/options.js';
import type { CertificateSummary, TlsObservation } from '../model/types.js';
import { bound, now, since } from '../shared/clock.js';
import { FirstBytes, looksLikeTls, printableExcerpt } from './excerpt.js';
import type { OpenSocket } from './tcp.js';

export interface TlsResult {
  observation: TlsObservation;
  open?: OpenSocket & { socket: tls.TLSSocket };
}

/** `CN=a, O=b` from Node's { CN: 'a', O: 'b' } (a field may repeat: values joined with "+"). */
function distinguishedName(dn: Record<string, string | string[]> | undefined): string | undefined {
  if (!dn) return undefined;
  const parts = Object.entries(dn).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

function summarise(cert: tls.PeerCertificate | undefined): CertificateSummary | undefined {
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const summary: CertificateSummary = {};
  const subject = distinguishedName(cert.subject as Record<string, string | string[]> | undefined);
  const issuer = distinguishedName(cert.issuer as Record<string, string | string[]> | undefined);
  if (subject) summary.subject = subject;
  if (issuer) summary.issuer = issuer;
  if (cert.valid_from) summary.validFrom = cert.valid_from;
  if (cert.valid_to) summary.validTo = cert.valid_to;
  if (cert.subjectaltname) summary.subjectAltName = cert.subjectaltname;
  return summary;
}

/** A pass-through duplex over `socket` that keeps the first bytes received. */
function tap(socket: net.Socket, first: FirstBytes): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    first.add(chunk);
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('error', (err) => duplex.destroy(err));
  socket.on('close', () => duplex.destroy());
  return duplex;
}

export function probeTls(open: OpenSocket, host: string, options: TlsOptions | undefined, timeoutMs: number, signal?: AbortSignal): Promise<TlsResult> {
  const start = now();
  const first = new FirstBytes();
  const insecure = options?.insecure === true;
  // SNI must be a host name, never an IP literal (RFC 6066 §3).
  const servername = options?.servername ?? (net.isIP(host) ? undefined : host);
  return new Promise<TlsResult>((resolve) => {
    const socket = tls.connect({
      socket: tap(open.socket, first),
      host,
      ...(servername ? { servername } : {}),
      ...(options?.ca ? { ca: options.ca } : {}),
      rejectUnauthorized: !insecure,
    });
    // Node's tls.connect() checks the certificate on the 'secure' event and
    // destroys the socket on a verification error, after which
    // getPeerCertificate() returns nothing: read it first, for the evidence.
    let certificate: CertificateSummary | undefined;
    socket.prependOnceListener('secure', () => {
      certificate = summarise(socket.getPeerCertificate());
    });
    const fail = (code: string, message: string, authorizationError?: string) => {
      timer.clear();
      socket.removeAllListeners('secureConnect');
      socket.on('error', () => {});
      socket.destroy();
      const bytes = first.bytes();
      const observation: TlsObservation = { ok: false, durationMs: since(start), code, message };
      if (authorizationError) {
        observation.authorized = false;
        observation.authorizationError = authorizationError;
        if (certificate) observation.serverCertificate = certificate;
      }
      if (bytes.length > 0 && !looksLikeTls(bytes)) observation.plaintextReply = printableExcerpt(bytes);
      resolve({ observation });
    };
    const timer = bound(timeoutMs, signal, (reason) => {
      if (reason === 'aborted') return fail('ABORTED', 'aborted');
      const got = first.length > 0 ? `${first.length} bytes that are not a TLS ServerHello` : 'no bytes';
      fail('ETIMEDOUT', `no TLS handshake answer within ${timeoutMs} ms (${got}); a plaintext Redis waits for a newline after a ClientHello`);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'EUNKNOWN';
      // Certificate verification failures carry the OpenSSL verify code (SELF_SIGNED_CERT_IN_CHAIN, ERR_TLS_CERT_ALTNAME_INVALID …).
      const verify = /CERT|SELF_SIGNED|UNABLE_TO_|ALTNAME/.test(code) && !code.startsWith('ERR_SSL_') ? code : undefined;
      fail(code, err.message, verify);
    });
    socket.once('secureConnect', () => {
      timer.clear();
      socket.removeAllListeners('error');
      const result: OpenSocket & { socket: tls.TLSSocket } = { socket };
      socket.on('error', (err: NodeJS.ErrnoException) => {
        result.error = err;
      });
      const observation: TlsObservation = {
        ok: true,
        durationMs: since(start),
        protocol: socket.getProtocol() ?? undefined,
        authorized: socket.authorized,
      };
      const fingerprint = socket.getPeerCertificate()?.fingerprint256;
      if (fingerprint) observation.fingerprint = fingerprint;
      if (!socket.authorized && socket.authorizationError) {
        observation.authorizationError = String(socket.authorizationError);
        const cert = certificate ?? summarise(socket.getPeerCertificate());
        if (cert) observation.serverCertificate = cert;
      }
      resolve({ observation, open: result });
    });
  });
}

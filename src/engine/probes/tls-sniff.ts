/**
 * Does this port speak TLS? Run when a plaintext session got no RESP reply:
 * a Redis TLS port (tls-port) resets a plaintext client without a byte, so a
 * successful handshake here means "plaintext was spoken to a TLS port".
 * The certificate is not checked (rejectUnauthorized: false) and nothing is
 * sent after the handshake: the question is only whether TLS is spoken.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { TlsSniff } from '../model/types.js';
import { bound, now, since } from '../shared/clock.js';
import { isTlsAlertCode } from './tls-alert.js';

export function sniffTls(address: string, port: number, host: string, timeoutMs: number, signal?: AbortSignal): Promise<TlsSniff> {
  const start = now();
  const servername = net.isIP(host) ? undefined : host;
  return new Promise<TlsSniff>((resolve) => {
    const socket = tls.connect({ host: address, port, rejectUnauthorized: false, ...(servername ? { servername } : {}) });
    const done = (speaksTls: boolean) => {
      timer.clear();
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve({ speaksTls, durationMs: since(start) });
    };
    const timer = bound(timeoutMs, signal, () => done(false));
    socket.once('secureConnect', () => done(true));
    // A TLS alert from the peer is TLS spoken, too.
    socket.once('error', (err: NodeJS.ErrnoException) => done(isTlsAlertCode(err.code)));
  });
}

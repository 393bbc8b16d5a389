/**
 * TCP connect: tries the resolved addresses in order until one accepts,
 * the whole step bounded by the timeout. The error code is the evidence:
 *   ECONNREFUSED  a RST came back: nothing listens, or a REJECT --reject-with tcp-reset
 *   ETIMEDOUT     our bound passed with no answer: dropped SYNs (firewall DROP, black hole)
 *   EHOSTUNREACH / ENETUNREACH  ICMP unreachable, or no route
 *   ECONNRESET    reset during the handshake
 * The connected socket is handed on, so TLS and RESP cost no second connect.
 */
import net from 'node:net';
import type { TcpObservation } from '../model/types.js';
import { bound, now, since } from '../shared/clock.js';

export interface OpenSocket {
  socket: net.Socket;
  /** The last socket error seen before a later step attached its own listeners. */
  error?: NodeJS.ErrnoException;
}

export interface TcpResult {
  observation: TcpObservation;
  open?: OpenSocket;
}

interface Attempt {
  address: string;
  code?: string;
  message?: string;
  open?: OpenSocket;
}

export function connectOnce(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<Attempt> {
  return new Promise<Attempt>((resolve) => {
    const socket = net.connect({ host: address, port, noDelay: true });
    const timer = bound(timeoutMs, signal, (reason) => {
      socket.destroy();
      resolve({ address, code: reason === 'timeout' ? 'ETIMEDOUT' : 'ABORTED', message: reason === 'timeout' ? `no answer within ${Math.round(timeoutMs)} ms` : 'aborted' });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      timer.clear();
      socket.destroy();
      resolve({ address, code: err.code ?? 'EUNKNOWN', message: err.message });
    });
    socket.once('connect', () => {
      timer.clear();
      socket.removeAllListeners('error');
      const open: OpenSocket = { socket };
      // Keep a listener so an early reset cannot crash the process before the next step listens.
      socket.on('error', (err: NodeJS.ErrnoException) => {
        open.error = err;
      });
      resolve({ address, open });
    });
  });
}

export async function probeTcp(addresses: readonly string[], port: number, timeoutMs: number, signal?: AbortSignal): Promise<TcpResult> {
  const start = now();
  let first: Attempt | undefined;
  for (const address of addresses) {
    const remaining = timeoutMs - (now() - start);
    if (remaining <= 0) break;
    const attempt = await connectOnce(address, port, remaining, signal);
    if (attempt.open) {
      return { observation: { ok: true, address, port, durationMs: since(start) }, open: attempt.open };
    }
    first ??= attempt;
    if (attempt.code === 'ABORTED') break;
  }
  // Report the first address's failure: it is the one clients try first.
  const failed = first ?? { address: addresses[0] ?? '', code: 'ETIMEDOUT', message: `no answer within ${timeoutMs} ms` };
  return {
    observation: { ok: false, address: failed.address, port, code: failed.code, message: failed.message, durationMs: since(start) },
  };
}

/**
 * TCP connect to every resolved address at once, one bound for all. The
 * error code is the evidence:
 *   ECONNREFUSED  a RST came back: nothing listens, or a REJECT --reject-with tcp-reset
 *   ETIMEDOUT     our bound passed with no answer: dropped SYNs (firewall DROP, black hole)
 *   EHOSTUNREACH / ENETUNREACH  ICMP unreachable, or no route
 *   EINVAL        a local `blackhole` route (Linux refuses the connect itself)
 *   ECONNRESET    reset during the handshake
 * Every address is tried, not only until one works: a name that resolves to
 * ::1 and 127.0.0.1 with Redis bound to 127.0.0.1 works for a client that
 * tries each address in turn and fails for one that uses only the first
 * (Node.js 17–19, autoSelectFamily off), so each address's result is kept.
 *
 * The socket handed on (TLS and RESP cost no second connect) is the first
 * address, in resolver order, that connected: the one a client walking the
 * list would use. The result resolves once that address is known; results
 * of addresses after it arrive in `attempts` within the same bound.
 */
import net from 'node:net';
import type { TcpAttempt, TcpObservation } from '../model/types.js';
import { bound, now, since } from '../shared/clock.js';

export interface OpenSocket {
  socket: net.Socket;
  /** The last socket error seen before a later step attached its own listeners. */
  error?: NodeJS.ErrnoException;
}

export interface TcpResult {
  observation: TcpObservation;
  open?: OpenSocket;
  /** Every address's result in resolver order, settled within the bound (never rejects). */
  attempts: Promise<TcpAttempt[]>;
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

function familyOf(address: string): 4 | 6 {
  return net.isIPv6(address) ? 6 : 4;
}

function toAttempt(attempt: Attempt, durationMs: number): TcpAttempt {
  const { address, code, message } = attempt;
  return { address, family: familyOf(address), ok: attempt.open !== undefined, ...(code ? { code } : {}), ...(message ? { message } : {}), durationMs };
}

export function probeTcp(addresses: readonly string[], port: number, timeoutMs: number, signal?: AbortSignal): Promise<TcpResult> {
  const start = now();
  if (addresses.length === 0) {
    const observation: TcpObservation = { ok: false, address: '', port, code: 'ETIMEDOUT', message: `no answer within ${timeoutMs} ms`, durationMs: 0, attempts: [] };
    return Promise.resolve({ observation, attempts: Promise.resolve([]) });
  }
  const settled: (TcpAttempt | undefined)[] = addresses.map(() => undefined);
  const pending = new Map<number, OpenSocket>();
  let chosen = -1;
  return new Promise<TcpResult>((resolve) => {
    const all = addresses.map((address, i) =>
      connectOnce(address, port, timeoutMs, signal).then((attempt) => {
        settled[i] = toAttempt(attempt, since(start));
        if (attempt.open && chosen !== -1 && chosen !== i) attempt.open.socket.destroy(); // a later address: its result is all we need
        if (attempt.open && chosen === -1) pending.set(i, attempt.open);
        decide();
      }),
    );
    const attempts = Promise.all(all).then(() => settled.filter((a): a is TcpAttempt => a !== undefined));
    // Walk the list in resolver order: an address decides once every address before it has failed.
    function decide(): void {
      if (chosen !== -1) return;
      for (let i = 0; i < addresses.length; i++) {
        const result = settled[i];
        if (!result) return; // an earlier address is still connecting
        if (!result.ok) continue;
        chosen = i;
        for (const [j, open] of pending) if (j !== i) open.socket.destroy();
        resolve({ observation: { ok: true, address: result.address, port, durationMs: since(start) }, open: pending.get(i)!, attempts });
        return;
      }
      // Every address failed: report the first, the one clients try first.
      const first = settled[0]!;
      chosen = addresses.length;
      const { address, code, message } = first;
      resolve({ observation: { ok: false, address, port, ...(code ? { code } : {}), ...(message ? { message } : {}), durationMs: since(start), attempts: settled as TcpAttempt[] }, attempts });
    }
  });
}

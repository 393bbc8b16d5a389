/**
 * A short "is Redis here?" probe: connect, send PING, read the first reply.
 * +PONG or any RESP error (-NOAUTH, -DENIED, -LOADING, -ERR max number of
 * clients …) is Redis: only Redis answers a PING with a RESP line.
 * With `tls`, the same over a TLS handshake that does not check the
 * certificate (the question is "is Redis there?", not "is it trusted?").
 */
import net from 'node:net';
import tls from 'node:tls';
import { bound } from '../shared/clock.js';
import { FirstBytes, looksLikeTls, printableExcerpt } from './excerpt.js';
import { encodeCommand, RespParser, RespProtocolError } from './resp-parser.js';
import { pacedData } from './paced.js';

export interface PingResult {
  /** The TCP connect (and with `tls`, the handshake) succeeded. */
  open: boolean;
  /** Error code when not open (ECONNREFUSED, ETIMEDOUT, ERR_SSL_… ). */
  code?: string;
  redis: boolean;
  /** `+PONG`, `-NOAUTH Authentication required.`, or a printable excerpt of other bytes. */
  reply?: string;
  /** Open, but closed or reset without a byte: what a TLS port does with plaintext. */
  silentClose?: boolean;
  looksLikeTls?: boolean;
}

const PING = encodeCommand(['PING']);

function connect(address: string, port: number, useTls: boolean): { socket: net.Socket; ready: string } {
  if (!useTls) return { socket: net.connect({ host: address, port, noDelay: true }), ready: 'connect' };
  const socket = tls.connect({ host: address, port, rejectUnauthorized: false });
  return { socket, ready: 'secureConnect' };
}

export function pingRedis(address: string, port: number, timeoutMs: number, signal?: AbortSignal, options: { tls?: boolean } = {}): Promise<PingResult> {
  return new Promise<PingResult>((resolve) => {
    const { socket, ready } = connect(address, port, options.tls === true);
    const parser = new RespParser();
    const first = new FirstBytes(256);
    let connected = false;
    const done = (result: PingResult) => {
      timer.clear();
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve(result);
    };
    const excerpt = () => (first.length > 0 ? { reply: printableExcerpt(first.bytes(), 80), looksLikeTls: looksLikeTls(first.bytes()) } : {});
    const timer = bound(timeoutMs, signal, () => {
      done(connected ? { open: true, redis: false, ...excerpt() } : { open: false, redis: false, code: 'ETIMEDOUT' });
    });
    socket.once(ready, () => {
      connected = true;
      socket.write(PING);
    });
    socket.on('data', pacedData(socket, (chunk: Buffer) => {
      first.add(chunk);
      try {
        parser.push(chunk);
        const reply = parser.next();
        if (!reply) return;
        const prefix = reply.kind === 'status' ? '+' : reply.kind === 'error' ? '-' : '';
        done({ open: true, redis: prefix !== '', reply: prefix ? `${prefix}${reply.text}`.slice(0, 200) : excerpt().reply });
      } catch (err) {
        if (!(err instanceof RespProtocolError)) throw err;
        done({ open: true, redis: false, ...excerpt() });
      }
    }));
    const closed = (code?: string) => {
      if (!connected) return done({ open: false, redis: false, code: code ?? 'ECONNRESET' });
      done({ open: true, redis: false, ...(first.length === 0 ? { silentClose: true } : excerpt()), ...(code ? { code } : {}) });
    };
    socket.on('error', (err: NodeJS.ErrnoException) => closed(err.code ?? 'EUNKNOWN'));
    socket.on('close', () => closed());
  });
}

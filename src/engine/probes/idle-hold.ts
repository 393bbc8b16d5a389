/**
 * One connection held idle, as a pooled client holds one between requests,
 * to see what reaps it: after the up probe's handshake (AUTH, SELECT, PING:
 * up.ts holdUp) nothing is sent, and the hold records how it ended and after
 * how long idle:
 *   closed  the peer sent FIN (Redis's `timeout`, a proxy's idle timeout)
 *   reset   the peer or a middlebox sent RST (ECONNRESET), or the socket failed otherwise
 *   silent  a PING after a long idle got no reply within its bound: the path
 *           dropped the connection's state (NAT, a stateful firewall, a load
 *           balancer) without telling either end
 * ping() is how a caller asks after a long idle; an answered PING starts the
 * idle clock again, like a pool's health check. Nothing here decides whether
 * that is a problem: the evidence goes to the idle-connections-closed rule
 * through the caller's history (model/options.ts TargetHistory.idleClosed).
 */
import type { TargetInfo } from '../model/types.js';
import { encodeCommand, RespParser, RespProtocolError } from './resp-parser.js';
import { holdUp, type UpOptions, type UpResult } from './up.js';

export type IdleEnd = 'closed' | 'reset' | 'silent';

export interface IdleEnded {
  how: IdleEnd;
  /** How long the connection had been idle (no command sent) when it ended. */
  idleMs: number;
  /** Epoch milliseconds. */
  at: number;
}

export interface IdleHold {
  /** Undefined while the connection is open. */
  ended(): IdleEnded | undefined;
  idleMs(): number;
  /** PING on the held connection: 'pong' restarts the idle clock; otherwise the hold has ended. */
  ping(timeoutMs: number): Promise<'pong' | 'ended'>;
  close(): void;
}

export async function holdIdle(target: TargetInfo, options: UpOptions = {}, clock: () => number = Date.now): Promise<{ result: UpResult; hold?: IdleHold }> {
  const { result, socket } = await holdUp(target, options);
  if (!socket) return { result };
  let idleSince = clock();
  let end: IdleEnded | undefined;
  let closing = false;
  const finish = (how: IdleEnd) => {
    if (end || closing) return;
    end = { how, idleMs: clock() - idleSince, at: clock() };
    socket.destroy();
  };
  socket.on('error', () => finish('reset'));
  socket.on('end', () => finish('closed'));
  socket.on('close', () => finish('closed'));
  // Bytes nobody asked for: a greeting-like error before a close; the close itself is what counts.
  socket.on('data', () => {});

  const hold: IdleHold = {
    ended: () => end,
    idleMs: () => clock() - idleSince,
    ping(timeoutMs) {
      if (end || closing) return Promise.resolve('ended');
      const idleBefore = clock() - idleSince;
      return new Promise((resolve) => {
        const parser = new RespParser();
        const done = (answer: 'pong' | 'ended') => {
          clearTimeout(timer);
          socket.removeListener('data', onData);
          socket.removeListener('close', onClose);
          resolve(answer);
        };
        const onData = (chunk: Buffer) => {
          try {
            parser.push(chunk);
            const reply = parser.next();
            if (!reply) return;
            if (reply.kind === 'status' && reply.text === 'PONG') {
              idleSince = clock();
              done('pong');
            } else {
              finish('reset');
              done('ended');
            }
          } catch (err) {
            if (!(err instanceof RespProtocolError)) throw err;
            finish('reset');
            done('ended');
          }
        };
        const onClose = () => done('ended');
        const timer = setTimeout(() => {
          // The idle time that counts is the one before the PING that went unanswered.
          if (!end) {
            end = { how: 'silent', idleMs: idleBefore, at: clock() };
            socket.destroy();
          }
          done('ended');
        }, Math.max(1, timeoutMs));
        socket.on('data', onData);
        socket.on('close', onClose);
        socket.write(encodeCommand(['PING']));
      });
    },
    close() {
      closing = true;
      socket.destroy();
    },
  };
  return { result, hold };
}

/**
 * A RESP connection kept open after the handshake, for one more pipelined
 * round trip when INFO says the target needs it (a Sentinel, a cluster node,
 * a primary with min-replicas-to-write …). The healthy standalone path never
 * uses it: the handshake's socket is closed as before.
 *
 * exchange() writes every command in one write and waits, within its own
 * bound, for one reply per command (Redis answers pipelined commands in
 * order). Replies keep their structure (RespNode.items) and are scrubbed of
 * the password, like the handshake's.
 */
import type { Duplex } from 'node:stream';
import type { Redactor } from '../shared/redact.js';
import { bound, now, since } from '../shared/clock.js';
import { encodeCommand, LARGE_REPLY_ELEMENTS, RespParser, RespProtocolError, type RespNode } from './resp-parser.js';
import { pacedData } from './paced.js';

export interface PlannedCommand {
  /** The command as reported (secrets replaced): `CLUSTER SHARDS`. */
  label: string;
  args: string[];
}

export interface ConnectionReply {
  command: string;
  reply?: RespNode;
  durationMs: number;
}

export interface BatchResult {
  replies: ConnectionReply[];
  timedOut: boolean;
  /** The server closed the connection or it failed before every reply came. */
  closed: boolean;
  /** The bytes that came back were not RESP. */
  nonResp: boolean;
}

type Socket = Duplex & { destroyed: boolean };

export class RespConnection {
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly redactor: Redactor,
  ) {
    socket.on('error', () => {});
  }

  exchange(commands: readonly PlannedCommand[], timeoutMs: number, signal?: AbortSignal): Promise<BatchResult> {
    const replies: ConnectionReply[] = commands.map((c) => ({ command: c.label, durationMs: 0 }));
    const result: BatchResult = { replies, timedOut: false, closed: false, nonResp: false };
    if (commands.length === 0) return Promise.resolve(result);
    if (this.closed || this.socket.destroyed) return Promise.resolve({ ...result, closed: true });
    // The topology replies may be large (CLUSTER SHARDS of a big cluster). The parser scrubs each
    // text as it arrives: no pass over a whole reply in one go.
    const parser = new RespParser({ redact: (text) => this.redactor.redact(text), maxElements: LARGE_REPLY_ELEMENTS });
    const socket = this.socket;
    let next = 0;
    return new Promise<BatchResult>((resolve) => {
      const sentAt = now();
      const finish = () => {
        timer.clear();
        socket.removeListener('data', onData);
        socket.removeListener('end', onEnd);
        socket.removeListener('close', onEnd);
        socket.removeListener('error', onError);
        if (result.timedOut || result.closed || result.nonResp) this.close();
        resolve(result);
      };
      const onData = pacedData(socket, (chunk: Buffer) => {
        try {
          parser.push(chunk);
          for (let node = parser.nextNode(); node && next < replies.length; node = parser.nextNode()) {
            const slot = replies[next++]!;
            slot.reply = node;
            slot.durationMs = since(sentAt);
          }
        } catch (err) {
          if (!(err instanceof RespProtocolError)) throw err;
          result.nonResp = true;
        }
        if (next >= replies.length || result.nonResp) finish();
      });
      const onEnd = () => {
        result.closed = true;
        finish();
      };
      const onError = () => {
        result.closed = true;
        finish();
      };
      const timer = bound(timeoutMs, signal, (reason) => {
        result.timedOut = reason === 'timeout';
        if (reason === 'aborted') result.closed = true;
        finish();
      });
      socket.on('data', onData);
      socket.on('end', onEnd);
      socket.on('close', onEnd);
      socket.on('error', onError);
      socket.write(Buffer.concat(commands.map((c) => encodeCommand(c.args))));
    });
  }

  /** Still usable: not closed by us (a timeout, a close, non-RESP bytes) nor by the server. */
  get open(): boolean {
    return !this.closed && !this.socket.destroyed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }
}

/**
 * One connection to a diagnosed target, for the one command an approved
 * remediation sends, with the target's own credentials and TLS settings
 * (resolved by the worker from its config; they never travel in job data).
 *
 * Our own small client rather than ioredis on purpose: ioredis may resend a
 * command after a reconnect (autoResendUnfulfilledCommands), hold it in its
 * offline queue, or retry it (maxRetriesPerRequest). A fix goes out at most
 * once, and the caller must know whether it went out. So: connect (bounded),
 * AUTH when the target has credentials (bounded; a refusal ends here, nothing
 * sent), then the command written once and one reply awaited (bounded).
 * No reconnect, no retry, no pipelining. The server-wide commands the
 * remediations send (CONFIG SET, SCRIPT KILL, BGSAVE) need no SELECT.
 */
import net from 'node:net';
import tls from 'node:tls';
import { encodeCommand, pacedData, RespParser, type RespReply } from '../engine/index.js';
import type { ResolvedTarget } from '../config/resolve-target.js';
import { CodedError } from '../util/errors.js';

export type SendResult =
  | { kind: 'reply'; ok: boolean; text: string }
  /** Written, but no reply came (timeout, connection closed): the command may or may not have run. */
  | { kind: 'lost'; reason: string };

/** Nothing was sent. `retryable`: trying again later may work (refused, timed out), unlike a wrong password or certificate. */
export class TargetConnectError extends CodedError {
  override name = 'TargetConnectError';
  constructor(message: string, retryable: boolean) {
    super('target-connect', message, retryable);
  }
}

export interface SessionTimeouts {
  connectMs: number;
  commandMs: number;
}

type Waiter = { resolve: (reply: RespReply) => void; reject: (err: Error) => void };

const CERT_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_|ALTNAME/;

export class TargetSession {
  private readonly parser = new RespParser();
  private readonly waiters: Waiter[] = [];
  private closed: string | undefined;

  private constructor(private readonly socket: net.Socket, private readonly timeouts: SessionTimeouts) {
    socket.on('data', pacedData(socket, (chunk: Buffer) => {
      try {
        this.parser.push(chunk);
        for (let reply = this.parser.next(); reply; reply = this.parser.next()) this.waiters.shift()?.resolve(reply);
      } catch (err) {
        this.fail(`the server's reply is not RESP: ${(err as Error).message}`);
      }
    }));
    socket.on('error', (err) => this.fail(err.message));
    socket.on('close', () => this.fail('the connection closed'));
  }

  static async open(resolved: ResolvedTarget, timeouts: SessionTimeouts): Promise<TargetSession> {
    const socket = await connect(resolved, timeouts.connectMs);
    const session = new TargetSession(socket, timeouts);
    const creds = resolved.options.credentials;
    if (creds?.password !== undefined) {
      let reply: RespReply;
      try {
        reply = await session.request(['AUTH', ...(creds.user !== undefined ? [creds.user] : []), creds.password], timeouts.connectMs);
      } catch (err) {
        session.close();
        throw new TargetConnectError(`no answer to AUTH: ${(err as Error).message}`, true);
      }
      if (reply.kind === 'error') {
        session.close();
        throw new TargetConnectError(`the server refused the credentials: ${reply.text}`, false);
      }
    }
    return session;
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.closed = reason;
    this.socket.destroy();
    for (const w of this.waiters.splice(0)) w.reject(new Error(reason));
  }

  /** Writes one command and waits for its reply; rejects on timeout or a closed connection (and closes it). */
  private request(argv: readonly string[], ms: number): Promise<RespReply> {
    if (this.closed) return Promise.reject(new Error(this.closed));
    return new Promise<RespReply>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(`no reply within ${ms} ms`), ms);
      this.waiters.push({
        resolve: (r) => { clearTimeout(timer); resolve(r); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.socket.write(encodeCommand(argv));
    });
  }

  /** The command, written once; never throws. */
  async send(argv: readonly string[]): Promise<SendResult> {
    try {
      const reply = await this.request(argv, this.timeouts.commandMs);
      return { kind: 'reply', ok: reply.kind !== 'error', text: reply.text };
    } catch (err) {
      return { kind: 'lost', reason: (err as Error).message };
    }
  }

  /** A read-only follow-up (INFO persistence after BGSAVE); undefined when it gets no answer. */
  async read(argv: readonly string[]): Promise<string | undefined> {
    try {
      const reply = await this.request(argv, this.timeouts.commandMs);
      return reply.kind === 'error' ? undefined : reply.text;
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.fail('closed');
  }
}

function connect(resolved: ResolvedTarget, ms: number): Promise<net.Socket> {
  const { host, port } = resolved.target;
  const t = resolved.options.tls;
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    const event = t ? 'secureConnect' : 'connect';
    if (t) {
      // SNI must be a host name, never an IP literal (RFC 6066 §3).
      const servername = t.servername ?? (net.isIP(host) ? undefined : host);
      socket = tls.connect({ host, port, ...(servername ? { servername } : {}), ...(t.ca ? { ca: t.ca } : {}), rejectUnauthorized: !t.insecure });
    } else {
      socket = net.connect({ host, port });
    }
    const timer = setTimeout(() => done(new TargetConnectError(`no connection to ${host}:${port} within ${ms} ms`, true)), ms);
    const onError = (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      done(new TargetConnectError(`cannot connect to ${host}:${port}: ${code || err.message}`, !CERT_ERROR.test(code) || code.startsWith('ERR_SSL_')));
    };
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off(event, onConnect);
      if (err) {
        socket.on('error', () => undefined);
        socket.destroy();
        reject(err);
      } else {
        resolve(socket);
      }
    };
    const onConnect = () => done();
    socket.once(event, onConnect);
    socket.once('error', onError);
  });
}

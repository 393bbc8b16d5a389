/**
 * A deliberately tiny RESP client for putting servers into states: hold a
 * connection open (maxclients), fire a command without waiting for it (a busy
 * EVAL), read the first line of a reply. Independent of the engine's parser
 * so a bug there cannot hide behind the lab. Use cli() for anything richer.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface RawClientOptions {
  /** Speak TLS, trusting this CA (PEM). */
  tlsCa?: string;
  timeoutMs?: number;
}

export interface RawClient {
  /** Sends a command as a RESP array; does not wait for the reply. */
  send(...args: string[]): void;
  /** The first line of the next reply (`+PONG`, `-ERR …`, `:1`, `$5` …), or rejects on close/timeout. */
  line(timeoutMs?: number): Promise<string>;
  /** send() then line(): for commands with one-line replies. */
  command(...args: string[]): Promise<string>;
  close(): void;
}

export function encodeCommand(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** A raw client over TCP (or TLS with options.tlsCa) to host:port. */
export function connectRaw(host: string, port: number, options: RawClientOptions = {}): Promise<RawClient> {
  const socket = options.tlsCa
    ? tlsConnect({ host, port, ca: options.tlsCa, servername: host === '127.0.0.1' ? undefined : host })
    : tcpConnect({ host, port });
  return wrap(socket, options.tlsCa ? 'secureConnect' : 'connect', `${host}:${port}`, options.timeoutMs ?? 3000);
}

/** A raw client over a Unix socket (Redis `unixsocket`): always plaintext. */
export function connectRawUnix(path: string, timeoutMs = 3000): Promise<RawClient> {
  return wrap(tcpConnect({ path }), 'connect', path, timeoutMs);
}

function wrap(socket: Socket, ready: 'connect' | 'secureConnect', where: string, timeoutMs: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let closed = false;
    const waiters: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
    const flush = (): void => {
      let eol = buffer.indexOf('\r\n');
      while (eol >= 0 && waiters.length) {
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        waiters.shift()!.resolve(line);
        eol = buffer.indexOf('\r\n');
      }
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      flush();
    });
    socket.on('close', () => {
      closed = true;
      for (const w of waiters.splice(0)) w.reject(new Error('connection closed'));
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${where} timed out`));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once(ready, () => {
      clearTimeout(timer);
      socket.on('error', () => undefined); // reported through close()
      const client: RawClient = {
        send: (...args) => void socket.write(encodeCommand(args)),
        line(wait = timeoutMs) {
          if (closed) return Promise.reject(new Error('connection closed'));
          return new Promise((res, rej) => {
            const waiter = {
              resolve: (l: string) => (clearTimeout(t), res(l)),
              reject: (e: Error) => (clearTimeout(t), rej(e)),
            };
            const t = setTimeout(() => {
              waiters.splice(waiters.indexOf(waiter), 1);
              rej(new Error(`no reply within ${wait} ms`));
            }, wait);
            waiters.push(waiter);
            flush();
          });
        },
        command(...args) {
          client.send(...args);
          return client.line();
        },
        close: () => void socket.destroy(),
      };
      resolve(client);
    });
  });
}

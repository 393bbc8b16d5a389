/**
 * Things that are not Redis, listening where Redis is expected: an SSH daemon
 * (speaks first: RFC 4253 §4.2 says the server sends its identification
 * string on connect) and an HTTP server (answers a request line, and closes
 * on garbage such as a RESP command). Loopback only, free ports.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { freePort } from './ports.js';

export interface FakeServer {
  host: string;
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export interface FakeServerBehaviour {
  /** Sent as soon as a client connects. */
  banner?: string;
  /** Reply to the first bytes a client sends; the connection closes after it. */
  reply?: (firstBytes: string) => string;
}

export const SSH_BANNER = 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n';

/** Reply of a plain HTTP server to anything that is not a valid request. */
export function httpBadRequest(): string {
  const body = '<html><body><h1>400 Bad Request</h1></body></html>\n';
  return `HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
}

export async function startFakeServer(behaviour: FakeServerBehaviour): Promise<FakeServer> {
  return serveOnLoopback((socket) => {
    if (behaviour.banner) socket.write(behaviour.banner);
    socket.once('data', (data) => {
      if (behaviour.reply) socket.end(behaviour.reply(data.toString('latin1')));
    });
  });
}

/** A TCP server on a free loopback port that hands each accepted socket to `onSocket`; close() destroys them all. */
export async function serveOnLoopback(onSocket: (socket: Socket) => void): Promise<FakeServer> {
  const host = '127.0.0.1';
  const port = await freePort(host);
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => resolve());
  });
  return {
    host,
    port,
    connections: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export const startSshLikeServer = (): Promise<FakeServer> => startFakeServer({ banner: SSH_BANNER });
export const startHttpServer = (): Promise<FakeServer> => startFakeServer({ reply: () => httpBadRequest() });

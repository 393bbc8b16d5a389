/**
 * Small local TCP servers for what Redis cannot be: a silent peer (accepts,
 * never answers), an HTTP server, an SSH-like banner server. Loopback only,
 * closed by close() with every accepted socket destroyed.
 */
import net from 'node:net';

export interface FakeServer {
  port: number;
  close(): Promise<void>;
}

export async function startServer(onSocket: (socket: net.Socket) => void, host = '127.0.0.1', port = 0): Promise<FakeServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts and reads, never writes: what a plaintext Redis does with a TLS ClientHello. */
export const silentServer = (port = 0): Promise<FakeServer> => startServer((socket) => socket.resume(), '127.0.0.1', port);

/** Answers the first bytes with an HTTP 400, like a web server or proxy would. */
export const httpServer = (port = 0): Promise<FakeServer> =>
  startServer(
    (socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    },
    '127.0.0.1',
    port,
  );

/** Sends an SSH identification string on accept, like sshd (RFC 4253 §4.2). */
export const sshBannerServer = (): Promise<FakeServer> =>
  startServer((socket) => {
    socket.write('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
    socket.once('data', () => socket.end('Invalid SSH identification string.\r\n'));
  });

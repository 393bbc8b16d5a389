/**
 * Local TCP servers the lab's fake-servers.ts does not cover: one on a chosen
 * port (a neighbour of a target port), one that never answers, and scripted
 * ones (a reset, an old Redis's INFO syntax). Loopback only; close() destroys
 * every accepted socket.
 */
import net from 'node:net';

export interface LocalServer {
  port: number;
  close(): Promise<void>;
}

export async function startServer(onSocket: (socket: net.Socket) => void, port = 0): Promise<LocalServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve());
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
export const silentServer = (port = 0): Promise<LocalServer> => startServer((socket) => socket.resume(), port);

/** Opens a TCP connection the way the engine does, for session-level tests. */
import net from 'node:net';
import { probeTcp, type OpenSocket } from '../../../src/engine/probes/tcp.js';

export async function openTcp(port: number, host = '127.0.0.1'): Promise<OpenSocket> {
  const result = await probeTcp([host], port, 2000);
  if (!result.open) throw new Error(`connect to ${host}:${port} failed: ${result.observation.code}`);
  return result.open;
}

/** A connection from a chosen loopback source address (127.0.0.2 is not "local" to Redis's protected mode). */
export function openFrom(localAddress: string, port: number): Promise<OpenSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      const open: OpenSocket = { socket };
      socket.on('error', (err: NodeJS.ErrnoException) => {
        open.error = err;
      });
      resolve(open);
    });
  });
}

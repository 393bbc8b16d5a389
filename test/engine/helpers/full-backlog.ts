/**
 * A listener whose accept queue is full, so new SYNs are dropped and a
 * connect gets no answer at all: the "dropped" case without a firewall.
 * A redis-server with `--tcp-backlog 0` is stopped (SIGSTOP) so it never
 * accepts; connections are opened until one does not complete.
 */
import net from 'node:net';
import { startRedis } from '../../lab/redis.js';

export interface FullBacklog {
  port: number;
  close(): Promise<void>;
}

function tryConnect(port: number, ms: number): Promise<net.Socket | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
  });
}

export async function fullBacklog(): Promise<FullBacklog> {
  const redis = await startRedis({ args: ['--tcp-backlog', '0'] });
  redis.process.kill('SIGSTOP');
  const fillers: net.Socket[] = [];
  const close = async () => {
    for (const s of fillers) s.destroy();
    // A stopped process leaves SIGTERM pending: kill it outright.
    await redis.stop({ graceMs: 0 });
  };
  try {
    for (let i = 0; i < 16; i++) {
      const socket = await tryConnect(redis.port, 300);
      if (!socket) return { port: redis.port, close };
      fillers.push(socket);
    }
  } catch (err) {
    await close();
    throw err;
  }
  await close();
  throw new Error('the accept queue never filled');
}

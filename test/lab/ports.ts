/**
 * Free TCP ports on loopback. The kernel picks them (listen on port 0); a
 * process-wide set makes sure this process never hands the same port out
 * twice, even after the server that used it has stopped.
 */
import { createServer } from 'node:net';

const handedOut = new Set<number>();

function bindOnce(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** A port nothing listens on now (on `host`), never returned before by this process. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await bindOnce(host, 0);
    if (port !== undefined && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port on ${host} after 50 attempts`);
}

/**
 * A free port whose neighbours port-1 and port+1 are free too, for tests where
 * a scan of nearby ports must find nothing (or only what the test put there).
 */
export async function freePortWithFreeNeighbours(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort(host);
    if (port <= 1 || port >= 65535) continue;
    if (handedOut.has(port - 1) || handedOut.has(port + 1)) continue;
    const [below, above] = await Promise.all([bindOnce(host, port - 1), bindOnce(host, port + 1)]);
    if (below !== undefined && above !== undefined) return port;
  }
  throw new Error(`no free port with free neighbours on ${host} after 50 attempts`);
}

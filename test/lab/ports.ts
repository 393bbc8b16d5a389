/**
 * Free TCP ports on loopback. The kernel picks them (listen on port 0); a
 * process-wide set makes sure this process never hands the same port out
 * twice, even after the server that used it has stopped.
 */
import { readFileSync } from 'node:fs';
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

/** The lowest port the kernel hands out by itself (listen on 0, a client's local port): ip_local_port_range. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 11_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * A free port below the kernel's ephemeral range, for a server that is stopped and started
 * again on its port (test/monitor/helpers.ts Switchable): while it is down, no freePort() of
 * another test process and no outgoing connection's local port can take it (both come from
 * the ephemeral range), as one did under load. Random in 10000..low-1, checked free.
 */
export async function freeStablePort(host = '127.0.0.1'): Promise<number> {
  const low = ephemeralLow();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    if (handedOut.has(port)) continue;
    if ((await bindOnce(host, port)) === port) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port below ${low} on ${host} after 200 attempts`);
}

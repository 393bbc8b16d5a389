/**
 * What this machine's routing says about an address, without sending a packet:
 *  - connect() on a UDP socket makes the kernel look up the route (and pick
 *    the source address) and sends nothing. No route fails it with
 *    ENETUNREACH, an `unreachable` route with EHOSTUNREACH, `prohibit` with
 *    EACCES, `blackhole` with EINVAL — the same codes the TCP connect got,
 *    but now known to come from this kernel, not from an ICMP reply.
 *  - the main table (/proc/net/route, /proc/net/ipv6_route, Linux) says
 *    whether the address has a route of its own or only the default route: a
 *    private address that only the default gateway "covers" is headed for a
 *    network that, on the public internet, drops it.
 * Runs only when no address connected and the first is private and not
 * refused (needsRouteLookup): a refused connect has a route by definition.
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import type { RouteObservation } from '../model/types.js';
import { privateRange } from '../shared/address.js';
import { bound, now, since } from '../shared/clock.js';
import { matchRoute } from './route-table.js';

/** Connect failures a missing route, a local reject route or a silent path explain. */
const ROUTE_CODES = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'EINVAL', 'EACCES', 'EPERM', 'ETIMEDOUT']);

export function needsRouteLookup(address: string, code: string | undefined): boolean {
  return code !== undefined && ROUTE_CODES.has(code) && privateRange(address) !== undefined;
}

function udpConnect(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<{ code?: string; source?: string }> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
    const finish = (result: { code?: string; source?: string }) => {
      timer.clear();
      socket.close();
      resolve(result);
    };
    const timer = bound(timeoutMs, signal, (reason) => finish({ code: reason === 'timeout' ? 'ETIMEOUT' : 'ABORTED' }));
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ code: err.code ?? 'EUNKNOWN' }));
    socket.connect(port, address, (err?: Error) => {
      if (err) finish({ code: (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN' });
      else finish({ source: socket.address().address });
    });
  });
}

async function mainTable(v6: boolean): Promise<string | undefined> {
  try {
    const file = await readFile(v6 ? '/proc/net/ipv6_route' : '/proc/net/route', 'latin1');
    return file.slice(0, 256 * 1024); // a routing table larger than this is cut, not parsed whole
  } catch {
    return undefined; // not Linux, or /proc not mounted: the kernel's answer above still counts
  }
}

export async function lookupRoute(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<RouteObservation> {
  const start = now();
  const v6 = isIPv6(address);
  const [kernel, table] = await Promise.all([udpConnect(address, port, timeoutMs, signal), mainTable(v6)]);
  const matched = table === undefined ? undefined : matchRoute(table, address, v6, endianness() === 'LE');
  return {
    address,
    range: privateRange(address) ?? '',
    ok: kernel.code === undefined,
    ...(kernel.code ? { code: kernel.code } : {}),
    ...(kernel.source ? { source: kernel.source } : {}),
    ...(matched ? { matched } : {}),
    ...(table === undefined ? {} : { tableRead: true }),
    durationMs: since(start),
  };
}

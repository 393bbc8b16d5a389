/**
 * When a local, non-loopback address of this machine refuses: does Redis
 * answer on loopback at the same port? Redis's default redis.conf has
 * `bind 127.0.0.1 -::1`, so a server that works from the host itself and
 * refuses on the host's own LAN address is bound to loopback only.
 */
import os from 'node:os';
import net from 'node:net';
import type { LoopbackProbe } from '../model/types.js';
import { isLoopbackAddress } from '../shared/address.js';
import { now, since } from '../shared/clock.js';
import { pingRedis } from './ping.js';

function normalise(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && net.isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/** True when `address` is configured on one of this machine's interfaces and is not loopback. */
export function isLocalNonLoopback(address: string, interfaces = os.networkInterfaces()): boolean {
  if (isLoopbackAddress(address)) return false;
  const wanted = normalise(address);
  return Object.values(interfaces).some((list) => (list ?? []).some((i) => normalise(i.address.split('%')[0] ?? '') === wanted));
}

export async function probeLoopback(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<LoopbackProbe> {
  const start = now();
  const loopback = net.isIP(normalise(address)) === 6 ? '::1' : '127.0.0.1';
  const result = await pingRedis(loopback, port, timeoutMs, signal);
  return {
    address: loopback,
    port,
    redis: result.redis,
    ...(result.reply !== undefined ? { reply: result.reply } : {}),
    durationMs: since(start),
  };
}

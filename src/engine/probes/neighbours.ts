/**
 * When the port refuses: is Redis on a usual port of the same host? That
 * tells "wrong port" from "not running". The usual ports: the default and
 * its next two (6379–6381), the cluster bus (16379), Sentinel (26379), the
 * cluster tutorial's 7000–7005, and the target port ±1.
 * All ports are probed in parallel; each connect is short and the whole scan
 * stops at its bound, marking itself truncated when some port had not answered.
 * A port that resets a plaintext PING without a byte gets a second PING over
 * TLS within the same bound: that is how a Redis tls-port treats plaintext.
 */
import type { NeighbourScan } from '../model/types.js';
import { now, since } from '../shared/clock.js';
import { pingRedis, type PingResult } from './ping.js';

const USUAL_PORTS = [6379, 6380, 6381, 16379, 26379, 7000, 7001, 7002, 7003, 7004, 7005];

export const NEIGHBOUR_SCAN_MAX_MS = 500;

export function neighbourPorts(port: number): number[] {
  const candidates = [...USUAL_PORTS, port - 1, port + 1];
  return [...new Set(candidates)].filter((p) => p !== port && p >= 1 && p <= 65535);
}

export async function scanNeighbours(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<NeighbourScan> {
  const start = now();
  const ports = neighbourPorts(port);
  const budget = Math.min(timeoutMs, NEIGHBOUR_SCAN_MAX_MS);
  let truncated = false;
  const results = await Promise.all(
    ports.map(async (p) => {
      let result: PingResult = await pingRedis(address, p, budget, signal);
      const left = budget - (now() - start);
      if (result.silentClose && left > 0) {
        const overTls = await pingRedis(address, p, left, signal, { tls: true });
        if (overTls.open) result = { ...overTls, looksLikeTls: true };
      }
      // pingRedis reports its own bound as ETIMEDOUT (not open) or as open without a reply.
      if ((!result.open && result.code === 'ETIMEDOUT') || (result.open && result.reply === undefined && !result.silentClose)) truncated = true;
      return { port: p, result };
    }),
  );
  const found: NeighbourScan['found'] = [];
  for (const { port: p, result } of results) {
    if (!result.open) continue;
    found.push({
      port: p,
      redis: result.redis,
      ...(result.looksLikeTls ? { tls: true } : {}),
      ...(result.reply !== undefined ? { reply: result.reply } : {}),
    });
  }
  return { scanned: ports, found, durationMs: since(start), truncated };
}

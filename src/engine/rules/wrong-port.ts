/**
 * The port refused, and Redis answers on another port of the same host: the
 * client has the wrong port. When several ports answer, the likeliest is the
 * neighbour of the typed port (off-by-one: 6378/6380 for 6379), then the
 * ports Redis setups use by convention (6379 default, 6380/6381 for a second
 * instance or a TLS port), then the nearest.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { NeighbourScan } from '../model/types.js';
import { hostWrongPort, wrongPortFromHost } from './helpers/host-evidence.js';
import { clip, hostPort, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

type Found = NeighbourScan['found'][number];

const CONVENTIONAL = new Set([6379, 6380, 6381]);
// Sentinel (26379) answers PING but holds no data, and 16379 is the cluster
// bus: never the port a client meant, unless it is right next to the typed one.
const NOT_DATA_PORTS = new Set([16379, 26379]);

export function rankNeighbours(found: readonly Found[], port: number, tls: boolean): Found[] {
  const key = (f: Found) => [
    Math.abs(f.port - port) === 1 ? 0 : 1,
    CONVENTIONAL.has(f.port) ? 0 : 1,
    (f.tls ?? false) === tls ? 0 : 1,
    Math.abs(f.port - port),
    f.port,
  ];
  return found
    .filter((f) => f.redis && f.port !== port && (!NOT_DATA_PORTS.has(f.port) || Math.abs(f.port - port) === 1))
    .sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
      return 0;
    });
}

export const rule = defineRule({
  cause: 'wrong-port',
  impact: 'unusable',
  supersedes: ['connection-refused'],
  evaluate(obs) {
    // Host evidence (ss -ltnp over SSH) also finds ports the neighbour scan does not try.
    const onHost = hostWrongPort(obs);
    const fromHost = () => (onHost ? wrongPortFromHost(obs, onHost) : undefined);
    if (obs.tcp?.ok !== false || obs.tcp.code !== 'ECONNREFUSED' || !obs.neighbours) return fromHost();
    const ranked = rankNeighbours(obs.neighbours.found, obs.target.port, obs.target.tls);
    const best = ranked[0];
    if (!best) return fromHost();
    const host = obs.tcp.address || obs.target.host;
    const evidence = [`TCP connect to ${targetLabel(obs)} was refused (ECONNREFUSED)`];
    for (const f of ranked.slice(0, 4)) {
      evidence.push(`Redis answers on ${hostPort(host, f.port)}${f.tls ? ' (TLS)' : ''}${f.reply ? `: ${clip(f.reply, 80)}` : ''}`);
    }
    evidence.push(`ports scanned: ${obs.neighbours.scanned.join(', ')}`);
    if (onHost) evidence.push(...onHost.evidence);
    const others = ranked.slice(1).map((f) => f.port);
    return {
      severity: 'critical',
      title: `Nothing listens on port ${obs.target.port}; Redis answers on port ${best.port}${others.length ? ` (also ${others.join(', ')})` : ''}`,
      evidence,
      remediations: [REMEDIATIONS['use-correct-port'](fixTarget(obs), { port: best.port, ...(best.tls !== undefined ? { tls: best.tls } : {}) })],
      details: { suggestedPort: best.port, ...(best.tls !== undefined ? { suggestedTls: best.tls } : {}) },
    };
  },
});

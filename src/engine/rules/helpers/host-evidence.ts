/**
 * Host evidence for the rules that also stand on network evidence alone
 * (wrong-port, bind-loopback-only, fd-limit-too-low). Each function returns
 * what the SSH checks saw, or undefined; the rule adds the lines to its own
 * finding, or fires on them when the network probes could not tell.
 */
import { fixTarget, REMEDIATIONS } from '../../remediations/index.js';
import type { Confidence, FindingDraft, Observations } from '../../model/types.js';
import { isLoopbackAddress } from '../../shared/address.js';
import { confLine, confsForPort, hostName, isRedisListener, listenCovers, listenersOnPort, redisListeners, remoteOf, ssEvidence, targetAddress } from './host.js';
import { targetLabel } from './observed.js';

/** Descriptors Redis keeps for itself beyond maxclients (server.h CONFIG_MIN_RESERVED_FDS). */
export const RESERVED_FDS = 32;
/** maxclients when redis.conf names none. */
export const DEFAULT_MAXCLIENTS = 10000;

export interface HostWrongPort {
  /** Ports redis-server listens on instead, nearest to the typed one first. */
  ports: number[];
  evidence: string[];
}

/** Nothing on the target port; redis-server listens on other ports of the host. */
export function hostWrongPort(obs: Observations): HostWrongPort | undefined {
  const remote = remoteOf(obs);
  if (!remote || obs.tcp?.ok !== false || obs.tcp.code !== 'ECONNREFUSED') return undefined;
  const port = obs.target.port;
  if (listenersOnPort(remote, port).length > 0) return undefined;
  const others = redisListeners(remote).filter((l) => l.port !== port);
  if (others.length === 0) return undefined;
  const ports = [...new Set(others.map((l) => l.port))].sort((a, b) => Math.abs(a - port) - Math.abs(b - port) || a - b);
  const evidence = others.slice(0, 4).map((l) => ssEvidence(remote, l));
  for (const l of others.slice(0, 2)) {
    const line = confsForPort(remote, l.port, l.pid).map((f) => confLine(f, 'port')).find(Boolean);
    if (line && !evidence.includes(line)) evidence.push(line);
  }
  return { ports, evidence };
}

/** A wrong-port finding from host evidence alone (the neighbour scan did not reach the port). */
export function wrongPortFromHost(obs: Observations, host: HostWrongPort, confidence: Confidence): FindingDraft {
  const best = host.ports[0]!;
  const remote = remoteOf(obs)!;
  return {
    severity: 'critical',
    confidence,
    title: `Nothing listens on port ${obs.target.port}; Redis listens on port ${best}${host.ports.length > 1 ? ` (also ${host.ports.slice(1).join(', ')})` : ''}`,
    evidence: [`TCP connect to ${targetLabel(obs)} was refused (ECONNREFUSED)`, `ss -ltnp on ${hostName(remote)}: nothing listens on port ${obs.target.port}`, ...host.evidence],
    remediations: confidence === 'possible'
      ? [REMEDIATIONS['use-correct-port'](fixTarget(obs), { port: best, sure: false }), REMEDIATIONS['start-redis'](fixTarget(obs))]
      : [REMEDIATIONS['use-correct-port'](fixTarget(obs), { port: best })],
    details: { suggestedPort: best },
  };
}

/** redis-server listens on the target port, on loopback addresses only, and the client is remote. */
export function hostLoopbackOnly(obs: Observations): string[] | undefined {
  const remote = remoteOf(obs);
  if (!remote || obs.tcp?.ok !== false || obs.tcp.code !== 'ECONNREFUSED') return undefined;
  const address = targetAddress(obs);
  if (isLoopbackAddress(address) || address === 'localhost') return undefined;
  const mine = listenersOnPort(remote, obs.target.port).filter((l) => isRedisListener(l, remote));
  if (mine.length === 0 || !mine.every((l) => isLoopbackAddress(l.address)) || mine.some((l) => listenCovers(l.address, address))) return undefined;
  const evidence = mine.map((l) => ssEvidence(remote, l));
  const bind = confsForPort(remote, obs.target.port, mine[0]!.pid).map((f) => confLine(f, 'bind')).find(Boolean);
  if (bind) evidence.push(bind);
  return evidence;
}

export interface HostFdLimit {
  pid: number;
  nofile: number;
  requested: number;
  maxclients: number;
  evidence: string[];
}

/**
 * /proc/<pid>/limits of the redis-server on the target port. Redis needs maxclients + 32
 * descriptors and, when it cannot raise the limit that far, sets maxclients to exactly
 * limit − 32 (server.c adjustOpenFilesLimit). With INFO at hand that equality decides;
 * without it, the limit is compared with the maxclients its own config file asks for
 * (the default 10000 when it names none).
 */
export function hostFdLimit(obs: Observations): HostFdLimit | undefined {
  const remote = remoteOf(obs);
  if (!remote?.fileLimits) return undefined;
  const serving = listenersOnPort(remote, obs.target.port).filter((l) => isRedisListener(l, remote));
  const limit = remote.fileLimits.find((f) => serving.some((l) => l.pid === f.pid));
  if (!limit || limit.soft === null) return undefined;
  const conf = confsForPort(remote, obs.target.port, limit.pid).find((f) => f.maxclients !== undefined);
  const requested = conf?.maxclients ?? DEFAULT_MAXCLIENTS;
  const infoMax = Number(obs.info?.sections.clients?.maxclients ?? Number.NaN);
  const reduced = Number.isInteger(infoMax) ? infoMax === limit.soft - RESERVED_FDS && infoMax < requested : limit.soft < requested + RESERVED_FDS;
  if (!reduced) return undefined;
  // The ss line is the tie: this pid holds the target port.
  const evidence = [`/proc/${limit.pid}/limits on ${hostName(remote)}: ${limit.line}`, ssEvidence(remote, serving.find((l) => l.pid === limit.pid)!)];
  const line = conf && confLine(conf, 'maxclients');
  evidence.push(line ? `${line} needs ${requested + RESERVED_FDS} descriptors` : `maxclients defaults to ${DEFAULT_MAXCLIENTS}, which needs ${DEFAULT_MAXCLIENTS + RESERVED_FDS} descriptors`);
  return { pid: limit.pid, nofile: limit.soft, requested, maxclients: Math.max(0, limit.soft - RESERVED_FDS), evidence };
}

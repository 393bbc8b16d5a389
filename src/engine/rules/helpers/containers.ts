/**
 * Which container is the target (issue #19), from Docker's state: the Engine API read here
 * (Observations.docker) or the SSH host's docker ps / docker inspect (Observations.remote).
 * No decisions beyond the match; evidence lines say which engine saw what.
 *
 *  - named: the target's docker.container;
 *  - binding: a container whose port bindings name the target's host port — the live ones
 *    (NetworkSettings.Ports) or, for a stopped container that still holds them,
 *    HostConfig.PortBindings. The binding names the port: `confirmed`;
 *  - redis: the only Redis container (image or command says redis) when none names the port:
 *    `likely` (`possible` when there are several).
 */
import type { DockerContainer, DockerPort } from '../../remote/types.js';
import type { Confidence, Observations } from '../../model/types.js';
import { remoteOf, hostName } from './host.js';
import { innerRedisPort } from '../../docker/inspect.js';

export interface DockerView {
  containers: DockerContainer[];
  /** `Docker at unix:///var/run/docker.sock`, `docker inspect on cache-1 (SSH)`: who said it. */
  where: string;
  /** The target's docker.container, when configured. */
  wanted?: string;
}

export function dockerOf(obs: Observations): DockerView | undefined {
  if (obs.docker?.ok) {
    const where = obs.docker.source === 'ssh' ? `docker inspect on ${remoteOf(obs) ? hostName(remoteOf(obs)!) : obs.docker.endpoint} (SSH)` : `Docker Engine at ${obs.docker.endpoint}`;
    return { containers: obs.docker.containers, where, ...(obs.docker.container ? { wanted: obs.docker.container } : {}) };
  }
  const remote = remoteOf(obs);
  if (remote?.docker) return { containers: remote.docker.containers, where: `docker ps on ${hostName(remote)}` };
  return undefined;
}

/** Host-port bindings: the live ones and HostConfig.PortBindings (what it publishes when it runs), without duplicates. */
export function bindingsOf(c: DockerContainer): DockerPort[] {
  const out: DockerPort[] = [];
  for (const p of [...c.ports, ...(c.bindings ?? [])]) {
    if (p.hostPort === undefined) continue;
    // HostConfig says "" where the live binding says 0.0.0.0: the same binding.
    const ip = (x: DockerPort) => (x.hostIp === undefined || x.hostIp === '' ? '0.0.0.0' : x.hostIp);
    if (!out.some((o) => o.containerPort === p.containerPort && o.protocol === p.protocol && o.hostPort === p.hostPort && ip(o) === ip(p))) out.push(p);
  }
  return out;
}

export function bindingsForPort(c: DockerContainer, port: number): DockerPort[] {
  return bindingsOf(c).filter((p) => p.protocol === 'tcp' && p.hostPort === port);
}

export function isLoopbackHostIp(ip: string | undefined): boolean {
  return ip !== undefined && (ip.startsWith('127.') || ip === '::1');
}

export function bindingText(p: DockerPort): string {
  return `${p.hostIp ? `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:` : '0.0.0.0:'}${p.hostPort}->${p.containerPort}/${p.protocol}`;
}

export interface TargetContainer {
  container: DockerContainer;
  how: 'named' | 'binding' | 'redis';
  confidence: Confidence;
  /** The bindings that name the target's host port (how === 'binding', or a named one that has them). */
  bindings: DockerPort[];
  /** The port Redis listens on inside it. */
  innerPort: number;
  view: DockerView;
}

function matchesName(c: DockerContainer, wanted: string): boolean {
  const w = wanted.replace(/^\//, '');
  return c.name.replace(/^\//, '') === w || (/^[0-9a-f]{12,64}$/.test(w) && c.id.startsWith(w));
}

export function targetContainer(obs: Observations): TargetContainer | undefined {
  const view = dockerOf(obs);
  if (!view) return undefined;
  const port = obs.target.port;
  const make = (c: DockerContainer, how: TargetContainer['how'], confidence: Confidence): TargetContainer => ({ container: c, how, confidence, bindings: bindingsForPort(c, port), innerPort: innerRedisPort(c), view });
  if (view.wanted) {
    const named = view.containers.find((c) => matchesName(c, view.wanted!));
    if (named) return make(named, 'named', 'confirmed');
  }
  // A running container's live binding first: a stopped one may still hold the same binding in its HostConfig.
  const bound = view.containers.filter((c) => bindingsForPort(c, port).length > 0);
  const live = bound.find((c) => c.running) ?? bound[0];
  if (live) return make(live, 'binding', 'confirmed');
  const redis = view.containers.filter((c) => c.redis && c.networkMode !== 'host');
  if (redis.length === 0) return undefined;
  const running = redis.filter((c) => c.running);
  const pick = running[0] ?? redis[0]!;
  return make(pick, 'redis', redis.length === 1 ? 'likely' : 'possible');
}

/** Redis answered on the target: Docker has nothing to explain. */
export function redisAnswered(obs: Observations): boolean {
  return obs.resp?.ok === true;
}

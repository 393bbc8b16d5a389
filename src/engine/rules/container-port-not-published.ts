/**
 * Redis runs in a container, and the container's port is not where the client connects
 * (issue #19). Docker's state says which (rules/helpers/containers.ts: the Engine API here,
 * or docker ps / docker inspect over SSH); `details.reason`:
 *  - not-published: the Redis container publishes no host port, and nothing accepts on the
 *    target port (a container on the host network needs no mapping and does not count);
 *  - loopback-only: the binding that names the port is on 127.0.0.1 (or ::1) only and the
 *    client is elsewhere: the fix is the `-p` flag (or Compose `ports:`), not Redis's `bind`;
 *  - other-host-port: the Redis container publishes its port on another host port, and
 *    nothing accepts on the target port;
 *  - wrong-container-port: the binding that names the port leads to a container port Redis
 *    does not listen on (`-p 8307:6380` for a Redis on 6379 inside).
 * Confirmed when the binding names the target's port (or the target's docker.container
 * names the container); else likely (one Redis container) or possible (several).
 * Only when Redis did not answer: a healthy mapped port is no finding.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { Confidence, FindingDraft, Observations } from '../model/types.js';
import type { DockerContainer } from '../remote/types.js';
import { isSafeContainerName } from '../shared/shell-words.js';
import { hostName, listenersOnPort, remoteOf } from './helpers/host.js';
import { targetLabel } from './helpers/observed.js';
import { bindingsOf, bindingText, isLoopbackHostIp, redisAnswered, targetContainer, type TargetContainer } from './helpers/containers.js';
import { innerRedisPort } from '../docker/inspect.js';
import { defineRule } from './helpers/define.js';

type Reason = 'not-published' | 'loopback-only' | 'other-host-port' | 'wrong-container-port';

function connectLine(obs: Observations): string {
  if (obs.tcp?.ok === false) return `TCP connect to ${targetLabel(obs)}: ${obs.tcp.code ?? 'failed'}`;
  const r = obs.resp;
  const what = r?.socketError ?? (r?.closedByServer ? 'closed by the other side before Redis answered' : r?.timedOut ? 'no reply within the timeout' : 'no Redis reply');
  return `TCP connect to ${targetLabel(obs)} succeeded (Docker's proxy accepts), then ${what}`;
}

function describe(c: DockerContainer, where: string): string {
  const ports = bindingsOf(c).map(bindingText).join(', ');
  return `${where}: ${c.name} (${c.image}) ${c.state ?? (c.running ? 'running' : 'not running')}${c.status ? ` "${c.status}"` : ''}, published: ${ports || 'none'}${c.networkMode ? `, network ${c.networkMode}` : ''}`;
}

function finding(obs: Observations, tc: Pick<TargetContainer, 'view'>, c: DockerContainer, reason: Reason, confidence: Confidence, extra: { evidence: string[]; hostPort?: number; boundPort?: number; innerPort: number }): FindingDraft {
  const host = remoteOf(obs) ? hostName(remoteOf(obs)!) : obs.target.host;
  const named = isSafeContainerName(c.name);
  const evidence = [connectLine(obs), describe(c, tc.view.where), ...extra.evidence];
  if (!named) evidence.push(`the container name above is not one Docker accepts ([a-zA-Z0-9][a-zA-Z0-9_.-]+): the engine's answer may have been tampered with; it is quoted, not repeated in any command`);
  const port = obs.target.port;
  const titles: Record<Reason, string> = {
    'not-published': `Redis runs in container ${c.name} on ${host}, but its port ${extra.innerPort} is not published on host port ${port}`,
    'loopback-only': `Container ${c.name} publishes Redis on 127.0.0.1:${port} only: clients on other hosts cannot connect`,
    'other-host-port': `Container ${c.name} publishes Redis on host port ${extra.hostPort ?? '?'}, not ${port}`,
    'wrong-container-port': `Host port ${port} leads to port ${extra.boundPort ?? '?'} in container ${c.name}, but Redis listens on ${extra.innerPort} there`,
  };
  return {
    severity: 'critical',
    confidence: named ? confidence : 'possible',
    title: titles[reason],
    evidence,
    remediations: [
      REMEDIATIONS['publish-container-port'](fixTarget(obs), {
        container: c.name,
        image: c.image,
        containerPort: extra.innerPort,
        reason,
        ...(extra.hostPort !== undefined ? { hostPort: extra.hostPort } : {}),
        ...(extra.boundPort !== undefined ? { boundPort: extra.boundPort } : {}),
      }),
    ],
    details: { reason, container: c.name, image: c.image, containerPort: extra.innerPort, ...(extra.hostPort !== undefined ? { hostPort: extra.hostPort } : {}), ...(extra.boundPort !== undefined ? { boundPort: extra.boundPort } : {}) },
  };
}

/** The binding names the port: the container runs, and what it publishes is not what the client needs. */
function bound(obs: Observations, tc: TargetContainer): FindingDraft | undefined {
  const c = tc.container;
  if (!c.running || c.state === 'restarting') return undefined;
  const lines = tc.bindings.map((b) => `binding: ${bindingText(b)}`);
  if (tc.bindings.every((b) => isLoopbackHostIp(b.hostIp)) && obs.client.remote) {
    return finding(obs, tc, c, 'loopback-only', 'confirmed', {
      innerPort: tc.bindings[0]!.containerPort,
      evidence: [...lines, `the client connects to ${obs.tcp?.address ?? obs.target.host}, not to the Docker host's loopback: Docker accepts on 127.0.0.1 only, so Redis's own bind setting never sees the connection`],
    });
  }
  if (tc.bindings.some((b) => b.containerPort === tc.innerPort)) return undefined;
  const explicit = /(?:^|\s)--port[\s=]/.test(c.command) || (c.exposed ?? []).some((p) => p.containerPort === tc.innerPort);
  return finding(obs, tc, c, 'wrong-container-port', explicit ? 'confirmed' : 'likely', {
    innerPort: tc.innerPort,
    boundPort: tc.bindings[0]!.containerPort,
    evidence: [...lines, `Redis listens on ${tc.innerPort} inside the container (${/(?:^|\s)--port[\s=]/.test(c.command) ? 'its command line has --port' : (c.exposed ?? []).length ? `the image exposes ${(c.exposed ?? []).map((p) => `${p.containerPort}/${p.protocol}`).join(', ')}` : 'Redis\'s default'}): nothing answers on ${tc.bindings[0]!.containerPort} there`],
  });
}

/** Nothing names the port: a Redis container that publishes nothing, or another host port. */
function unbound(obs: Observations, tc: TargetContainer): FindingDraft | undefined {
  if (obs.tcp?.ok !== false) return undefined;
  const remote = remoteOf(obs);
  if (remote && listenersOnPort(remote, obs.target.port).length > 0) return undefined;
  const candidates = tc.how === 'named' ? [tc.container] : tc.view.containers.filter((c) => c.redis && c.running && c.networkMode !== 'host' && c.state !== 'restarting');
  const running = candidates.filter((c) => c.running && c.networkMode !== 'host' && c.state !== 'restarting');
  if (running.length === 0) return undefined;
  const confidence: Confidence = tc.how === 'named' ? 'confirmed' : running.length === 1 ? 'likely' : 'possible';
  const others = (c: DockerContainer) => running.filter((o) => o !== c).slice(0, 2).map((o) => describe(o, tc.view.where));
  const nobody = remote ? [`nothing listens on port ${obs.target.port} in ${hostName(remote)}'s own network namespace (ss -ltnp)`] : [`no container's binding names host port ${obs.target.port}`];
  const hidden = running.filter((c) => !bindingsOf(c).some((b) => b.protocol === 'tcp'));
  if (hidden.length > 0) {
    const c = hidden[0]!;
    return finding(obs, tc, c, 'not-published', confidence, { innerPort: innerRedisPort(c), evidence: [...others(c), ...nobody] });
  }
  const c = running[0]!;
  const inner = innerRedisPort(c);
  const elsewhere = bindingsOf(c).find((b) => b.protocol === 'tcp' && b.containerPort === inner) ?? bindingsOf(c).find((b) => b.protocol === 'tcp');
  if (!elsewhere) return undefined;
  return finding(obs, tc, c, 'other-host-port', confidence, { innerPort: elsewhere.containerPort, hostPort: elsewhere.hostPort!, evidence: [...others(c), ...nobody] });
}

export const rule = defineRule({
  cause: 'container-port-not-published',
  impact: 'unusable',
  supersedes: ['connection-refused', 'connection-timeout', 'server-not-running', 'bind-loopback-only', 'wrong-port'],
  evaluate(obs) {
    if (redisAnswered(obs)) return undefined;
    const tc = targetContainer(obs);
    if (!tc) return undefined;
    return tc.bindings.length > 0 ? bound(obs, tc) : unbound(obs, tc);
  },
});

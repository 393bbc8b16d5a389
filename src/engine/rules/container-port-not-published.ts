/**
 * Redis runs in a container whose port is not published on the host: `docker
 * ps` shows the container with "6379/tcp" and no "host:port->" mapping, no
 * process listens on the target port in the host's network namespace, and the
 * connection failed. A container on the host network (`docker inspect`:
 * NetworkMode host) needs no mapping and does not count.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { isSafeContainerName } from '../shared/shell-words.js';
import type { DockerContainer } from '../remote/types.js';
import { hostName, listenersOnPort, remoteOf } from './helpers/host.js';
import { targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

function unpublished(c: DockerContainer): boolean {
  if (!c.running || !c.redis || c.networkMode === 'host') return false;
  return !c.ports.some((p) => p.protocol === 'tcp' && p.hostPort !== undefined);
}

export const rule = defineRule({
  cause: 'container-port-not-published',
  impact: 'unusable',
  supersedes: ['connection-refused', 'connection-timeout', 'server-not-running'],
  evaluate(obs) {
    const remote = remoteOf(obs);
    const containers = remote?.docker?.containers ?? [];
    if (!remote || obs.tcp?.ok !== false || listenersOnPort(remote, obs.target.port).length > 0) return undefined;
    const hidden = containers.filter(unpublished);
    const c = hidden[0];
    if (!c) return undefined;
    const host = hostName(remote);
    const exposed = c.ports.find((p) => p.protocol === 'tcp')?.containerPort ?? 6379;
    const evidence = [
      `TCP connect to ${targetLabel(obs)}: ${obs.tcp.code ?? 'failed'}`,
      ...hidden.slice(0, 3).map((h) => `docker ps on ${host}: ${h.name} (${h.image}) ${h.status}, PORTS "${h.portsText || '(none)'}" — no host port published${h.networkMode ? `, network ${h.networkMode}` : ''}`),
      `nothing listens on port ${obs.target.port} in ${host}'s own network namespace (ss -ltnp)`,
    ];
    // Docker refuses such a name: a name outside its grammar means the host's output was forged (issue #16).
    const named = isSafeContainerName(c.name);
    if (!named) evidence.push(`the container name above is not one Docker accepts ([a-zA-Z0-9][a-zA-Z0-9_.-]+): the host's output may have been tampered with; it is quoted, not repeated in any command`);
    return {
      severity: 'critical',
      confidence: named ? 'confirmed' : 'possible',
      title: `Redis runs in container ${c.name} on ${host}, but its port ${exposed} is not published on host port ${obs.target.port}`,
      evidence,
      remediations: [REMEDIATIONS['publish-container-port'](fixTarget(obs), { container: c.name, image: c.image, containerPort: exposed })],
      details: { container: c.name, image: c.image, containerPort: exposed },
    };
  },
});

/** Containers as the Engine API reads them (docker/engine-api.ts), for the container rules' tests. */
import type { DockerContainer } from '../../../src/engine/remote/types.js';
import type { Observations } from '../../../src/engine/model/types.js';

/** A container as the Engine API reads it (docker/engine-api.ts). */
export function engineContainer(extra: Partial<DockerContainer> = {}): DockerContainer {
  return {
    id: 'a'.repeat(64),
    name: 'cache',
    image: 'redis:7.2',
    command: 'redis-server',
    status: 'Up 5 minutes',
    running: true,
    state: 'running',
    redis: true,
    ports: [],
    portsText: '',
    exposed: [{ containerPort: 6379, protocol: 'tcp' }],
    ...extra,
  };
}

export function withEngine(obs: Observations, list: DockerContainer[], container?: string): Observations {
  obs.docker = { source: 'engine-api', endpoint: 'unix:///var/run/docker.sock', why: '--docker-host', ok: true, containers: list, durationMs: 3, ...(container ? { container } : {}) };
  return obs;
}


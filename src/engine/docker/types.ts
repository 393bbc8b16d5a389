/** Docker's state as evidence (issue #19): what one Docker Engine said, and where it came from. */
import type { DockerContainer } from '../remote/types.js';
import type { DockerEvents } from './events.js';

export interface DockerObservation {
  /** engine-api: read from the Engine API socket here; ssh: from `docker ps` / `docker inspect` over the target's SSH session. */
  source: 'engine-api' | 'ssh';
  /** `unix:///var/run/docker.sock`, `ssh://deploy@cache-1` — where the evidence came from. */
  endpoint: string;
  /** Why this endpoint: `--docker-host`, `DOCKER_HOST`, the target's docker.host, the SSH host's own Docker … */
  why: string;
  /** The engine answered (a failed read leaves the containers empty and says why). */
  ok: boolean;
  error?: string;
  version?: string;
  containers: DockerContainer[];
  /** The target's container events since the last good probe (GET /events, or docker events over SSH: docker/events.ts). */
  events?: DockerEvents;
  /** The target's docker.container: the container that should serve it. */
  container?: string;
  durationMs: number;
}

/** What the caller knows about the target's Docker (CLI --docker-host, config `docker:`, DOCKER_HOST). */
export interface DockerTargetOptions {
  /** unix:///path or ssh://[user@]host[:port]; absent: the default (see docker/endpoint.ts). */
  host?: string;
  /** Where `host` came from, for evidence (`--docker-host`, `docker.host of cache-prod`). */
  hostFrom?: string;
  container?: string;
  /** DOCKER_HOST as the caller's environment has it (the engine reads no environment itself). */
  envDockerHost?: string;
}

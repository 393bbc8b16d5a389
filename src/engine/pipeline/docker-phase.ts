/**
 * The Docker phase in a diagnosis (issue #19): started next to the network probes, its
 * result merged after them. The Engine API read lives in docker/ (loaded on demand, so a
 * run that never reads Docker never loads it); Docker over SSH comes from the SSH
 * checks' docker ps / docker inspect and is turned into the same DockerObservation here.
 */
import type { Check, Observations } from '../model/types.js';
import type { DiagnoseOptions } from '../model/options.js';
import type { DockerObservation } from '../docker/types.js';
import type { DockerPhaseResult } from '../docker/index.js';
import { now, since } from '../shared/clock.js';
import { targetContainer } from '../rules/helpers/containers.js';
import { containerEventsLine } from '../rules/helpers/container-events.js';

export async function startDockerPhase(obs: Observations, options: DiagnoseOptions, timeoutMs: number, signal: AbortSignal): Promise<DockerPhaseResult | undefined> {
  const d = options.docker;
  if (d?.enabled === false) return undefined;
  const start = now();
  try {
    const docker = await import('../docker/index.js');
    return await docker.runDockerPhase({ target: obs.target, ...(d ? { docker: d } : {}), ...(options.ssh ? { ssh: options.ssh } : {}), ...(options.history?.lastAnsweredAt ? { lastAnsweredAt: options.history.lastAnsweredAt } : {}), timeoutMs, signal });
  } catch (err) {
    // A bug here, not a fact about Docker: only the error's class is said.
    return { endpoint: { kind: 'none', why: 'internal error' }, observation: { source: 'engine-api', endpoint: d?.host ?? 'docker', why: 'internal error', ok: false, error: `the Docker read failed internally (${err instanceof Error ? err.name : 'error'})`, containers: [], durationMs: since(start) } };
  }
}

function containerLine(obs: DockerObservation): string {
  const redis = obs.containers.filter((c) => c.redis);
  const notRunning = redis.filter((c) => !c.running);
  return `${obs.containers.length} container${obs.containers.length === 1 ? '' : 's'}, ${redis.length} Redis${notRunning.length ? ` (${notRunning.length} not running)` : ''}`;
}

/** `; events of cache (since the last good probe at 03:10:00Z): 03:12:04Z die (exit 137), …` — the target container's timeline. */
function eventsDetail(obs: Observations): string {
  const read = obs.docker?.events;
  if (!read) return '';
  const tc = targetContainer(obs);
  if (!tc || !read.ids.includes(tc.container.id)) return '';
  const line = containerEventsLine(obs, tc.container);
  return line ? `; container ${tc.container.name}: ${line}` : '';
}

/** The docker check and obs.docker, once the probes (and the SSH checks) are done. */
export function finishDockerPhase(result: DockerPhaseResult | undefined, obs: Observations, options: DiagnoseOptions): Check[] {
  if (!result) return [];
  const { endpoint } = result;
  if (endpoint.kind === 'none') return [];
  if (endpoint.kind === 'unsupported') return [{ id: 'docker', status: 'skip', durationMs: 0, detail: `${endpoint.uri} not read: ${endpoint.why}` }];
  if (endpoint.kind === 'ssh') {
    const remote = obs.remote;
    const ps = remote?.commands.find((c) => c.id === 'docker-ps');
    if (!remote?.session.ok || !ps) return [];
    obs.docker = {
      source: 'ssh',
      endpoint: endpoint.uri,
      why: endpoint.why,
      ok: ps.status === 'ok',
      ...(ps.status !== 'ok' ? { error: `docker ps on the SSH host: ${ps.status}` } : {}),
      containers: remote.docker?.containers ?? [],
      ...(remote.docker?.events ? { events: remote.docker.events } : {}),
      ...(options.docker?.container ? { container: options.docker.container } : {}),
      durationMs: 0,
    };
    return [];
  }
  const o = result.observation;
  if (!o) return [];
  obs.docker = o;
  const unhealthy = o.containers.filter((c) => c.redis && c.health === 'unhealthy');
  const detail = o.ok
    ? `${o.endpoint} (${o.why}): Docker ${o.version ?? '?'}, ${containerLine(o)}${unhealthy.length ? `; HEALTHCHECK unhealthy: ${unhealthy.slice(0, 3).map((c) => `${c.name}${c.healthOutput ? ` ("${c.healthOutput.slice(0, 160)}")` : ''}`).join(', ')}` : ''}${eventsDetail(obs)}`
    : `${o.endpoint} (${o.why}): ${o.error ?? 'failed'}`;
  return [{ id: 'docker', status: !o.ok || unhealthy.length ? 'warn' : 'pass', durationMs: Math.round(o.durationMs), detail }];
}

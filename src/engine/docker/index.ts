/**
 * Docker's state as evidence (issue #19): reads one Docker Engine, never decides. The
 * phase runs next to the network probes with a bound of its own (dockerBoundMs), and
 * whatever happens there (a socket that hangs, answers garbage or a gigabyte) the
 * diagnosis gets a DockerObservation that says where it looked and what went wrong.
 * Docker over SSH is the SSH catalogue's (docker ps / docker inspect in the read-only
 * script); this module reads unix:// Engine API sockets.
 */
import { lookup } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { isLoopbackAddress } from '../shared/address.js';
import { isLocalNonLoopback } from '../probes/loopback.js';
import type { SshTargetOptions } from '../model/options.js';
import { now, since } from '../shared/clock.js';
import { DEFAULT_SOCKET, resolveDockerEndpoint, type DockerEndpoint } from './endpoint.js';
import type { DockerObservation, DockerTargetOptions } from './types.js';
import { eventsWindow } from './events.js';

export type { DockerObservation, DockerTargetOptions } from './types.js';
export { resolveDockerEndpoint, type DockerEndpoint } from './endpoint.js';

/** The Docker phase's bound: the larger of 3 s and 2 × the step timeout, at most 30 s. */
export function dockerBoundMs(timeoutMs: number): number {
  return Math.min(30_000, Math.max(3000, 2 * timeoutMs));
}

/** Whether `host` (a name or an address) is an address of this machine; a name is looked up, bounded. */
export async function isAddressOfThisMachine(host: string, timeoutMs: number): Promise<boolean> {
  const h = host.replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || isLoopbackAddress(h) || isLocalNonLoopback(h)) return true;
  let timer: NodeJS.Timeout | undefined;
  try {
    const addresses = await Promise.race([
      lookup(h, { all: true }),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs))),
    ]);
    return addresses.length > 0 && addresses.every((a) => isLoopbackAddress(a.address) || isLocalNonLoopback(a.address));
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export interface DockerPhaseInput {
  target: { host: string; port: number };
  docker?: DockerTargetOptions;
  ssh?: SshTargetOptions;
  timeoutMs: number;
  signal: AbortSignal;
  /** The monitor's last good probe (history.lastAnsweredAt): the events are read since then (else the last 15 min). */
  lastAnsweredAt?: string;
}

export interface DockerPhaseResult {
  endpoint: DockerEndpoint;
  /** Read here (unix://); for an ssh endpoint the observation is made from the SSH checks later. */
  observation?: DockerObservation;
}

export async function runDockerPhase(input: DockerPhaseInput): Promise<DockerPhaseResult> {
  const start = now();
  const bound = dockerBoundMs(input.timeoutMs);
  const d = input.docker ?? {};
  const targetIsLocal = !d.host && !input.ssh ? await isAddressOfThisMachine(input.target.host, Math.min(bound / 3, input.timeoutMs)) : false;
  const endpoint = resolveDockerEndpoint({ ...(d.host ? { host: d.host } : {}), ...(d.hostFrom ? { hostFrom: d.hostFrom } : {}), ...(d.envDockerHost ? { envDockerHost: d.envDockerHost } : {}), ...(input.ssh ? { ssh: input.ssh } : {}), targetIsLocal });
  if (endpoint.kind !== 'unix') return { endpoint };
  // The default socket that is not there: no Docker on this machine, nothing to say.
  if (endpoint.socket === DEFAULT_SOCKET && !d.host && !d.envDockerHost && !existsSync(DEFAULT_SOCKET)) return { endpoint: { kind: 'none', why: `no Docker socket at ${DEFAULT_SOCKET}` } };
  // Loaded only now: the Engine API client stays out of runs that read no socket.
  const { DockerApiError, engineClient, readEngine } = await import('./engine-api.js');
  const base = { source: 'engine-api' as const, endpoint: endpoint.uri, why: endpoint.why, ...(d.container ? { container: d.container } : {}) };
  const controller = new AbortController();
  const onAbort = () => controller.abort(input.signal.reason);
  input.signal.addEventListener('abort', onAbort, { once: true });
  const remaining = Math.max(1, bound - since(start));
  const timer = setTimeout(() => controller.abort(new Error('deadline')), remaining);
  try {
    const client = engineClient(endpoint.socket, controller.signal, remaining);
    const events = { ...eventsWindow(input.lastAnsweredAt, Date.now()), timeoutMs: Math.min(3000, Math.max(500, bound / 3)), deadline: start + bound };
    const read = await readEngine(client, { port: input.target.port, ...(d.container ? { container: d.container } : {}), events });
    return { endpoint, observation: { ...base, ok: true, containers: read.containers, ...(read.version ? { version: read.version } : {}), ...(read.events ? { events: read.events } : {}), durationMs: since(start) } };
  } catch (err) {
    const message = err instanceof DockerApiError ? err.message : controller.signal.aborted ? 'the Docker phase ran out of time' : `reading the Docker Engine failed (${err instanceof Error ? err.name : 'error'})`;
    const timedOut = controller.signal.aborted && !(err instanceof DockerApiError && err.kind !== 'timeout');
    return { endpoint, observation: { ...base, ok: false, error: timedOut ? `no complete answer within ${Math.round(bound)} ms (${message})` : message, containers: [], durationMs: since(start) } };
  } finally {
    clearTimeout(timer);
    input.signal.removeEventListener('abort', onAbort);
  }
}

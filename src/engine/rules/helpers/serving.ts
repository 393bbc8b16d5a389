/**
 * The redis-server process behind the target port on the SSH host, by pid:
 * the pids `ss -ltnp` shows listening on the port (a redis-server). Host-wide
 * facts (THP, swap, TIME_WAIT) count for this server only through such a tie;
 * otherwise they are an info note.
 */
import type { Observations } from '../../model/types.js';
import type { RemoteObservation, SystemdUnit } from '../../remote/types.js';
import { isRedisListener, listenersOnPort, remoteOf } from './host.js';

export function servingPids(obs: Observations): number[] {
  const remote = remoteOf(obs);
  if (!remote) return [];
  return [...new Set(listenersOnPort(remote, obs.target.port).filter((l) => isRedisListener(l, remote) && l.pid !== undefined).map((l) => l.pid!))];
}

/** The Redis server listens on the target port on the SSH host (with or without a pid from ss). */
export function servesHere(obs: Observations): RemoteObservation | undefined {
  const remote = remoteOf(obs);
  if (!remote) return undefined;
  return listenersOnPort(remote, obs.target.port).some((l) => isRedisListener(l, remote)) ? remote : undefined;
}

/** The systemd unit whose main process serves the port (MainPID among the serving pids). */
export function servingUnit(obs: Observations): SystemdUnit | undefined {
  const pids = servingPids(obs);
  return remoteOf(obs)?.systemd?.units.find((u) => u.mainPid !== undefined && pids.includes(u.mainPid));
}

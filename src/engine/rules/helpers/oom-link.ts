/**
 * Which kernel OOM kills belong to the server behind the target port (issue #17:
 * "a cause is borrowed only with a link"). The kernel log is host-wide: a
 * redis-server killed in another container an hour ago says nothing about this
 * one. A kill counts only when one of these ties it to this server:
 *
 *  - pid: the killed pid was this port's server: the ExecMainPID of the systemd
 *    unit that serves (or is configured for) the port — systemd keeps it after the
 *    process died — or the pid in the port's pid file (a SIGKILLed Redis leaves it);
 *  - cgroup: the kill's `task_memcg=` is the memory cgroup of the process serving
 *    the port now (/proc/<pid>/cgroup: restarted in the same unit or container),
 *    the ControlGroup of that systemd unit, or names the container publishing it;
 *  - container: `docker inspect` says State.OOMKilled for that container;
 *  - time: the monitor's history puts the kill between this target's last answer
 *    and its first failed probe.
 *
 * Each link is an evidence line that says how it ties ("killed pid 4242 served :6379").
 * Everything else is unlinked: at most a note (pid, cgroup, time), never a cause.
 */
import type { DockerContainer, OomKill, RemoteObservation, SystemdUnit } from '../../remote/types.js';
import type { Observations } from '../../model/types.js';
import { confsForPort, listenersOnPort, remoteOf } from './host.js';
import { bindingsForPort, dockerOf, targetContainer } from './containers.js';
import { clock, containerEvents, eventsWindowText } from './container-events.js';

export interface OomLink {
  /** The kernel's kill; absent when only the container's State.OOMKilled says so. */
  kill?: OomKill;
  /** How it is tied to this server, one line each. */
  links: string[];
  /** Only the monitor's time window ties it (no pid or cgroup): one explanation among others. */
  timeOnly: boolean;
}

export interface OomLinks {
  linked: OomLink[];
  unlinked: OomKill[];
}

/** Units that serve the port now (MainPID listens on it) or are configured for it (their redis.conf's port). */
function unitsOfPort(remote: RemoteObservation, port: number, pids: Set<number>): SystemdUnit[] {
  const confs = new Set(confsForPort(remote, port).map((f) => f.path));
  return (remote.systemd?.units ?? []).filter((u) => (u.mainPid !== undefined && pids.has(u.mainPid)) || (u.configPath !== undefined && confs.has(u.configPath)));
}

/** Containers that publish the port on this host (live or HostConfig bindings), or the target's docker.container (issue #19). */
function containersOfPort(obs: Observations, port: number): DockerContainer[] {
  const view = dockerOf(obs);
  if (!view) return [];
  const named = targetContainer(obs);
  return view.containers.filter((c) => bindingsForPort(c, port).length > 0 || (named?.how === 'named' && named.container === c));
}

function pidLinks(kill: OomKill, remote: RemoteObservation, port: number, units: SystemdUnit[]): string[] {
  if (kill.pid === undefined) return [];
  const out: string[] = [];
  for (const u of units) if (u.execMainPid === kill.pid) out.push(`killed pid ${kill.pid} was the main process of ${u.id} (ExecMainPID), the unit of port ${port}`);
  const confs = new Set(confsForPort(remote, port).map((f) => f.path));
  for (const f of remote.pidFiles ?? []) {
    if (f.pid !== kill.pid) continue;
    if (f.configPath !== undefined && confs.has(f.configPath)) out.push(`killed pid ${kill.pid} served :${port}: it is in ${f.path}, the pidfile of ${f.configPath}`);
    else if (f.configPath === undefined && f.port === port) out.push(`killed pid ${kill.pid} served :${port}: it is in ${f.path}`);
  }
  return out;
}

function cgroupLinks(kill: OomKill, obs: Observations, remote: RemoteObservation, port: number, pids: Set<number>, units: SystemdUnit[]): string[] {
  const memcg = kill.memcg;
  if (!memcg || memcg === '/') return [];
  const out: string[] = [];
  for (const c of remote.cgroups ?? []) {
    if (pids.has(c.pid) && c.memcg === memcg) out.push(`task_memcg ${memcg} is the cgroup of redis-server pid ${c.pid}, which serves :${port} now`);
  }
  for (const u of units) if (u.controlGroup === memcg) out.push(`task_memcg matches ${u.id} (ControlGroup ${memcg}), the unit of port ${port}`);
  for (const c of containersOfPort(obs, port)) {
    // cgroupfs driver: /docker/<id>; systemd driver: /system.slice/docker-<id>.scope.
    if (c.id.length === 64 && memcg.includes(c.id)) out.push(`task_memcg ${memcg} is container ${c.name}'s, which publishes :${port}`);
  }
  return out;
}

function timeLink(kill: OomKill, obs: Observations): string | undefined {
  const { lastAnsweredAt, firstFailedAt } = obs.history ?? {};
  if (!kill.at || !lastAnsweredAt || !firstFailedAt) return undefined;
  const t = Date.parse(kill.at);
  if (!(t >= Date.parse(lastAnsweredAt) && t <= Date.parse(firstFailedAt))) return undefined;
  return `killed at ${kill.at}, between this target's last answer (${lastAnsweredAt}) and its first failed probe (${firstFailedAt})`;
}

export function linkOomKills(obs: Observations): OomLinks {
  const remote = remoteOf(obs);
  const out: OomLinks = { linked: [], unlinked: [] };
  const port = obs.target.port;
  if (!remote) {
    // The Engine API alone: the container's own State.OOMKilled, or an oom event of it since the last good probe, is the link.
    for (const c of containersOfPort(obs, port)) {
      const links = [...(c.oomKilled ? [`${dockerOf(obs)!.where}: container ${c.name}, which publishes :${port}, has State.OOMKilled true`] : []), ...oomEventLinks(obs, c, port)];
      if (links.length) out.linked.push({ links, timeOnly: false });
    }
    return out;
  }
  const pids = new Set(listenersOnPort(remote, port).map((l) => l.pid).filter((p) => p !== undefined));
  const units = unitsOfPort(remote, port, pids);
  for (const kill of remote.oom?.kills ?? []) {
    const links = [...pidLinks(kill, remote, port, units), ...cgroupLinks(kill, obs, remote, port, pids, units)];
    const time = timeLink(kill, obs);
    if (links.length) out.linked.push({ kill, links: time ? [...links, time] : links, timeOnly: false });
    else if (time) out.linked.push({ kill, links: [time], timeOnly: true });
    else out.unlinked.push(kill);
  }
  const seenBy = (c: DockerContainer) => out.linked.some((l) => l.kill?.memcg?.includes(c.id));
  for (const c of containersOfPort(obs, port)) {
    if (seenBy(c)) continue;
    const links = [...(c.oomKilled ? [`docker inspect: container ${c.name}, which publishes :${port}, has State.OOMKilled true`] : []), ...oomEventLinks(obs, c, port)];
    if (links.length) out.linked.push({ links, timeOnly: false });
  }
  return out;
}

/**
 * Docker's own oom events of the container (by its id) since the last good probe: the kernel
 * killed a process in its memory cgroup. State.OOMKilled says it happened some time in the
 * container's life; the event says when — between the last good probe and now.
 */
function oomEventLinks(obs: Observations, c: DockerContainer, port: number): string[] {
  const ce = containerEvents(obs, c);
  if (!ce || ce.ooms.length === 0) return [];
  const last = ce.ooms[ce.ooms.length - 1]!;
  const died = ce.deaths.filter((d) => d.oom);
  const d = died[died.length - 1];
  return [`Docker events ${eventsWindowText(ce)}: ${ce.ooms.length === 1 ? 'an oom event' : `${ce.ooms.length} oom events`} of container ${c.name}, which publishes :${port}, last at ${clock(last.at, ce.nowMs)}${d ? `; it died at ${clock(d.at, ce.nowMs)}${d.exitCode !== undefined ? ` (exit ${d.exitCode})` : ''}` : ''}${ce.restarts ? `, restarted ${ce.restarts} time${ce.restarts === 1 ? '' : 's'}` : ''}`];
}

/** The unlinked kills as a note: pid, cgroup, time — what an operator needs to look for them elsewhere. */
export function unlinkedOomNote(obs: Observations): string | undefined {
  const { unlinked } = linkOomKills(obs);
  if (unlinked.length === 0) return undefined;
  const shown = unlinked.slice(-3).map((k) => `pid ${k.pid ?? '?'}${k.memcg ? ` in ${k.memcg}` : ''}${k.at ? ` at ${k.at}` : ''}`);
  return `${unlinked.length} OOM kill${unlinked.length === 1 ? '' : 's'} of a redis-server not linked to port ${obs.target.port} (${shown.join('; ')}): not this server's, not a cause`;
}

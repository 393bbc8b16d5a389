/**
 * The Redis log of the server behind the target port, as the SSH `redis-log`
 * section read it (issue #18). A host may run several instances, each with its
 * own log; a log counts for this server only through a tie:
 *  - the `logfile` of the redis.conf of the redis-server serving the port (the
 *    file on its command line or its systemd unit's; without a pid from ss,
 *    the config whose `port` is the target port), includes applied;
 *  - `logfile ""` (the default, stdout), or no config known: the journal of
 *    the systemd unit whose MainPID serves the port.
 * Any other log read on the host is another instance's: never taken.
 */
import type { Observations } from '../../model/types.js';
import type { RemoteObservation, ServerLog } from '../../remote/types.js';
import { confsForPort, remoteOf } from './host.js';
import { servingPids, servingUnit } from './serving.js';

export interface TiedLog {
  remote: RemoteObservation;
  /** Absent when the tied log was not read at all (a relative path, the bound on files read). */
  log?: ServerLog;
  /** `/var/log/redis/redis.log` or `the journal of redis-server.service`. */
  name: string;
  /** Why it is this server's log, for evidence. */
  tie: string;
}

export function tiedServerLog(obs: Observations): TiedLog | undefined {
  const remote = remoteOf(obs);
  if (!remote?.serverLogs) return undefined;
  const port = obs.target.port;
  const pids = servingPids(obs);
  const confs = pids.length ? pids.flatMap((pid) => confsForPort(remote, port, pid).map((c) => ({ c, pid }))) : confsForPort(remote, port).map((c) => ({ c, pid: undefined }));
  const unit = servingUnit(obs);
  const journal = unit && remote.serverLogs.find((l) => l.source === 'journal' && l.path === unit.id);
  const whose = (pid: number | undefined, conf: string) => (pid !== undefined ? `${conf}, the config of redis-server pid ${pid} listening on :${port}` : `${conf}, the config for :${port}`);
  const named = confs.find((x) => x.c.logfile);
  if (named) {
    const path = named.c.logfile!;
    const log = remote.serverLogs.find((l) => l.source === 'file' && l.path === path);
    return { remote, ...(log ? { log } : {}), name: path, tie: `the logfile of ${whose(named.pid, named.c.path)}` };
  }
  if (journal) {
    const stdout = confs[0] ? `${confs[0].c.path} logs to stdout (logfile "")` : 'no config names a logfile';
    return { remote, log: journal, name: `the journal of ${unit.id}`, tie: `${unit.id}'s MainPID ${unit.mainPid} listens on :${port}; ${stdout}` };
  }
  return undefined;
}

/** "read 256 kB (07 Dec 2026 01:02:03.004 – 07 Dec 2026 04:00:00.000, host time)" */
export function logSpan(log: ServerLog): string {
  const span = log.firstAt && log.lastAt ? ` (${log.firstAt} – ${log.lastAt}, host time)` : '';
  return `${log.partial ? 'its last ' : 'all '}${Math.max(1, Math.round(log.bytesRead / 1024))} kB${span}`;
}

/** Why a tied log gave nothing: missing (rotated away, never written), unreadable, not a file, not read. */
export function logUnread(t: TiedLog): string | undefined {
  if (!t.log) return `${t.name} (${t.tie}) was not read (only absolute paths are read, at most 4 logs)`;
  if (t.log.status === 'missing') return `${t.name} (${t.tie}) does not exist: rotated away or never written`;
  if (t.log.status === 'denied') return `${t.name} (${t.tie}) could not be read by the SSH account (sudo: true, or a group that may read it)`;
  if (t.log.status === 'not-a-file') return `${t.name} (${t.tie}) is not a regular file`;
  return undefined;
}

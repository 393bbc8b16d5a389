/**
 * The kernel OOM killer ended this port's redis-server: its log (dmesg, or
 * journalctl -k) has "Out of memory: Killed process <pid> (redis-server)" or the
 * "oom-kill:…,task_memcg=…,task=redis-server,pid=<pid>" summary (mm/oom_kill.c),
 * or `docker inspect` says State.OOMKilled for the container publishing the port.
 * The kernel log is host-wide: a kill counts only when it is linked to this
 * server (its pid, its unit's or container's cgroup, the monitor's outage
 * window: helpers/oom-link.ts); an unlinked kill is a note on the ssh-kernel-oom
 * check, never this finding (INTERFACES.md section 3).
 * Critical when nothing serves the port now — the kill explains the outage;
 * a warning when Redis runs again (it was restarted, and may be killed again).
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { hostName, listenersOnPort, mib, remoteOf } from './helpers/host.js';
import { linkOomKills } from './helpers/oom-link.js';
import { defineRule } from './helpers/define.js';

export const rule = defineRule({
  cause: 'oom-killed',
  impact: 'degrading',
  evaluate(obs) {
    const remote = remoteOf(obs);
    if (!remote) return undefined;
    const { linked } = linkOomKills(obs);
    if (linked.length === 0) return undefined;
    const down = obs.tcp?.ok === false && listenersOnPort(remote, obs.target.port).length === 0;
    const host = hostName(remote);
    const last = linked[linked.length - 1]!;
    const evidence = linked.slice(-3).flatMap((l) => [...(l.kill ? [`${remote.oom!.source} on ${host}: ${l.kill.line}`] : []), ...l.links]);
    const mem = remote.memory;
    if (mem) {
      evidence.push(`free -b on ${host}: total ${mib(mem.totalBytes)}, available ${mib(mem.availableBytes ?? mem.freeBytes)}, swap ${mib(mem.swapTotalBytes)} (${mem.line})`);
    }
    const t = fixTarget(obs);
    const remediations = [REMEDIATIONS['prevent-oom-kill'](t, mem ? { totalBytes: mem.totalBytes } : {})];
    if (down) remediations.push(REMEDIATIONS['start-redis'](t));
    const pid = last.kill?.pid;
    const which = `redis-server on ${host}${pid !== undefined ? ` (pid ${pid})` : ''}`;
    return {
      severity: down ? 'critical' : 'warning',
      // A pid, cgroup or OOMKilled flag names this server; a time window alone leaves other kills open.
      confidence: linked.some((l) => !l.timeOnly) ? 'confirmed' : 'likely',
      title: down
        ? `The kernel OOM killer ended the ${which} that served port ${obs.target.port}; nothing serves it now`
        : `The kernel OOM killer ended the ${which} of port ${obs.target.port} before; it can happen again`,
      evidence,
      remediations,
      details: { kills: linked.length, ...(pid !== undefined ? { pid } : {}), running: !down },
    };
  },
});

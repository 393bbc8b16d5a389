/**
 * The kernel OOM killer ended this port's redis-server: its log (dmesg, or
 * journalctl -k) has "Out of memory: Killed process <pid> (redis-server)" or the
 * "oom-kill:…,task_memcg=…,task=redis-server,pid=<pid>" summary (mm/oom_kill.c),
 * or `docker inspect` says State.OOMKilled for the container publishing the port, or
 * Docker's events since the last good probe have an `oom` of that container.
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
import { redisAnswered, targetContainer } from './helpers/containers.js';
import { defineRule } from './helpers/define.js';
import { containerEvents } from './helpers/container-events.js';

export const rule = defineRule({
  cause: 'oom-killed',
  impact: 'degrading',
  evaluate(obs) {
    const remote = remoteOf(obs);
    const { linked } = linkOomKills(obs);
    if (linked.length === 0) return undefined;
    // Without SSH (the Engine API alone), "down" is what the probes saw.
    const down = remote ? obs.tcp?.ok === false && listenersOnPort(remote, obs.target.port).length === 0 : !redisAnswered(obs);
    const host = remote ? hostName(remote) : obs.target.host;
    const last = linked[linked.length - 1]!;
    const evidence = linked.slice(-3).flatMap((l) => [...(l.kill && remote ? [`${remote.oom!.source} on ${host}: ${l.kill.line}`] : []), ...l.links]);
    const mem = remote?.memory;
    if (mem) {
      evidence.push(`free -b on ${host}: total ${mib(mem.totalBytes)}, available ${mib(mem.availableBytes ?? mem.freeBytes)}, swap ${mib(mem.swapTotalBytes)} (${mem.line})`);
    }
    const t = fixTarget(obs);
    // The container's own OOMKilled: the fix is its memory limit (--memory / mem_limit) and starting it.
    const tc = targetContainer(obs);
    const oomEvents = tc ? (containerEvents(obs, tc.container)?.ooms.length ?? 0) : 0;
    const container = tc && (tc.container.oomKilled || oomEvents > 0) && tc.how !== 'redis' ? tc.container : undefined;
    if (container) {
      const limit = container.memoryBytes ? `memory limit ${mib(container.memoryBytes)}` : 'no memory limit of its own';
      evidence.push(`container ${container.name}: ${limit}, state ${container.state ?? (container.running ? 'running' : 'not running')}${container.exitCode !== undefined ? `, ExitCode ${container.exitCode}` : ''}`);
    }
    const remediations = container
      ? [REMEDIATIONS['raise-container-memory'](t, { container: container.name, ...(container.memoryBytes !== undefined ? { memoryBytes: container.memoryBytes } : {}) })]
      : [REMEDIATIONS['prevent-oom-kill'](t, mem ? { totalBytes: mem.totalBytes } : {})];
    if (down && container && !container.running) remediations.push(REMEDIATIONS['start-container'](t, { container: container.name, state: container.state ?? 'exited', ...(container.exitCode !== undefined ? { exitCode: container.exitCode } : {}) }));
    else if (down) remediations.push(REMEDIATIONS['start-redis'](t));
    const pid = last.kill?.pid;
    const which = container ? `redis-server in container ${container.name}` : `redis-server on ${host}${pid !== undefined ? ` (pid ${pid})` : ''}`;
    return {
      severity: down ? 'critical' : 'warning',
      // A pid, cgroup or OOMKilled flag names this server; a time window alone leaves other kills open.
      confidence: linked.some((l) => !l.timeOnly) ? 'confirmed' : 'likely',
      title: down
        ? `The kernel OOM killer ended the ${which} that served port ${obs.target.port}; nothing serves it now`
        : `The kernel OOM killer ended the ${which} of port ${obs.target.port} before; it can happen again`,
      evidence,
      remediations,
      details: { kills: linked.length, ...(pid !== undefined ? { pid } : {}), running: !down, ...(container ? { container: container.name } : {}) },
    };
  },
});

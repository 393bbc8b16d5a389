/**
 * The kernel OOM killer ended redis-server: its log (dmesg, or journalctl -k)
 * has "Out of memory: Killed process <pid> (redis-server)" or the
 * "oom-kill:…,task=redis-server,pid=<pid>" summary (mm/oom_kill.c).
 * Critical when nothing serves the port now — the kill explains the outage;
 * a warning when Redis runs again (it was restarted, and may be killed again).
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { hostName, listenersOnPort, mib, remoteOf } from './helpers/host.js';
import { defineRule } from './helpers/define.js';

export const rule = defineRule({
  cause: 'oom-killed',
  impact: 'degrading',
  evaluate(obs) {
    const remote = remoteOf(obs);
    const kills = remote?.oom?.kills ?? [];
    if (!remote || kills.length === 0) return undefined;
    const down = obs.tcp?.ok === false && listenersOnPort(remote, obs.target.port).length === 0;
    const host = hostName(remote);
    const last = kills[kills.length - 1]!;
    const evidence = kills.slice(-3).map((k) => `${remote.oom!.source} on ${host}: ${k.line}`);
    const mem = remote.memory;
    if (mem) {
      evidence.push(`free -b on ${host}: total ${mib(mem.totalBytes)}, available ${mib(mem.availableBytes ?? mem.freeBytes)}, swap ${mib(mem.swapTotalBytes)} (${mem.line})`);
    }
    const t = fixTarget(obs);
    const remediations = [REMEDIATIONS['prevent-oom-kill'](t, mem ? { totalBytes: mem.totalBytes } : {})];
    if (down) remediations.push(REMEDIATIONS['start-redis'](t));
    return {
      severity: down ? 'critical' : 'warning',
      confidence: 'confirmed',
      title: down
        ? `The kernel OOM killer ended redis-server on ${host} (pid ${last.pid ?? '?'}); nothing serves port ${obs.target.port} now`
        : `The kernel OOM killer ended redis-server on ${host} before (pid ${last.pid ?? '?'}); it can happen again`,
      evidence,
      remediations,
      details: { kills: kills.length, ...(last.pid !== undefined ? { pid: last.pid } : {}), running: !down },
    };
  },
});

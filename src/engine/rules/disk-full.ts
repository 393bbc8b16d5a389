/**
 * The Redis data directory's filesystem is full. Redis chdir()s to its `dir`
 * at start, so `df` of the process cwd measures it; when no process serves the
 * port, the `dir` of the redis.conf for that port stands in (a usual default
 * directory nothing ties to the port is no evidence: it may be another
 * instance's). A full disk fails RDB saves ("No space left on device") — Redis
 * then refuses writes with -MISCONF — and AOF writes, and a server that must
 * load or create its AOF at start exits.
 * Critical at 99 % or no space available, a warning from 95 %.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { DiskUsage, RemoteObservation } from '../remote/types.js';
import type { Observations } from '../model/types.js';
import { confsForPort, hostName, listenersOnPort, mib, remoteOf } from './helpers/host.js';
import { defineRule } from './helpers/define.js';

const FULL_PERCENT = 99;
const NEARLY_FULL_PERCENT = 95;

/**
 * The disks that hold the data of the instance behind the target port: the cwd of the pid
 * serving it, or the `dir` of the redis.conf for it. A usual data directory that nothing ties
 * to the port (`default-dir`) may be another instance's: host-wide, not this server's evidence.
 */
export function dataDisks(obs: Observations, remote: RemoteObservation): DiskUsage[] {
  const disks = remote.disks ?? [];
  const pids = new Set(listenersOnPort(remote, obs.target.port).map((l) => l.pid).filter((p) => p !== undefined));
  if (pids.size > 0) return disks.filter((d) => d.origin === 'process-cwd' && d.pid !== undefined && pids.has(d.pid));
  const confs = new Set(confsForPort(remote, obs.target.port).map((c) => c.path));
  return disks.filter((d) => d.origin === 'config-dir' && d.configPath !== undefined && confs.has(d.configPath));
}

function isFull(d: DiskUsage): boolean {
  return d.availableBytes === 0 || d.usePercent >= FULL_PERCENT;
}

export const rule = defineRule({
  cause: 'disk-full',
  impact: 'degrading',
  evaluate(obs) {
    const remote = remoteOf(obs);
    if (!remote) return undefined;
    const disks = dataDisks(obs, remote).filter((d) => isFull(d) || d.usePercent >= NEARLY_FULL_PERCENT);
    const worst = disks.sort((a, b) => b.usePercent - a.usePercent)[0];
    if (!worst) return undefined;
    const full = isFull(worst);
    const host = hostName(remote);
    // The tie to this server: the pid that serves the port, or the config file for it.
    const port = obs.target.port;
    const whose = worst.origin === 'process-cwd' ? `redis-server pid ${worst.pid}, which serves :${port}, works in ${worst.path} (its dir)` : `${worst.configPath}, the config for :${port}, sets dir ${worst.path}`;
    const evidence = [`df -P -k on ${host}: ${worst.line}`, `${whose}; ${mib(worst.availableBytes)} free of ${mib(worst.sizeBytes)} on ${worst.mountedOn}`];
    const bgsave = obs.info?.sections.persistence?.rdb_last_bgsave_status;
    if (bgsave === 'err') evidence.push('INFO persistence: rdb_last_bgsave_status:err');
    return {
      severity: full ? 'critical' : 'warning',
      confidence: full ? 'confirmed' : 'likely',
      title: `The filesystem of the Redis data directory ${worst.path} on ${host} is ${full ? 'full' : `${worst.usePercent}% full`}`,
      evidence,
      remediations: [REMEDIATIONS['free-disk-space'](fixTarget(obs), { path: worst.path, mount: worst.mountedOn })],
      details: { path: worst.path, usePercent: worst.usePercent, availableBytes: worst.availableBytes },
    };
  },
});

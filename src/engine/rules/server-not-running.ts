/**
 * No Redis process serves the port on the host: the SSH checks found nothing
 * listening on the target port and either no redis-server listening anywhere
 * in the host's network namespace, or — on a host with other instances — a
 * redis.conf for this port (its `port` line, or none: 6379) that no running
 * process uses: this port's own instance is down, and the others answering
 * do not make it a wrong port (wrong-port then says `possible`).
 * `ps` processes that listen in another namespace (a container) are named but
 * do not count. The unit state (systemctl) and any OOM kill say why.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { commandOk, confLine, confsForPort, hostName, listenersOnPort, redisListeners, remoteOf } from './helpers/host.js';
import { targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

export const rule = defineRule({
  cause: 'server-not-running',
  impact: 'unusable',
  supersedes: ['connection-refused'],
  evaluate(obs) {
    const remote = remoteOf(obs);
    if (!remote || !commandOk(remote, 'ss') || obs.tcp?.ok !== false) return undefined;
    const port = obs.target.port;
    if (listenersOnPort(remote, port).length > 0) return undefined;
    const others = [...new Set(redisListeners(remote).map((l) => l.port))].sort((a, b) => a - b);
    const configured = others.length > 0 ? confsForPort(remote, port) : [];
    if (others.length > 0 && configured.length === 0) return undefined;
    const host = hostName(remote);
    const evidence = [
      `TCP connect to ${targetLabel(obs)}: ${obs.tcp.code ?? 'failed'}`,
      others.length === 0
        ? `ss -ltnp on ${host}: nothing listens on port ${port}, and no redis-server listens on any port`
        : `ss -ltnp on ${host}: nothing listens on port ${port}; redis-server listens on port${others.length === 1 ? '' : 's'} ${others.join(', ')} (other instances)`,
      ...configured.slice(0, 2).map((f) => `${confLine(f, 'port') ?? `${f.path}: no port line (6379 by default)`} — configured for port ${port}, and no running redis-server uses ${f.path}`),
    ];
    if (commandOk(remote, 'ps')) {
      const live = (remote.processes ?? []).filter((p) => !p.defunct);
      if (live.length === 0) evidence.push(`ps on ${host}: no redis-server process`);
      else {
        const list = live.slice(0, 3).map((p) => `pid ${p.pid} "${p.args}"`).join(', ');
        evidence.push(`ps on ${host}: redis-server process${live.length === 1 ? '' : 'es'} with no listening socket here (another network namespace, e.g. a container): ${list}`);
      }
    }
    for (const u of remote.systemd?.units ?? []) evidence.push(`systemctl on ${host}: ${u.summary}`);
    const units = remote.systemd?.units ?? [];
    const failed = units.find((u) => u.activeState === 'failed');
    return {
      severity: 'critical',
      confidence: 'confirmed',
      title: others.length === 0
        ? `Redis is not running on ${host}: nothing serves port ${port}`
        : `The Redis instance for port ${port} (${configured[0]!.path}) is not running on ${host}; other instances run on ${others.join(', ')}`,
      evidence,
      remediations: [REMEDIATIONS['start-redis'](fixTarget(obs))],
      details: { host, ...(failed ? { unit: failed.id, unitResult: failed.result ?? 'failed' } : {}) },
    };
  },
});

import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { withOomNote } from '../../../src/engine/pipeline/remote-phase.js';
import { parseKernelOom } from '../../../src/engine/remote/parsers/kernel-oom.js';
import type { DockerContainer, RedisConfFile, SystemdUnit } from '../../../src/engine/remote/types.js';
import { linkOomKills, unlinkedOomNote } from '../../../src/engine/rules/helpers/oom-link.js';
import { rule } from '../../../src/engine/rules/oom-killed.js';
import { healthy } from '../fixtures.js';
import { fixture } from '../../remote/fixtures.js';
import { listener, refusedWith, remote } from './remote-fixtures.js';

// pid 1187, task_memcg=/system.slice/redis-server.service, no time (no clock line).
const oom = parseKernelOom(fixture('samples/dmesg-oom.txt'))!;
const memory = { totalBytes: 4294967296, usedBytes: 4200000000, freeBytes: 94967296, availableBytes: 52428800, swapTotalBytes: 0, swapFreeBytes: 0, line: 'Mem: 4294967296 4200000000 94967296 0 0 52428800' };

/** Another container's redis-server, killed an hour before (the kernel 6.18 memcg line, as seen on this VM). */
const otherKill = parseKernelOom([
  '### clock 1765065000 7200.0',
  '### source dmesg',
  '[ 3600.100000] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/docker/aaaa,task_memcg=/docker/aaaa,task=redis-server,pid=4242,uid=999',
  '[ 3600.100010] Memory cgroup out of memory: Killed process 4242 (redis-server) total-vm:42264kB, anon-rss:32384kB, file-rss:6484kB, shmem-rss:0kB, UID:999 pgtables:120kB oom_score_adj:0',
].join('\n'))!;

const unit = (extra: Partial<SystemdUnit>): SystemdUnit => ({ id: 'redis-server.service', summary: 'redis-server.service: failed', configPath: '/etc/redis/redis.conf', ...extra });
const conf = (extra: Partial<RedisConfFile> = {}): RedisConfFile => ({ path: '/etc/redis/redis.conf', source: 'systemd', lines: [], requirepassSet: false, includes: [], port: 6379, ...extra });
const CONTAINER_ID = 'c0ffee'.padEnd(64, '0');
const container = (extra: Partial<DockerContainer> = {}): DockerContainer => ({
  id: CONTAINER_ID, name: 'cache', image: 'redis:7', command: 'redis-server', status: 'Exited (137)', running: false, redis: true,
  ports: [{ containerPort: 6379, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 6379 }], portsText: '', ...extra,
});

describe('oom-killed: a kill counts only when linked to this server', () => {
  it('an unrelated kill (another cgroup, another pid) is no finding: a stopped server is server-not-running, with a note of the kill', () => {
    const obs = refusedWith(remote({ oom: otherKill, memory }));
    expect(rule.evaluate(obs)).toBeUndefined();
    const e = evaluate(obs);
    expect(e.primaryCause).toBe('server-not-running');
    expect(e.findings.map((f) => f.cause)).not.toContain('oom-killed');
    const note = unlinkedOomNote(obs);
    expect(note).toBe('1 OOM kill of a redis-server not linked to port 6379 (pid 4242 in /docker/aaaa at 2025-12-06T22:50:00.100Z): not this server\'s, not a cause');
    const checks = withOomNote([{ id: 'ssh-kernel-oom', status: 'pass', durationMs: 1, detail: 'dmesg: 1 OOM kill of redis-server' }], obs);
    expect(checks[0]?.detail).toBe(`dmesg: 1 OOM kill of redis-server; ${note}`);
  });

  it('an unrelated kill leaves a healthy server healthy', () => {
    const obs = healthy();
    obs.remote = remote({ oom: otherKill, listeners: [listener('0.0.0.0', 6379, 'redis-server', 2000)], cgroups: [{ pid: 2000, memcg: '/system.slice/redis-server.service' }] });
    expect(rule.evaluate(obs)).toBeUndefined();
    expect(evaluate(obs)).toMatchObject({ verdict: 'healthy', primaryCause: null });
  });

  it('pid: the killed pid is the ExecMainPID of the unit configured for the port → critical, confirmed, outranks server-not-running', () => {
    const obs = refusedWith(remote({ oom, memory, systemd: { units: [unit({ execMainPid: 1187, mainPid: 0 })] }, redisConf: [conf()] }));
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'critical', confidence: 'confirmed' });
    expect(f?.title).toBe('The kernel OOM killer ended the redis-server on cache-1 (pid 1187) that served port 6379; nothing serves it now');
    expect(f?.evidence).toEqual([
      `dmesg on cache-1: ${oom.kills[0]!.line}`,
      'killed pid 1187 was the main process of redis-server.service (ExecMainPID), the unit of port 6379',
      `free -b on cache-1: total 4.0 GiB, available 50 MiB, swap 0 MiB (${memory.line})`,
    ]);
    expect(f?.remediations.map((r) => r.id)).toEqual(['prevent-oom-kill', 'start-redis']);
    const e = evaluate(obs);
    expect(e.findings.map((x) => x.cause)).toEqual(['oom-killed', 'server-not-running']);
    expect(e.primaryCause).toBe('oom-killed');
  });

  it('pid: a unit configured for another port, or another pid, does not link', () => {
    expect(rule.evaluate(refusedWith(remote({ oom, systemd: { units: [unit({ execMainPid: 1187 })] }, redisConf: [conf({ port: 6380 })] })))).toBeUndefined();
    expect(rule.evaluate(refusedWith(remote({ oom, systemd: { units: [unit({ execMainPid: 1188 })] }, redisConf: [conf()] })))).toBeUndefined();
  });

  it('pid: the pid left in the port\'s pid file (default location, or the pidfile of the port\'s redis.conf)', () => {
    const byDefault = rule.evaluate(refusedWith(remote({ oom, pidFiles: [{ path: '/var/run/redis_6379.pid', pid: 1187, port: 6379 }] })));
    expect(byDefault?.evidence).toContain('killed pid 1187 served :6379: it is in /var/run/redis_6379.pid');
    const byConf = rule.evaluate(refusedWith(remote({ oom, redisConf: [conf({ source: 'default', pidfile: '/run/redis/redis-server.pid' })], pidFiles: [{ path: '/run/redis/redis-server.pid', pid: 1187, configPath: '/etc/redis/redis.conf' }] })));
    expect(byConf?.evidence).toContain('killed pid 1187 served :6379: it is in /run/redis/redis-server.pid, the pidfile of /etc/redis/redis.conf');
    // Another port's pid file names another server.
    expect(rule.evaluate(refusedWith(remote({ oom, pidFiles: [{ path: '/var/run/redis_6380.pid', pid: 1187, port: 6380 }] })))).toBeUndefined();
  });

  it('cgroup: task_memcg is the cgroup of the server on the port now (restarted in its unit) → a warning', () => {
    const obs = healthy();
    obs.remote = remote({ oom, listeners: [listener('0.0.0.0', 6379, 'redis-server', 2000)], cgroups: [{ pid: 2000, memcg: '/system.slice/redis-server.service' }] });
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'warning', confidence: 'confirmed', details: { kills: 1, pid: 1187, running: true } });
    expect(f?.evidence).toContain('task_memcg /system.slice/redis-server.service is the cgroup of redis-server pid 2000, which serves :6379 now');
    expect(evaluate(obs)).toMatchObject({ verdict: 'degraded', primaryCause: 'oom-killed' });
    // The same server in another cgroup: not linked.
    obs.remote.cgroups = [{ pid: 2000, memcg: '/system.slice/redis-server@other.service' }];
    expect(rule.evaluate(obs)).toBeUndefined();
  });

  it('cgroup: task_memcg matches the ControlGroup of the unit whose MainPID serves the port', () => {
    const obs = healthy();
    obs.remote = remote({ oom, listeners: [listener('0.0.0.0', 6379, 'redis-server', 2000)], systemd: { units: [unit({ mainPid: 2000, controlGroup: '/system.slice/redis-server.service', configPath: undefined })] } });
    expect(rule.evaluate(obs)?.evidence).toContain('task_memcg matches redis-server.service (ControlGroup /system.slice/redis-server.service), the unit of port 6379');
  });

  it('container: task_memcg names the container publishing the port, or docker inspect says OOMKilled', () => {
    const kills = parseKernelOom(`### source dmesg\n[1.0] oom-kill:constraint=CONSTRAINT_MEMCG,task_memcg=/system.slice/docker-${CONTAINER_ID}.scope,task=redis-server,pid=77,uid=999\n`)!;
    const f = rule.evaluate(refusedWith(remote({ oom: kills, docker: { containers: [container()] } })));
    expect(f?.evidence).toContain(`task_memcg /system.slice/docker-${CONTAINER_ID}.scope is container cache's, which publishes :6379`);
    const flagged = rule.evaluate(refusedWith(remote({ oom: { source: 'dmesg', kills: [] }, docker: { containers: [container({ oomKilled: true })] } })));
    expect(flagged).toMatchObject({ severity: 'critical', confidence: 'confirmed' });
    expect(flagged?.evidence[0]).toBe('docker inspect: container cache, which publishes :6379, has State.OOMKilled true');
    // A container publishing another port is another server.
    const other = container({ ports: [{ containerPort: 6379, protocol: 'tcp', hostPort: 6380 }], oomKilled: true });
    expect(rule.evaluate(refusedWith(remote({ oom: kills, docker: { containers: [other] } })))).toBeUndefined();
  });

  it('time: the monitor puts the kill between the last answer and the first failed probe → likely (other kills in the window stay open)', () => {
    const obs = refusedWith(remote({ oom: otherKill }));
    obs.history = { lastAnsweredAt: '2025-12-06T22:49:55.000Z', firstFailedAt: '2025-12-06T22:50:05.000Z' };
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ confidence: 'likely', severity: 'critical' });
    expect(f?.evidence).toContain('killed at 2025-12-06T22:50:00.100Z, between this target\'s last answer (2025-12-06T22:49:55.000Z) and its first failed probe (2025-12-06T22:50:05.000Z)');
    obs.history = { lastAnsweredAt: '2025-12-06T23:00:00.000Z', firstFailedAt: '2025-12-06T23:00:05.000Z' };
    expect(rule.evaluate(obs)).toBeUndefined();
    // Without the first failure the window is open-ended: no link.
    obs.history = { lastAnsweredAt: '2025-12-06T22:49:55.000Z' };
    expect(linkOomKills(obs).linked).toEqual([]);
  });

  it('does not fire without a redis-server kill', () => {
    expect(rule.evaluate(refusedWith(remote({ oom: { source: 'dmesg', kills: [] } })))).toBeUndefined();
    expect(rule.evaluate(refusedWith(remote()))).toBeUndefined();
  });
});

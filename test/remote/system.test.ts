import { describe, expect, it } from 'vitest';
import { parseDfOutput, parseDfLine } from '../../src/engine/remote/parsers/df.js';
import { parseFree } from '../../src/engine/remote/parsers/free.js';
import { parseKernelOom } from '../../src/engine/remote/parsers/kernel-oom.js';
import { parseProcCgroups, parseProcLimits } from '../../src/engine/remote/parsers/proc-limits.js';
import { parseSystemdShow } from '../../src/engine/remote/parsers/systemd.js';
import { fixture } from './fixtures.js';

describe('systemctl show parser (sample: systemd is not PID 1 on the capture machine)', () => {
  it('reads state, result, restarts and the config path of ExecStart', () => {
    const units = parseSystemdShow(fixture('samples/systemctl-show.txt'));
    expect(units.map((u) => u.summary)).toEqual([
      'redis-server.service: failed (failed), Result: exit-code, exit status 1, 5 restarts',
      'redis-sentinel.service: active (running), MainPID 1022',
      'redis-server@cache.service: inactive (dead)',
    ]);
    expect(units[0]).toMatchObject({ configPath: '/etc/redis/redis.conf', execMainStatus: 1, nRestarts: 5, execStartArgv: '/usr/bin/redis-server /etc/redis/redis.conf --supervised systemd --daemonize no' });
    expect(units[1]?.configPath).toBe('/etc/redis/sentinel.conf');
    // ExecMainPID outlives the process (a killed server's pid); a stopped unit has no ControlGroup.
    expect(units[0]?.execMainPid).toBe(48990);
    expect(units[0]?.controlGroup).toBeUndefined();
    expect(units[1]).toMatchObject({ execMainPid: 1022, controlGroup: '/system.slice/redis-sentinel.service' });
    expect(units[2]?.loadState).toBe('not-found');
  });

  it('the real "no systemd" output has no unit', () => {
    expect(parseSystemdShow(fixture('captured/systemctl-no-systemd.txt'))).toEqual([]);
  });
});

describe('free parser', () => {
  it('reads real procps-ng free -b output', () => {
    expect(parseFree(fixture('captured/free-b.txt'))).toEqual({
      totalBytes: 25276502016,
      usedBytes: 685887488,
      freeBytes: 24388251648,
      availableBytes: 24590614528,
      swapTotalBytes: 0,
      swapFreeBytes: 0,
      line: 'Mem: 25276502016 685887488 24388251648 71192576 547414016 24590614528',
    });
  });

  it('reads the older buffers/cached layout (sample, procps 3.3.9) without an available column', () => {
    const m = parseFree(fixture('samples/free-procps-3.3.9.txt'));
    expect(m).toMatchObject({ totalBytes: 1040236544, freeBytes: 36503552 });
    expect(m?.availableBytes).toBeUndefined();
    expect(parseFree('garbage')).toBeUndefined();
  });
});

describe('kernel OOM parser (samples: no OOM kill on the capture machine)', () => {
  it('finds redis-server kills in dmesg, one per pid, the "Killed process" line preferred', () => {
    const oom = parseKernelOom(fixture('samples/dmesg-oom.txt'));
    expect(oom?.source).toBe('dmesg');
    expect(oom?.kills).toEqual([
      {
        pid: 1187,
        process: 'redis-server',
        line: '[1834512.771424] Out of memory: Killed process 1187 (redis-server) total-vm:4214732kB, anon-rss:3889120kB, file-rss:0kB, shmem-rss:0kB, UID:112 pgtables:7736kB oom_score_adj:0',
        memcg: '/system.slice/redis-server.service',
      },
    ]);
  });

  it('dates a dmesg stamp with the host clock line, and reads task_memcg of a cgroup v1 memcg kill (this VM\'s kernel, 6.18)', () => {
    const text = [
      '### clock 1765065000 500.25',
      '### source dmesg',
      '[  381.525886] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/rdlab-oom-try,task_memcg=/rdlab-oom-try,task=redis-server,pid=13482,uid=0',
      '[  381.525900] Memory cgroup out of memory: Killed process 13482 (redis-server) total-vm:42264kB, anon-rss:32384kB, file-rss:6484kB, shmem-rss:0kB, UID:0 pgtables:120kB oom_score_adj:0',
    ].join('\n');
    const kill = parseKernelOom(text)?.kills[0];
    expect(kill).toMatchObject({ pid: 13482, memcg: '/rdlab-oom-try', line: expect.stringContaining('Killed process 13482') });
    // 500.25 s of uptime at 1765065000 (23:50:00Z): the stamp 381.5259 is 118.7241 s earlier.
    expect(kill?.at).toBe('2025-12-06T23:48:01.276Z');
    expect(parseKernelOom(fixture('samples/journalctl-k-oom.txt'))?.kills[0]?.at).toBe('2024-05-02T03:14:07.000Z');
  });

  it('a hostile line (no comma, no bound on length) is cut and parsed in linear time', () => {
    const long = `### source dmesg\n[1.0] oom-kill:${'a'.repeat(200_000)}task=redis-server,pid=1`;
    const start = Date.now();
    expect(parseKernelOom(long)?.kills).toEqual([]);
    expect(Date.now() - start).toBeLessThan(500);
  });

  it('reads journalctl -k (cgroup OOM) and pre-4.19 kernels', () => {
    expect(parseKernelOom(fixture('samples/journalctl-k-oom.txt'))).toMatchObject({ source: 'journalctl', kills: [{ pid: 48213, process: 'redis-server' }] });
    expect(parseKernelOom(fixture('samples/dmesg-oom-old-kernel.txt'))?.kills.map((k) => k.pid)).toEqual([3321]);
  });

  it('an empty real kernel log is "no kill"; output without the source header is not understood', () => {
    expect(parseKernelOom('### source dmesg\n')).toEqual({ source: 'dmesg', kills: [] });
    expect(parseKernelOom('Out of memory: Killed process 1 (redis-server)')).toBeUndefined();
  });
});

describe('df parser', () => {
  it('reads real df -P -k lines, including a full tmpfs', () => {
    expect(parseDfLine(fixture('captured/df-Pk-full.txt').split('\n')[1]!)).toEqual({
      filesystem: 'tmpfs',
      sizeBytes: 1048576,
      usedBytes: 1048576,
      availableBytes: 0,
      usePercent: 100,
      mountedOn: '/tmp/rdexp/full',
      line: 'tmpfs 1024 1024 0 100% /tmp/rdexp/full',
    });
  });

  it('attributes each measurement to the pid or config file that named the directory', () => {
    const [root, full] = fixture('captured/df-Pk-two.txt').split('\n').slice(1);
    const out = ['### process-cwd 14823 /tmp/rdexp/full', 'Filesystem 1024-blocks Used Available Capacity Mounted on', full, '### config-dir /etc/redis/redis.conf /var/lib/redis', root, '### default-dir - /var/lib/redis', root].join('\n');
    const disks = parseDfOutput(out);
    expect(disks.map((d) => [d.origin, d.pid, d.configPath, d.path, d.usePercent])).toEqual([
      ['process-cwd', 14823, undefined, '/tmp/rdexp/full', 100],
      ['config-dir', undefined, '/etc/redis/redis.conf', '/var/lib/redis', 22],
    ]);
  });
});

describe('/proc/<pid>/limits parser', () => {
  it('reads the real open-files line, per pid', () => {
    const text = `### pid 12293\n${fixture('captured/proc-limits.txt')}### pid 14823\n${fixture('captured/proc-limits-low-nofile.txt')}`;
    expect(parseProcLimits(text)).toEqual([
      { pid: 12293, soft: 20000, hard: 20000, line: 'Max open files 20000 20000 files' },
      { pid: 14823, soft: 128, hard: 128, line: 'Max open files 128 128 files' },
    ]);
    expect(parseProcLimits('### pid 1\nMax open files            unlimited            unlimited            files\n')[0]).toMatchObject({ soft: null, hard: null });
  });

  it('reads the memory cgroup from /proc/<pid>/cgroup: the v1 memory line, else the v2 line', () => {
    const text = [
      '### pid 7', 'Max open files 1024 4096 files',
      '### cgroup 7', '12:pids:/system.slice/redis-server.service', '4:memory:/system.slice/redis-server.service', '0::/system.slice/redis-server.service',
      '### pid 8',
      '### cgroup 8', '0::/system.slice/docker-0123.scope',
      '### cgroup 9', '0::/with space',
    ].join('\n');
    expect(parseProcCgroups(text)).toEqual([{ pid: 7, memcg: '/system.slice/redis-server.service' }, { pid: 8, memcg: '/system.slice/docker-0123.scope' }]);
    // A cgroup line is never taken for a limits line of the next pid.
    expect(parseProcLimits(text).map((l) => l.pid)).toEqual([7]);
  });
});

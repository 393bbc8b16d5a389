import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/latency-spikes.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import type { LatencyEvent, Observations } from '../../../src/engine/model/types.js';
import { healthy, withInfo } from '../fixtures.js';
import { listener, remote } from './remote-fixtures.js';

const NOW = 1_765_000_000;

function withEvents(events: LatencyEvent[], extra: Partial<NonNullable<Observations['latencyEvents']>> = {}): Observations {
  const obs = healthy();
  obs.latencyEvents = { events, nowSec: NOW, clock: 'server', ...extra };
  obs.latency = { samplesMs: [0.2, 0.3], p50Ms: 0.2, p99Ms: 0.3, maxMs: 0.3, slowest: 1 };
  obs.config = { 'latency-monitor-threshold': '100' };
  return obs;
}

describe('latency-spikes', () => {
  it('a recent fork event: warning, names the event, its history, fork fixes; degraded', () => {
    const obs = withEvents([{ event: 'fork', at: NOW - 40, latestMs: 420, maxMs: 1300 }], { history: { event: 'fork', samples: [{ at: NOW - 900, ms: 1300 }, { at: NOW - 40, ms: 420 }] } });
    withInfo(obs, { stats: { latest_fork_usec: '420112' }, persistence: { rdb_last_bgsave_time_sec: '3' } });
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ cause: 'latency-spikes', severity: 'warning', confidence: 'possible', details: { events: 'fork', maxMs: 420 } });
    const text = f!.evidence.join('\n');
    expect(text).toContain('LATENCY LATEST: fork (fork for BGSAVE/BGREWRITEAOF) latest 420 ms, 40 s ago, worst 1300 ms');
    expect(text).toContain('LATENCY HISTORY fork: 2 recorded, the last: 1300 ms, 420 ms');
    expect(text).toContain('INFO latest_fork_usec:420112');
    expect(text).toContain('INFO rdb_last_bgsave_time_sec:3');
    expect(f!.remediations.map((r) => r.id)).toEqual(['tune-fork-and-persistence', 'watch-latency-events']);
    const steps = f!.remediations.flatMap((r) => r.steps).join('\n');
    for (const s of ['vm.overcommit_memory', 'appendfsync everysec', 'LATENCY RESET', 'latency-monitor-threshold']) expect(steps).toContain(s);
    expect(evaluate(obs)).toMatchObject({ verdict: 'degraded', primaryCause: 'latency-spikes' });
  });

  it('aof-fsync-always and aof_delayed_fsync: the fsync fix', () => {
    const obs = withEvents([{ event: 'aof-fsync-always', at: NOW - 5, latestMs: 150, maxMs: 150 }]);
    withInfo(obs, { persistence: { aof_delayed_fsync: '12' } });
    const f = rule.evaluate(obs);
    expect(f?.evidence.join('\n')).toContain('INFO aof_delayed_fsync:12');
    expect(f?.remediations[0]?.title).toContain('appendfsync everysec');
  });

  describe('the disk under the AOF (issue #18)', () => {
    const disk = { origin: 'process-cwd' as const, pid: 812, path: '/var/lib/redis', filesystem: '/dev/sdb1', sizeBytes: 100 << 30, usedBytes: 40 << 30, availableBytes: 60 << 30, usePercent: 40, mountedOn: '/var/lib/redis', line: '/dev/sdb1 104857600 41943040 62914560 40% /var/lib/redis' };
    function delayed(extra: Parameters<typeof remote>[0] = {}): Observations {
      const obs = withEvents([]);
      withInfo(obs, { persistence: { aof_enabled: '1', aof_delayed_fsync: '37' }, server: { redis_version: '7.2.4' } });
      obs.remote = remote({ listeners: [listener('0.0.0.0', 6379, 'redis-server', 812), listener('0.0.0.0', 6380, 'redis-server', 913)], disks: [{ ...disk, pid: 913, path: '/srv/other', filesystem: '/dev/sdc1' }, disk], ...extra });
      return obs;
    }

    it('aof_delayed_fsync with the filesystem of the data directory of the pid on the port: named, but possible without pressure', () => {
      const f = rule.evaluate(delayed({ hostTuning: { ioPressure: { some10: 0.5, some60: 0.4, full10: 0.1, full60: 0.2 } } }))!;
      expect(f).toMatchObject({ severity: 'warning', confidence: 'possible', details: { diskBusy: false } });
      const text = f.evidence.join('\n');
      expect(text).toContain('df -P -k on cache-1: /dev/sdb1 104857600 41943040 62914560 40% /var/lib/redis — the AOF (/var/lib/redis/appendonlydir, in the data directory of the server on :6379) is on /dev/sdb1, mounted on /var/lib/redis, 40% used: every fsync waits for this device');
      expect(text).toContain('/proc/pressure/io on cache-1: some avg10=0.5 avg60=0.4, full avg10=0.1 avg60=0.2 — little I/O stall on the host now');
      expect(text).not.toContain('/srv/other');
      expect(f.remediations[0]!.steps.join('\n')).toContain('faster disk');
    });

    it('I/O pressure, or the log of this server saying fsync is too slow: likely', () => {
      expect(rule.evaluate(delayed({ hostTuning: { ioPressure: { some10: 60, some60: 55, full10: 35.5, full60: 30 } } }))).toMatchObject({ confidence: 'likely', details: { diskBusy: true } });
      const obs = delayed({
        processes: [{ pid: 812, user: 'redis', args: 'redis-server /etc/redis/redis.conf', configPath: '/etc/redis/redis.conf', defunct: false }],
        redisConf: [{ path: '/etc/redis/redis.conf', source: 'process', lines: [], requirepassSet: false, includes: [], logfile: '/var/log/redis/redis.log', appendDirName: 'aof' }],
        serverLogs: [{ source: 'file', path: '/var/log/redis/redis.log', status: 'read', bytesRead: 9000, partial: false, bufferClosures: 0, closures: [], slowFsyncs: 4, lastSlowFsyncAt: '07 Dec 2026 03:13:00.000' }],
      });
      const f = rule.evaluate(obs)!;
      expect(f.confidence).toBe('likely');
      const text = f.evidence.join('\n');
      expect(text).toContain('the AOF (/var/lib/redis/aof, in the data directory');
      expect(text).toContain('server log /var/log/redis/redis.log (the logfile of /etc/redis/redis.conf, the config of redis-server pid 812 listening on :6379): 4 × "Asynchronous AOF fsync is taking too long (disk is busy?)" in all 9 kB, the last at 07 Dec 2026 03:13:00.000');
    });

    it('AOF off, or no AOF stall: no disk evidence', () => {
      const off = delayed({ hostTuning: { ioPressure: { some10: 60, some60: 55, full10: 35.5, full60: 30 } } });
      off.info!.sections.persistence = { aof_enabled: '0', aof_delayed_fsync: '0' };
      expect(rule.evaluate(off)).toBeUndefined();
    });
  });

  it('the Redis process serving the port swaps (tied by pid) and THP always: likely, both fixes', () => {
    const obs = withEvents([]);
    obs.remote = remote({ listeners: [listener('0.0.0.0', 6379, 'redis-server', 812)], processStatus: [{ pid: 812, vmSwapKb: 204800, vmRssKb: 1000 }, { pid: 999, vmSwapKb: 9_000_000 }], hostTuning: { thp: 'always' } });
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'warning', confidence: 'likely', details: { swapKb: 204800, thp: true } });
    expect(f!.evidence.join('\n')).toContain('/proc/812/status on cache-1: VmSwap 204800 kB');
    expect(f!.remediations.map((r) => r.id)).toEqual(['disable-transparent-huge-pages', 'stop-redis-swapping', 'watch-latency-events']);
  });

  it('swap of another process (not the one on the port) is not this server\'s', () => {
    const obs = withEvents([]);
    obs.remote = remote({ listeners: [listener('0.0.0.0', 6379, 'redis-server', 812)], processStatus: [{ pid: 999, vmSwapKb: 9_000_000 }] });
    expect(rule.evaluate(obs)).toBeUndefined();
  });

  it('THP always alone: an info note, healthy', () => {
    const obs = withEvents([]);
    obs.remote = remote({ listeners: [listener('0.0.0.0', 6379, 'redis-server', 812)], hostTuning: { thp: 'always' } });
    expect(rule.evaluate(obs)).toMatchObject({ severity: 'info' });
    expect(evaluate(obs).verdict).toBe('healthy');
  });

  it('THP always on a host where the port is not served: nothing', () => {
    const obs = withEvents([]);
    obs.remote = remote({ hostTuning: { thp: 'always' } });
    expect(rule.evaluate(obs)).toBeUndefined();
  });

  it('a command event: the stall recorded, the slow-command fix offered', () => {
    const f = rule.evaluate(withEvents([{ event: 'command', at: NOW - 5, latestMs: 300, maxMs: 300 }]));
    expect(f).toMatchObject({ severity: 'warning', details: { events: 'command' } });
    expect(f!.remediations.map((r) => r.id)).toEqual(['replace-blocking-commands', 'watch-latency-events']);
  });

  it('nothing recorded, small events, an hour-old event stays a note', () => {
    expect(rule.evaluate(withEvents([]))).toBeUndefined();
    expect(rule.evaluate(withEvents([{ event: 'expire-cycle', at: NOW - 5, latestMs: 20, maxMs: 20 }]))).toBeUndefined();
    expect(rule.evaluate(withEvents([{ event: 'fork', at: NOW - 7200, latestMs: 900, maxMs: 900 }]))).toMatchObject({ severity: 'info' });
    expect(rule.evaluate(withEvents([{ event: 'fork', at: NOW - 5, latestMs: 900, maxMs: 900 }], { error: '-ERR unknown command' }))).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});

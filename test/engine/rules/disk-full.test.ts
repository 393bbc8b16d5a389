import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import type { DiskUsage } from '../../../src/engine/remote/types.js';
import { rule } from '../../../src/engine/rules/disk-full.js';
import { healthy } from '../fixtures.js';
import { listener, refusedWith, remote } from './remote-fixtures.js';

const full: DiskUsage = { origin: 'process-cwd', pid: 812, path: '/var/lib/redis', filesystem: 'tmpfs', sizeBytes: 1048576, usedBytes: 1048576, availableBytes: 0, usePercent: 100, mountedOn: '/var/lib/redis', line: 'tmpfs 1024 1024 0 100% /var/lib/redis' };

describe('disk-full', () => {
  it('critical for the data dir of the process on the target port; the verdict says degraded while PING works', () => {
    const obs = healthy();
    obs.remote = remote({ listeners: [listener('0.0.0.0', 6379, 'redis-server', 812)], disks: [full, { ...full, pid: 999, path: '/other' }] });
    const f = rule.evaluate(obs);
    expect(f?.title).toBe('The filesystem of the Redis data directory /var/lib/redis on cache-1 is full');
    expect(f?.evidence).toEqual(['df -P -k on cache-1: tmpfs 1024 1024 0 100% /var/lib/redis', 'redis-server pid 812, which serves :6379, works in /var/lib/redis (its dir); 0 MiB free of 1 MiB on /var/lib/redis']);
    expect(f?.remediations.map((r) => r.id)).toEqual(['free-disk-space']);
    expect(evaluate(obs)).toMatchObject({ verdict: 'degraded', primaryCause: 'disk-full' });
  });

  it('only the disk of the process behind the port counts when one listens there', () => {
    const obs = healthy();
    obs.remote = remote({ listeners: [listener('0.0.0.0', 6379, 'redis-server', 812)], disks: [{ ...full, pid: 999 }] });
    expect(rule.evaluate(obs)).toBeUndefined();
  });

  it('when nothing runs, the dir of the redis.conf for the port stands in, and outranks server-not-running', () => {
    const conf = { path: '/etc/redis/redis.conf', source: 'default' as const, lines: [{ n: 300, text: 'dir /var/lib/redis' }], requirepassSet: false, includes: [], dir: '/var/lib/redis' };
    const obs = refusedWith(remote({ redisConf: [conf], disks: [{ ...full, origin: 'config-dir', pid: undefined, configPath: '/etc/redis/redis.conf' }] }));
    expect(rule.evaluate(obs)?.evidence[1]).toBe('/etc/redis/redis.conf, the config for :6379, sets dir /var/lib/redis; 0 MiB free of 1 MiB on /var/lib/redis');
    expect(evaluate(obs).findings.map((x) => x.cause)).toEqual(['disk-full', 'server-not-running']);
  });

  it('a full usual data directory that nothing ties to the port (no process, no config for it) is no finding', () => {
    const obs = refusedWith(remote({ disks: [{ ...full, origin: 'default-dir', pid: undefined, configPath: '-' }] }));
    expect(rule.evaluate(obs)).toBeUndefined();
    expect(evaluate(obs).primaryCause).toBe('server-not-running');
  });

  it('a warning from 95 %, nothing below', () => {
    const obs = healthy();
    obs.remote = remote({ listeners: [listener('0.0.0.0', 6379, 'redis-server', 812)], disks: [{ ...full, usePercent: 96, availableBytes: 40000 }] });
    expect(rule.evaluate(obs)?.severity).toBe('warning');
    obs.remote.disks = [{ ...full, usePercent: 80, availableBytes: 200000 }];
    expect(rule.evaluate(obs)).toBeUndefined();
  });
});

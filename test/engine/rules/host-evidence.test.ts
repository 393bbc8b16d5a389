import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { rule as bindLoopbackOnly } from '../../../src/engine/rules/bind-loopback-only.js';
import { rule as fdLimitTooLow } from '../../../src/engine/rules/fd-limit-too-low.js';
import { rule as wrongPort } from '../../../src/engine/rules/wrong-port.js';
import type { RedisConfFile } from '../../../src/engine/remote/types.js';
import { healthy } from '../fixtures.js';
import { listener, refusedWith, remote } from './remote-fixtures.js';

const conf = (lines: string[], extra: Partial<RedisConfFile>): RedisConfFile => ({
  path: '/etc/redis/redis.conf',
  source: 'process',
  lines: lines.map((text, i) => ({ n: 80 + i, text })),
  requirepassSet: false,
  includes: [],
  ...extra,
});

describe('host evidence in the network rules', () => {
  it('wrong-port fires from ss alone when the neighbour scan did not reach the port', () => {
    const obs = refusedWith(remote({ listeners: [listener('0.0.0.0', 7777, 'redis-server', 812)], processes: [{ pid: 812, user: 'redis', args: 'redis-server /etc/redis/redis.conf', configPath: '/etc/redis/redis.conf', defunct: false }], redisConf: [conf(['port 7777'], { port: 7777 })] }));
    obs.neighbours = { scanned: [6380, 6381], found: [], durationMs: 3, truncated: false };
    const f = wrongPort.evaluate(obs);
    expect(f?.title).toBe('Nothing listens on port 6379; Redis listens on port 7777');
    expect(f?.evidence).toEqual([
      'TCP connect to 10.0.0.5:6379 was refused (ECONNREFUSED)',
      'ss -ltnp on cache-1: nothing listens on port 6379',
      'ss -ltnp on cache-1: LISTEN 0 511 0.0.0.0:7777 0.0.0.0:* users:(("redis-server",pid=812,fd=6))',
      '/etc/redis/redis.conf:80: port 7777',
    ]);
    expect(evaluate(obs).primaryCause).toBe('wrong-port');
  });

  it('wrong-port from the network also quotes the host lines', () => {
    const obs = refusedWith(remote({ listeners: [listener('0.0.0.0', 6380, 'redis-server', 812)] }));
    obs.neighbours = { scanned: [6380], found: [{ port: 6380, redis: true, reply: '+PONG' }], durationMs: 3, truncated: false };
    expect(wrongPort.evaluate(obs)?.evidence.at(-1)).toBe('ss -ltnp on cache-1: LISTEN 0 511 0.0.0.0:6380 0.0.0.0:* users:(("redis-server",pid=812,fd=6))');
  });

  it('bind-loopback-only fires from ss and the bind line when the target is another machine', () => {
    const obs = refusedWith(
      remote({
        listeners: [listener('127.0.0.1', 6379, 'redis-server', 812), listener('::1', 6379, 'redis-server', 812)],
        processes: [{ pid: 812, user: 'redis', args: 'redis-server /etc/redis/redis.conf', configPath: '/etc/redis/redis.conf', defunct: false }],
        redisConf: [conf(['bind 127.0.0.1 -::1', 'port 6379'], { bind: ['127.0.0.1', '-::1'], port: 6379 })],
      }),
    );
    const f = bindLoopbackOnly.evaluate(obs);
    expect(f?.evidence).toEqual([
      'TCP connect to 10.0.0.5:6379 was refused (ECONNREFUSED)',
      'ss -ltnp on cache-1: LISTEN 0 511 127.0.0.1:6379 0.0.0.0:* users:(("redis-server",pid=812,fd=6))',
      'ss -ltnp on cache-1: LISTEN 0 511 [::1]:6379 0.0.0.0:* users:(("redis-server",pid=812,fd=6))',
      '/etc/redis/redis.conf:80: bind 127.0.0.1 -::1',
    ]);
    expect(f?.details).toEqual({ loopbackPort: 6379 });
    expect(evaluate(obs).primaryCause).toBe('bind-loopback-only');
    // Listening on a reachable address as well: not loopback-only.
    obs.remote!.listeners!.push(listener('0.0.0.0', 6379, 'redis-server', 812));
    expect(bindLoopbackOnly.evaluate(obs)).toBeUndefined();
  });

  it('fd-limit-too-low fires from /proc/<pid>/limits against maxclients (not a power of two, so not from INFO alone)', () => {
    const obs = healthy();
    obs.info!.sections.clients!.maxclients = '968';
    obs.remote = remote({
      listeners: [listener('0.0.0.0', 6379, 'redis-server', 812)],
      fileLimits: [{ pid: 812, soft: 1000, hard: 1000, line: 'Max open files 1000 1000 files' }],
    });
    const f = fdLimitTooLow.evaluate(obs);
    expect(f?.title).toBe('The open-files limit (1000) forced maxclients down to 968');
    expect(f?.evidence).toEqual(['connected_clients:3 maxclients:968', '/proc/812/limits on cache-1: Max open files 1000 1000 files', 'ss -ltnp on cache-1: LISTEN 0 511 0.0.0.0:6379 0.0.0.0:* users:(("redis-server",pid=812,fd=6))', 'maxclients defaults to 10000, which needs 10032 descriptors']);
    obs.remote.fileLimits = [{ pid: 812, soft: 65536, hard: 65536, line: 'Max open files 65536 65536 files' }];
    obs.info!.sections.clients!.maxclients = '10000';
    expect(fdLimitTooLow.evaluate(obs)).toBeUndefined();
  });
});

describe('wrong-port on a host that may run several instances (the confidence policy)', () => {
  const neighbour = { scanned: [6380], found: [{ port: 6380, redis: true, reply: '+PONG' }], durationMs: 3, truncated: false };
  const running6380 = { pid: 812, user: 'redis', args: 'redis-server /etc/redis/redis-6380.conf', configPath: '/etc/redis/redis-6380.conf', defunct: false };

  it('host evidence, and nothing configured for the typed port: confirmed, and the primary cause', () => {
    const obs = refusedWith(remote({ listeners: [listener('0.0.0.0', 6380, 'redis-server', 812)], processes: [running6380], redisConf: [conf(['port 6380'], { path: '/etc/redis/redis-6380.conf', port: 6380 })] }));
    obs.neighbours = neighbour;
    const result = evaluate(obs);
    expect(result.findings.map((f) => [f.cause, f.confidence])).toEqual([['wrong-port', 'confirmed']]);
    expect(result.findings[0]?.remediations.map((r) => r.title)).toEqual(['Connect to port 6380, where Redis answers']);
    // The config files could not be read: an instance for 6379 may exist unseen.
    obs.remote!.commands = obs.remote!.commands.map((c) => (c.id === 'redis-conf' ? { ...c, status: 'denied' as const } : c));
    expect(evaluate(obs).findings.map((f) => [f.cause, f.confidence])).toEqual([['wrong-port', 'likely']]);
  });

  it('on a Docker host with Redis containers, or a Docker the login cannot read, Redis on other ports of the host is not "only on other ports": possible', () => {
    const redisContainer = { id: 'b'.repeat(64), name: 'cache', image: 'redis:7', command: 'redis-server', status: 'Up 2 hours', running: true, redis: true, ports: [{ containerPort: 6379, protocol: 'tcp' }], portsText: '6379/tcp' };
    const obs = refusedWith(remote({ listeners: [listener('127.0.0.1', 6380, 'redis-server', 812)], processes: [running6380], redisConf: [conf(['port 6380'], { path: '/etc/redis/redis-6380.conf', port: 6380 })], docker: { containers: [redisContainer] } }));
    obs.neighbours = neighbour;
    obs.remote!.commands.push({ id: 'docker-ps', status: 'ok', durationMs: 40, detail: '' });
    // (evaluate() would also drop it: container-port-not-published, likely, supersedes it.)
    const f = wrongPort.evaluate(obs)!;
    expect(f.confidence).toBe('possible');
    expect(f.evidence.at(-1)).toMatch(/^this host runs Docker: a container's Redis listens inside the container/);
    // Docker there but unreadable (permission denied on the socket): the same.
    obs.remote!.docker = undefined;
    obs.remote!.commands = obs.remote!.commands.map((c) => (c.id === 'docker-ps' ? { ...c, status: 'denied' as const } : c));
    expect(wrongPort.evaluate(obs)?.confidence).toBe('possible');
    // No Docker on the host (the tool or its socket missing): the policy above.
    obs.remote!.commands = obs.remote!.commands.map((c) => (c.id === 'docker-ps' ? { ...c, status: 'unavailable' as const } : c));
    expect(wrongPort.evaluate(obs)?.confidence).toBe('confirmed');
  });

  it('an instance configured for the typed port that does not run: server-not-running (confirmed) first, wrong-port only possible', () => {
    const obs = refusedWith(remote({
      listeners: [listener('0.0.0.0', 6380, 'redis-server', 812)],
      processes: [running6380],
      redisConf: [
        conf(['port 6380'], { path: '/etc/redis/redis-6380.conf', port: 6380 }),
        conf(['port 6379', 'bind 0.0.0.0'], { path: '/etc/redis/redis.conf', source: 'default', port: 6379 }),
      ],
    }));
    obs.neighbours = neighbour;
    const result = evaluate(obs);
    expect(result.findings.map((f) => [f.cause, f.confidence])).toEqual([['server-not-running', 'confirmed'], ['wrong-port', 'possible']]);
    expect(result.findings[0]?.title).toBe('The Redis instance for port 6379 (/etc/redis/redis.conf) is not running on cache-1; other instances run on 6380');
    expect(result.findings[0]?.evidence).toContain('/etc/redis/redis.conf:80: port 6379 — configured for port 6379, and no running redis-server uses /etc/redis/redis.conf');
    // The wrong-port finding offers no blind port change.
    expect(result.findings[1]?.remediations.map((r) => r.id)).toEqual(['use-correct-port', 'start-redis']);
    expect(result.findings[1]?.remediations[0]?.title).toMatch(/^Check which instance the client should use/);
  });

  it('a target that answered at this address until recently (monitor history): wrong-port only possible, even with host evidence', () => {
    const obs = refusedWith(remote({ listeners: [listener('0.0.0.0', 6380, 'redis-server', 812)], processes: [running6380] }));
    obs.neighbours = neighbour;
    obs.history = { lastAnsweredAt: '2026-12-02T00:00:00.000Z' };
    const result = evaluate(obs);
    expect(result.primaryCause).toBe('connection-refused');
    const wrong = result.findings.find((f) => f.cause === 'wrong-port');
    expect(wrong?.confidence).toBe('possible');
    expect(wrong?.evidence.at(-1)).toBe("this target answered at 10.0.0.5:6379 until 2026-12-02T00:00:00.000Z: its clients' port was right then — the instance there is more likely down than the port wrong");
  });
});

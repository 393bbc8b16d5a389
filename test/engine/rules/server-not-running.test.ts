import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { rule } from '../../../src/engine/rules/server-not-running.js';
import { healthy } from '../fixtures.js';
import { listener, refusedWith, remote } from './remote-fixtures.js';

describe('server-not-running', () => {
  it('fires when nothing listens on the port and no redis-server listens anywhere, quoting ps and systemd', () => {
    const obs = refusedWith(remote({ systemd: { units: [{ id: 'redis-server.service', activeState: 'failed', subState: 'failed', result: 'exit-code', summary: 'redis-server.service: failed (failed), Result: exit-code, exit status 1' }] } }));
    const f = rule.evaluate(obs);
    expect(f?.title).toBe('Redis is not running on cache-1: nothing serves port 6379');
    expect(f?.evidence).toEqual([
      'TCP connect to 10.0.0.5:6379: ECONNREFUSED',
      'ss -ltnp on cache-1: nothing listens on port 6379, and no redis-server listens on any port',
      'ps on cache-1: no redis-server process',
      'systemctl on cache-1: redis-server.service: failed (failed), Result: exit-code, exit status 1',
    ]);
    expect(f?.details).toEqual({ host: 'cache-1', unit: 'redis-server.service', unitResult: 'exit-code' });
    expect(f?.remediations.map((r) => r.id)).toEqual(['start-redis']);
    expect(evaluate(obs).primaryCause).toBe('server-not-running');
    expect(evaluate(obs).findings.map((x) => x.cause)).not.toContain('connection-refused');
  });

  it('names redis-server processes that listen in another network namespace, without counting them', () => {
    const obs = refusedWith(remote({ processes: [{ pid: 4242, user: 'redis', args: 'redis-server *:6379', defunct: false, titleAddress: '*', titlePort: 6379 }] }));
    expect(rule.evaluate(obs)?.evidence[2]).toBe('ps on cache-1: redis-server process with no listening socket here (another network namespace, e.g. a container): pid 4242 "redis-server *:6379"');
  });

  it('does not fire when Redis listens (elsewhere or on loopback), the connect worked, or SSH did not run', () => {
    expect(rule.evaluate(refusedWith(remote({ listeners: [listener('0.0.0.0', 6380, 'redis-server', 7)] })))).toBeUndefined();
    expect(rule.evaluate(refusedWith(remote({ listeners: [listener('127.0.0.1', 6379, 'redis-server', 7)] })))).toBeUndefined();
    const ok = healthy();
    ok.remote = remote();
    expect(rule.evaluate(ok)).toBeUndefined();
    expect(rule.evaluate(refusedWith(remote({ session: { ok: false, host: 'cache-1', port: 22, durationMs: 1, failureReason: 'timeout' } })))).toBeUndefined();
    const noSs = remote();
    noSs.commands = noSs.commands.filter((c) => c.id !== 'ss');
    expect(rule.evaluate(refusedWith(noSs))).toBeUndefined();
  });
});

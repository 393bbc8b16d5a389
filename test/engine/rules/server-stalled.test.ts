import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import type { RedisProcess, RemoteObservation } from '../../../src/engine/remote/types.js';
import { rule } from '../../../src/engine/rules/server-stalled.js';
import type { Observations } from '../../../src/engine/model/types.js';
import { refused } from '../fixtures.js';
import { listener, remote } from './remote-fixtures.js';

/** `ps -eo pid=,user=,stat=,args=` of one redis-server, as parsers/ps.ts returns it. */
function proc(pid: number, stat: string, state: RedisProcess['state'], args = 'redis-server *:6379', extra: Partial<RedisProcess> = {}): RedisProcess {
  return { pid, user: 'redis', args, stat, state, defunct: state === 'zombie', titleAddress: '*', titlePort: 6379, line: `${pid} redis ${stat} ${args}`, ...extra };
}

/** 10.0.0.5:6379 accepted the connection; PING got nothing back within the bound. */
function silent(r: RemoteObservation): Observations {
  const obs = refused();
  obs.tcp = { ok: true, address: '10.0.0.5', port: 6379, durationMs: 1 };
  obs.resp = { ok: false, exchanges: [{ command: 'PING', durationMs: 2000 }], closedByServer: false, noReply: true, timedOut: true };
  obs.remote = r;
  return obs;
}

const onPort = (p: RedisProcess, port = 6379) => remote({ processes: [p], listeners: [listener('0.0.0.0', 22, 'sshd', 640), listener('0.0.0.0', port, 'redis-server', p.pid)] });

describe('server-stalled', () => {
  it.each([
    ['Tsl', 'stopped', /is stopped \(STAT Tsl\)/],
    ['t', 'tracing-stop', /stopped by a debugger \(STAT t\)/],
    ['Dsl', 'disk-sleep', /in uninterruptible sleep \(waiting for I\/O\) \(STAT Dsl\)/],
    ['Zl', 'zombie', /a zombie .* \(STAT Zl\)/],
  ] as const)('fires for STAT %s: the redis-server ss names for the port is %s', (stat, state, title) => {
    const obs = silent(onPort(proc(812, stat, state)));
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ cause: 'server-stalled', severity: 'critical', details: { pid: 812, state, stat } });
    expect(f?.title).toMatch(title);
    expect(f?.title).toMatch(/port 6379 accepts connections but nothing answers/);
    expect(f?.evidence).toEqual([
      `ps on cache-1: 812 redis ${stat} redis-server *:6379`,
      'ss -ltnp on cache-1: LISTEN 0 511 0.0.0.0:6379 0.0.0.0:* users:(("redis-server",pid=812,fd=6))',
      'TCP connect to 10.0.0.5:6379 succeeded; no byte came back to PING within 2000 ms',
    ]);
    expect(f?.remediations.map((r) => r.id)).toEqual(['resume-stopped-redis', 'check-server-responsiveness', ...(state === 'zombie' ? ['start-redis'] : [])]);
    // It explains the timeout, which is then not listed on its own.
    const e = evaluate(obs);
    expect(e).toMatchObject({ primaryCause: 'server-stalled', verdict: 'unreachable' });
    expect(e.findings.map((x) => x.cause)).not.toContain('connection-timeout');
  });

  it('the remediation says what to do for the state it found', () => {
    const steps = (stat: string, state: RedisProcess['state']) => rule.evaluate(silent(onPort(proc(812, stat, state))))!.remediations[0]!.steps.join('\n');
    expect(steps('Tsl', 'stopped')).toMatch(/sudo kill -CONT 812/);
    expect(steps('Tsl', 'stopped')).toMatch(/Find who stopped it/);
    expect(steps('D', 'disk-sleep')).toMatch(/cat \/proc\/812\/stack/);
    expect(steps('D', 'disk-sleep')).toMatch(/dmesg/);
    expect(steps('D', 'disk-sleep')).not.toMatch(/kill -CONT 812;/);
    expect(steps('Z', 'zombie')).toMatch(/parent .* reap|reap/);
    expect(steps('Z', 'zombie')).toMatch(/systemctl restart redis-server/);
  });

  it('without pids from ss (no privileges), the process title names the port', () => {
    const r = remote({ processes: [proc(812, 'Tl', 'stopped')], listeners: [{ address: '0.0.0.0', port: 6379, line: 'LISTEN 0 511 0.0.0.0:6379 0.0.0.0:*' }] });
    expect(rule.evaluate(silent(r))).toMatchObject({ details: { pid: 812, state: 'stopped' } });
    expect(rule.evaluate(silent(r))?.evidence[1]).toBe('ss -ltnp on cache-1: LISTEN 0 511 0.0.0.0:6379 0.0.0.0:*');
    // --port on the command line counts as well, when the title is not rewritten.
    const args = remote({ processes: [proc(813, 'T', 'stopped', 'redis-server /etc/redis/redis.conf --port 6379', { titleAddress: undefined, titlePort: undefined, argPort: 6379 })], listeners: [] });
    args.commands = args.commands.filter((c) => c.id !== 'ss');
    expect(rule.evaluate(silent(args))).toMatchObject({ details: { pid: 813 } });
  });

  it('does not fire for a running or sleeping server (S, R), nor for a stopped one on another port', () => {
    for (const [stat, state] of [['Ssl', 'sleeping'], ['R', 'running'], ['Sl', 'sleeping']] as const) {
      expect(rule.evaluate(silent(onPort(proc(812, stat, state)))), stat).toBeUndefined();
    }
    const elsewhere = remote({
      processes: [proc(812, 'Ssl', 'sleeping'), proc(933, 'Tsl', 'stopped', 'redis-server *:6380', { titlePort: 6380 })],
      listeners: [listener('0.0.0.0', 6379, 'redis-server', 812), listener('0.0.0.0', 6380, 'redis-server', 933)],
    });
    expect(rule.evaluate(silent(elsewhere))).toBeUndefined();
    // ss shows nothing on the port: a stopped server elsewhere does not hold it (server-not-running decides).
    const none = remote({ processes: [proc(933, 'Tsl', 'stopped', 'redis-server *:6380', { titlePort: 6380 })], listeners: [listener('0.0.0.0', 6380, 'redis-server', 933)] });
    expect(rule.evaluate(silent(none))).toBeUndefined();
  });

  it('does not fire when PING was answered, on loopback-only listeners, or without ps', () => {
    const obs = silent(onPort(proc(812, 'Tsl', 'stopped')));
    obs.resp = { ok: true, exchanges: [{ command: 'PING', reply: { kind: 'status', text: 'PONG' }, durationMs: 1 }], closedByServer: false, noReply: false, timedOut: false };
    expect(rule.evaluate(obs)).toBeUndefined();
    const loopback = remote({ processes: [proc(812, 'Tsl', 'stopped')], listeners: [listener('127.0.0.1', 6379, 'redis-server', 812)] });
    expect(rule.evaluate(silent(loopback))).toBeUndefined();
    const noPs = onPort(proc(812, 'Tsl', 'stopped'));
    noPs.commands = noPs.commands.filter((c) => c.id !== 'ps');
    expect(rule.evaluate(silent(noPs))).toBeUndefined();
  });
});

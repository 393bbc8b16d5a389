/**
 * The monitor's idle watch against real redis-server processes: one that
 * closes idle clients (--timeout 2) and one that never does (timeout 0), and
 * a RESP server that stops answering (a path that dropped the connection's
 * state without a FIN or RST). The engine's holdIdle is the real one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { holdIdle } from '../../src/engine/index.js';
import { IdleWatch } from '../../src/monitor/idle-watch.js';
import { describeLab, need } from '../lab/guard.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { startFakeResp } from '../lab/fake-resp.js';
import { pollUntil } from '../lab/poll.js';
import { targetOf } from '../integration/expect-diagnosis.js';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';

describeLab('idle watch', [need.binary('redis-server')], () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    while (cleanups.length) await Promise.resolve(cleanups.pop()!()).catch(() => {});
  });
  const watchFor = (options: Partial<ConstructorParameters<typeof IdleWatch>[0]> = {}) => {
    const w = new IdleWatch({ hold: holdIdle, timeoutMs: 1000, ...options });
    cleanups.push(() => w.stop());
    return w;
  };
  const redis = async (args: string[]): Promise<RedisServer> => {
    const r = await startRedis({ args });
    cleanups.push(() => r.stop());
    return r;
  };

  it('redis-server --timeout 2: the held connection is closed after about 2 s idle, recorded for the next diagnosis, which reports it', async () => {
    const r = await redis(['--timeout', '2', '--hz', '50']);
    const target = targetOf(r.host, r.port);
    const w = watchFor();
    // Each tick calls watch(); the first opens the connection in the background.
    const record = await pollUntil(async () => {
      w.watch('cache', target, {});
      return w.evidence('cache');
    }, { what: 'the idle connection to be reaped', timeoutMs: 8000, intervalMs: 100 });
    expect(record.how).toBe('closed');
    expect(record.idleSeconds).toBeGreaterThanOrEqual(1.5);
    expect(record.idleSeconds).toBeLessThan(5);
    const d = await diagnose(target, { timeoutMs: 2000, history: { idleClosed: record } });
    const f = d.findings.find((x) => x.cause === 'idle-connections-closed');
    expect(f?.details).toMatchObject({ source: 'idle-watch', how: 'closed', timeout: 2 });
    expect(f?.evidence[0]).toMatch(/^a connection idle \d+ s was closed by the server/);
  });

  it('timeout 0: the held connection stays open, nothing is recorded', async () => {
    const r = await redis([]);
    const w = watchFor();
    const target = targetOf(r.host, r.port);
    w.watch('cache', target, {});
    const started = Date.now();
    while (Date.now() - started < 2500) {
      await sleep(100);
      w.watch('cache', target, {});
    }
    expect(w.evidence('cache')).toBeUndefined();
    // The watch did hold a connection all along: it and redis-cli's are the server's two clients.
    expect(await r.cli('INFO', 'clients')).toMatch(/connected_clients:2\r?\n/);
  });

  it('a path that goes silent: the PING after the idle gets no reply → silent; a PONG keeps the connection', async () => {
    let answering = true;
    const proxy = await startFakeResp((args) => {
      if (args[0] === 'PING' && answering) return '+PONG\r\n';
      return 'ignore';
    });
    cleanups.push(() => proxy.close());
    const w = watchFor({ checkAfterMs: 300, timeoutMs: 500 });
    const target = targetOf(proxy.host, proxy.port);
    // Answering: the health PING is answered and the connection kept (one connection for many ticks).
    const started = Date.now();
    while (Date.now() - started < 1200) {
      w.watch('cache', target, {});
      await sleep(100);
    }
    expect(w.evidence('cache')).toBeUndefined();
    expect(proxy.connections()).toBe(1);
    expect(proxy.commands.filter((c) => c[0] === 'PING').length).toBeGreaterThan(1);
    answering = false;
    const record = await pollUntil(async () => {
      w.watch('cache', target, {});
      return w.evidence('cache');
    }, { what: 'the silent drop to be seen', timeoutMs: 5000, intervalMs: 100 });
    expect(record.how).toBe('silent');
    expect(record.idleSeconds).toBeGreaterThanOrEqual(0.3);
  });
});

describe('idle watch bounds', () => {
  it('holds no connection past maxTargets, and none after stop()', async () => {
    const calls: string[] = [];
    const w = new IdleWatch({ hold: async (t) => { calls.push(t.host); return { result: { up: false, step: 'tcp', durationMs: 0 } }; }, maxTargets: 1 });
    w.watch('a', targetOf('127.0.0.1', 1), {});
    w.watch('b', targetOf('127.0.0.2', 1), {});
    await sleep(10);
    w.stop();
    w.watch('a', targetOf('127.0.0.1', 1), {});
    expect(calls).toEqual(['127.0.0.1']);
  });
});

/**
 * The monitor's latency alert and restart history as pure functions (a slow
 * tick is a failed probe with code SLOW; target_up stays 1; run_id changes
 * kept within the window), the probe's sample on real redis-server
 * processes (a server blocked by DEBUG SLEEP from another client, an ACL
 * user that may not run INFO), and alerts.latencyMs in the config.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { probeUp, type UpResult } from '../../src/engine/index.js';
import { parseServerIdentity } from '../../src/engine/probes/up-sample.js';
import { parseConfig, ConfigError } from '../../src/config/load.js';
import { LATENCY_PINGS, outcomeOf, reportsUp, SLOW_CODE, withLatency } from '../../src/monitor/latency.js';
import { MAX_CHANGES, RESTART_WINDOW_MS, restartHistory, withRun } from '../../src/monitor/restarts.js';
import { transition, WINDOW, type TargetState } from '../../src/monitor/state-machine.js';
import { describeLab, need } from '../lab/guard.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { startTlsPair, type TlsPair } from '../lab/tls-pair.js';

const T = { failuresBeforeAlert: 2, successesBeforeRecovery: 2 };
const id = (c: string) => c.repeat(40);
const up = (p99Ms: number): UpResult => ({ up: true, step: 'redis', durationMs: 1, latency: { samplesMs: [1, p99Ms], p50Ms: 1, p99Ms, maxMs: p99Ms, slowest: 1 } });

describe('latency: a slow tick is a failed probe', () => {
  it('over the threshold → SLOW with the p99 and the threshold in its text; at or under it, or no threshold → ok; down stays down', () => {
    const slow = outcomeOf(up(180), 1, 50, (t) => t);
    expect(slow).toMatchObject({ ok: false, code: SLOW_CODE });
    expect(slow.error).toContain('p99 180 ms over 50 ms (alerts.latencyMs)');
    expect(outcomeOf(up(50), 1, 50, (t) => t)).toEqual({ ok: true, at: 1 });
    expect(outcomeOf(up(5000), 1, undefined, (t) => t)).toEqual({ ok: true, at: 1 });
    expect(outcomeOf({ up: false, step: 'tcp', code: 'ECONNREFUSED', detail: 'connect ECONNREFUSED pw=hunter2', durationMs: 1 }, 1, 50, (t) => t.replace('hunter2', '***'))).toEqual({ ok: false, at: 1, code: 'ECONNREFUSED', error: 'connect ECONNREFUSED pw=***' });
  });

  it('failuresBeforeAlert slow ticks open an incident, successesBeforeRecovery fast ones resolve it; target_up stays 1 throughout, 0 once it really fails', () => {
    let s: TargetState | undefined;
    let at = 0;
    const tick = (probe: UpResult) => {
      at += 5000;
      const moved = transition(s, outcomeOf(probe, at, 50, (t) => t), T, 'cache', at);
      s = withLatency(moved.next, probe, at);
      return moved.events.map((e) => e.kind);
    };
    expect(tick(up(1))).toEqual([]);
    expect(tick(up(120))).toEqual([]);
    expect(s!.status).toBe('suspect');
    expect(tick(up(130))).toEqual(['opened']);
    expect(s!.incident!.firstFailure).toMatchObject({ code: SLOW_CODE, error: expect.stringContaining('p99 120 ms over 50 ms') });
    expect(reportsUp(s!, true)).toBe(true);
    expect(s!.latency).toMatchObject({ p99Ms: 130, recent: [1, 120, 130] });
    expect(tick(up(2))).toEqual([]);
    expect(reportsUp(s!, true)).toBe(true);
    expect(tick(up(3))).toEqual(['resolved']);
    expect(s!.closed!.downtimeMs).toBe(10_000);
    // Slow, then refused while the incident is open: one incident, the failure changed, target_up 0.
    tick(up(200));
    tick(up(200));
    at += 5000;
    const refused = transition(s, { ok: false, at, code: 'ECONNREFUSED' }, T, 'cache', at);
    expect(refused.events).toEqual([{ kind: 'failure-changed', from: SLOW_CODE, to: 'ECONNREFUSED' }]);
    expect(reportsUp(refused.next, false)).toBe(false);
    // The kept p99s are bounded.
    for (let i = 0; i < 30; i++) tick(up(1));
    expect(s!.latency!.recent).toHaveLength(WINDOW);
  });
});

describe('restarts: run_id changes between ticks', () => {
  it('keeps the changes within the window, bounded, and hands them on', () => {
    let r = withRun(undefined, { runId: id('a'), uptimeSeconds: 5 }, 1000);
    expect(r).toEqual({ runId: id('a'), at: 1000, since: 1000, changes: [] });
    r = withRun(r, undefined, 2000);
    expect(r!.at).toBe(1000);
    r = withRun(r, { runId: id('a') }, 3000);
    expect(r!.changes).toEqual([]);
    r = withRun(r, { runId: id('b') }, 4000);
    r = withRun(r, { runId: id('c') }, 5000);
    expect(restartHistory(r)).toEqual({ runIdChanges: [{ at: 4000, runId: id('b') }, { at: 5000, runId: id('c') }], runIdsSince: 1000 });
    r = withRun(r, { runId: id('c') }, 5000 + RESTART_WINDOW_MS + 1);
    expect(r!.changes).toEqual([]);
    for (let i = 0; i < 3 * MAX_CHANGES; i++) r = withRun(r, { runId: String(i % 10).repeat(40) }, 1e12 + i);
    expect(r!.changes).toHaveLength(MAX_CHANGES);
    expect(restartHistory(undefined)).toEqual({});
  });

  it('parses run_id and uptime_in_seconds from INFO server text, and nothing from hostile text', () => {
    expect(parseServerIdentity(`# Server\r\nredis_version:7.0.15\r\nrun_id:${id('f')}\r\nuptime_in_seconds:42\r\n`)).toEqual({ runId: id('f'), uptimeSeconds: 42 });
    expect(parseServerIdentity(`run_id:${id('g')}\r\nuptime_in_seconds:-1\r\nuptime_in_seconds:1e9\r\n`)).toEqual({});
    expect(parseServerIdentity(`run_id:<@U1>${'x'.repeat(36)}\r\n${'a'.repeat(1_000_000)}`)).toEqual({});
  });
});

describe('alerts.latencyMs in the config', () => {
  const base = 'targets:\n  - {name: a, url: "redis://h:1"}\nalerts:\n  channel: C0123ABCD\n';
  it('accepts a positive number of ms; absent stays absent', () => {
    expect(parseConfig(`${base}  latencyMs: 50\n`, 'c.yaml').alerts?.latencyMs).toBe(50);
    expect(parseConfig(`${base}  latencyMs: 2.5\n`, 'c.yaml').alerts?.latencyMs).toBe(2.5);
    expect(parseConfig(base, 'c.yaml').alerts?.latencyMs).toBeUndefined();
  });
  it.each(['0', '-5', '"50ms"', 'true', '600001'])('latencyMs: %s → an error naming alerts.latencyMs', (v) => {
    expect(() => parseConfig(`${base}  latencyMs: ${v}\n`, 'c.yaml')).toThrow(ConfigError);
    expect(() => parseConfig(`${base}  latencyMs: ${v}\n`, 'c.yaml')).toThrow(/alerts\.latencyMs: must be/);
  });
});

describeLab('probeUp with the monitor\'s sample', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  let server: RedisServer;
  let pair: TlsPair;
  const at = () => ({ input: `127.0.0.1:${server.port}`, host: '127.0.0.1', port: server.port, tls: false });

  beforeAll(async () => {
    [server, pair] = await Promise.all([startRedis({ password: 'sample-secret-5' }), startTlsPair()]);
    await server.cli('ACL', 'SETUSER', 'noinfo', 'on', '>noinfo-pw', '+ping', '-info');
  });
  afterAll(async () => { await Promise.all([server?.stop(), pair?.stop()]); });

  it('over TLS: the sample rides the TLS connection', async () => {
    const port = pair.tlsRedis.port;
    const r = await probeUp({ input: `127.0.0.1:${port}`, host: '127.0.0.1', port, tls: true }, { tls: { ca: pair.material.ca }, timeoutMs: 2000, sample: { pings: 3, serverInfo: true } });
    expect(r).toMatchObject({ up: true, server: { runId: expect.stringMatching(/^[0-9a-f]{40}$/) } });
    expect(r.latency!.samplesMs).toHaveLength(3);
  });

  it('times LATENCY_PINGS PINGs and reads run_id and uptime on the same connection', async () => {
    const r = await probeUp(at(), { credentials: { password: 'sample-secret-5' }, timeoutMs: 2000, sample: { pings: LATENCY_PINGS, serverInfo: true } });
    expect(r).toMatchObject({ up: true, server: { runId: expect.stringMatching(/^[0-9a-f]{40}$/), uptimeSeconds: expect.any(Number) } });
    expect(r.latency!.samplesMs).toHaveLength(LATENCY_PINGS);
    expect(r.latency!.stopped).toBeUndefined();
    expect(r.sampleMs).toBeGreaterThan(0);
    const info = await server.cli('INFO', 'server');
    expect(info).toContain(`run_id:${r.server!.runId}`);
  });

  it('a user that may not run INFO: still up, a latency sample, no identity', async () => {
    const r = await probeUp(at(), { credentials: { user: 'noinfo', password: 'noinfo-pw' }, sample: { pings: 3, serverInfo: true } });
    expect(r.up).toBe(true);
    expect(r.latency!.samplesMs).toHaveLength(3);
    expect(r.server).toBeUndefined();
  });

  it('a server blocked by DEBUG SLEEP from another client: the sample sees it, the probe stays up', async () => {
    const blocker = new Redis({ host: '127.0.0.1', port: server.port, password: 'sample-secret-5', lazyConnect: true, maxRetriesPerRequest: 0 });
    await blocker.connect();
    let running = true;
    const loop = (async () => {
      for (let i = 0; running && i < 100; i++) await blocker.call('DEBUG', 'SLEEP', '0.2');
    })();
    try {
      await new Promise((r) => setTimeout(r, 50));
      const r = await probeUp(at(), { credentials: { password: 'sample-secret-5' }, timeoutMs: 3000, sample: { pings: LATENCY_PINGS } });
      expect(r.up).toBe(true);
      expect(r.latency!.p99Ms).toBeGreaterThan(50);
    } finally {
      running = false;
      await loop.catch(() => undefined);
      blocker.disconnect();
    }
  });

  it('a PING that does not come back within the bound ends the sample and counts as at least that slow', async () => {
    const blocker = new Redis({ host: '127.0.0.1', port: server.port, password: 'sample-secret-5', lazyConnect: true, maxRetriesPerRequest: 0 });
    await blocker.connect();
    try {
      // PINGs until the bound: the handshake answers first; then the server sleeps longer than what is left of it.
      const probe = probeUp(at(), { credentials: { password: 'sample-secret-5' }, timeoutMs: 1500, sample: { pings: 1_000_000 } });
      await new Promise((r) => setTimeout(r, 150));
      const sleeping = blocker.call('DEBUG', 'SLEEP', '2');
      const r = await probe;
      await sleeping;
      expect(r.up).toBe(true);
      expect(r.latency!.stopped).toBe('timeout');
      expect(r.latency!.maxMs).toBeGreaterThan(100);
    } finally {
      blocker.disconnect();
    }
  });
});

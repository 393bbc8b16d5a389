/**
 * Monitor.tick and the incident it keeps, on the real queue Redis (a unique
 * prefix) with scripted probe results, a scripted clock and a sink that
 * records what would be posted: exactly one alert per incident also with two
 * monitors ticking, reminders until ack, a changed cause, snooze, flapping,
 * recovery, a worker that died holding a claim, and secrets kept out.
 */
import { describe, expect, it } from 'vitest';
import type { Diagnosis, DiagnoseTarget, TargetHistory, UpResult } from '../../src/engine/index.js';
import { Logger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import type { AlertSink, IncidentNote, IncidentView } from '../../src/monitor/alert-sink.js';
import { IncidentActions } from '../../src/monitor/incident-actions.js';
import { Monitor, type AlertSettings } from '../../src/monitor/monitor.js';
import { IdleWatch } from '../../src/monitor/idle-watch.js';
import { MonitorStore } from '../../src/stores/monitor-store.js';
import { pollUntil } from '../lab/poll.js';
import { useQueueRedis } from '../slack/helpers/queue-redis.js';

const PASSWORD = 'monitor-unit-secret-77';
const SETTINGS: AlertSettings = { channel: 'C0ALERTS', intervalSeconds: 5, failuresBeforeAlert: 2, successesBeforeRecovery: 2, remindAfterMinutes: 1 };

interface Posted {
  kind: 'post' | 'update' | 'remove' | 'finding' | 'note';
  channel: string;
  ts?: string;
  thread?: string;
  view?: IncidentView;
  note?: IncidentNote;
  cause?: string;
}

function recordingSink(o: { postDelayMs?: number } = {}): AlertSink & { calls: Posted[]; fail: number; started: number } {
  let n = 0;
  const calls: Posted[] = [];
  const sink = {
    calls,
    fail: 0,
    /** Posts begun (a slow one is in flight until its delay ends). */
    started: 0,
    async post(channel: string, view: IncidentView) {
      if (sink.fail > 0) { sink.fail--; throw new Error('Slack answered internal_error'); }
      sink.started += 1;
      if (o.postDelayMs) await new Promise((r) => setTimeout(r, o.postDelayMs));
      n += 1;
      const ts = `1700000000.${String(n).padStart(6, '0')}`;
      calls.push({ kind: 'post', channel, ts, view });
      return ts;
    },
    async update(channel: string, ts: string, view: IncidentView) { calls.push({ kind: 'update', channel, ts, view }); },
    async remove(channel: string, ts: string) { calls.push({ kind: 'remove', channel, ts }); },
    async finding(channel: string, thread: string, f: { cause: string }) { calls.push({ kind: 'finding', channel, thread, cause: f.cause }); },
    async note(channel: string, thread: string, note: IncidentNote) { calls.push({ kind: 'note', channel, thread, note }); },
  };
  return sink;
}

function diagnosisFor(target: string, cause: string): Diagnosis {
  return {
    target: { input: target, name: target, host: '10.0.0.5', port: 6379, tls: false },
    verdict: 'unreachable', primaryCause: cause as Diagnosis['primaryCause'],
    findings: [
      { cause: cause as Diagnosis['findings'][number]['cause'], severity: 'critical', confidence: 'confirmed', title: `it is ${cause}`, evidence: [], remediations: [] },
      { cause: 'remote-check-failed', severity: 'info', confidence: 'confirmed', title: 'no ssh', evidence: [], remediations: [] },
    ],
    checks: [], durationMs: 1, startedAt: new Date().toISOString(), version: 'test',
  };
}

/** A world of scripted probe results ('+', or a failure code), a clock, and monitors sharing one store. */
function world(redis: ReturnType<typeof useQueueRedis>['redis'], prefix: string, settings: AlertSettings = SETTINGS) {
  let clock = 1_800_000_000_000;
  const results = new Map<string, string>();
  const diagnoses = new Map<string, Diagnosis>();
  const histories: TargetHistory[] = [];
  const store = new MonitorStore(redis, prefix);
  const metrics = new Metrics();
  const logs: string[] = [];
  const log = new Logger('debug', 'test', (l) => { logs.push(l); });
  const probe = async (t: DiagnoseTarget): Promise<UpResult> => {
    const r = results.get(t.name!) ?? '+';
    if (r === '+') return { up: true, step: 'redis', durationMs: 1 };
    return { up: false, step: 'tcp', code: r, detail: `connect ${r} (AUTH ${PASSWORD} was not even sent)`, durationMs: 1 };
  };
  const make = (sink: AlertSink, leaseMs?: number, maxReconciling?: number, idleWatch?: IdleWatch) => new Monitor({
    settings, store, sink, probe, metrics, log, timeoutMs: 500,
    resolve: (name) => ({ target: { input: name, name, host: '10.0.0.5', port: 6379, tls: false }, options: { credentials: { password: PASSWORD } } }),
    diagnose: async (name, id, history) => {
      histories.push(history);
      const code = results.get(name)!;
      const d = diagnosisFor(name, code === 'NOAUTH' ? 'auth-required' : 'connection-refused');
      diagnoses.set(id, d);
      return d;
    },
    findDiagnosis: async (id) => diagnoses.get(id),
    now: () => clock,
    ...(leaseMs !== undefined ? { leaseMs } : {}),
    ...(maxReconciling !== undefined ? { maxReconciling } : {}),
    ...(idleWatch ? { idleWatch } : {}),
  });
  return {
    store, metrics, logs, histories, results, make,
    advance: (ms: number) => { clock += ms; },
    now: () => clock,
    /** One scheduled tick (clock + 5 s), run by `monitor`. */
    tick: async (monitor: Monitor, target: string, result: string) => {
      results.set(target, result);
      clock += 5000;
      return monitor.tick(target, clock);
    },
  };
}

const posts = (calls: Posted[]) => calls.filter((c) => c.kind === 'post');
const notes = (calls: Posted[], kind: IncidentNote['kind']) => calls.filter((c) => c.kind === 'note' && c.note!.kind === kind);

describe('Monitor', () => {
  const { redis, prefix } = useQueueRedis();

  it('with an idle watch: a target that is up gets one held connection (with its credentials); how it was reaped reaches the incident\'s diagnosis', async () => {
    const w = world(redis, prefix);
    const held: { host: string; password?: string }[] = [];
    let reaped = false;
    const watch = new IdleWatch({
      now: w.now,
      // The engine's holdIdle is tested on real servers (test/monitor/idle-watch.test.ts); here: which target, which credentials, and what comes back.
      hold: async (t, o) => {
        held.push({ host: t.host, ...(o.credentials?.password ? { password: o.credentials.password } : {}) });
        return {
          result: { up: true, step: 'redis', durationMs: 1 },
          hold: { ended: () => (reaped ? { how: 'reset', idleMs: 350_000, at: w.now() } : undefined), idleMs: () => 0, ping: async () => 'pong', close: () => undefined },
        };
      },
    });
    const m = w.make(recordingSink(), undefined, undefined, watch);
    await w.tick(m, 'idle', '+');
    await new Promise((r) => setTimeout(r, 10));
    await w.tick(m, 'idle', '+');
    expect(held).toEqual([{ host: '10.0.0.5', password: PASSWORD }]);
    reaped = true;
    await w.tick(m, 'idle', '+');
    expect(watch.evidence('idle')).toMatchObject({ how: 'reset', idleSeconds: 350 });
    await w.tick(m, 'idle', 'ECONNREFUSED');
    await w.tick(m, 'idle', 'ECONNREFUSED');
    expect(w.histories.at(-1)?.idleClosed).toMatchObject({ how: 'reset', idleSeconds: 350 });
    watch.stop();
  });

  it('alerts once after two failed probes, with the findings in the thread, and resolves once', async () => {
    const w = world(redis, prefix);
    const sink = recordingSink();
    const m = w.make(sink);
    await w.tick(m, 'alpha', '+');
    await w.tick(m, 'alpha', 'ECONNREFUSED');
    expect(posts(sink.calls)).toHaveLength(0);
    await w.tick(m, 'alpha', 'ECONNREFUSED');
    await w.tick(m, 'alpha', 'ECONNREFUSED');
    expect(posts(sink.calls)).toHaveLength(1);
    const parent = posts(sink.calls)[0]!;
    expect(parent.view).toMatchObject({ target: 'alpha', cause: 'connection-refused', firstCode: 'ECONNREFUSED', reason: 'down', ref: expect.stringMatching(/^i\.alpha-/) });
    // The last good probe and the first failed one go to the diagnosis: the window the outage began in.
    expect(w.histories).toEqual([{ lastAnsweredAt: new Date(parent.view!.lastOkAt!).toISOString(), firstFailedAt: new Date(parent.view!.firstFailureAt).toISOString() }]);
    expect(sink.calls.filter((c) => c.kind === 'finding').map((c) => [c.cause, c.thread])).toEqual([['connection-refused', parent.ts], ['remote-check-failed', parent.ts]]);

    await w.tick(m, 'alpha', '+');
    await w.tick(m, 'alpha', '+');
    await w.tick(m, 'alpha', '+');
    expect(notes(sink.calls, 'recovered')).toHaveLength(1);
    expect(notes(sink.calls, 'recovered')[0]!.note).toMatchObject({ downtimeMs: 15_000, successes: 2 });
    const resolved = sink.calls.filter((c) => c.kind === 'update' && c.view?.resolvedAt !== undefined);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]!.ts).toBe(parent.ts);
    expect(posts(sink.calls)).toHaveLength(1);
    expect((await w.store.readState('alpha')).state!.closed).toBeUndefined();
    const text = await w.metrics.registry.metrics();
    expect(text).toMatch(/redis_doctor_alerts_total\{kind="alert"\} 1/);
    expect(text).toMatch(/redis_doctor_alerts_total\{kind="recovery"\} 1/);
    expect(text).toMatch(/redis_doctor_target_up\{target="alpha"\} 1/);
  });

  it('two monitors on one state: one alert, and a tick run twice counts once', async () => {
    const w = world(redis, prefix);
    const sinkA = recordingSink();
    const sinkB = recordingSink();
    const a = w.make(sinkA);
    const b = w.make(sinkB);
    await w.tick(a, 'beta', '+');
    w.results.set('beta', 'ECONNREFUSED');
    // The same scheduled tick delivered to both (a stalled job run again): counted once.
    w.advance(5000);
    const [ra, rb] = await Promise.all([a.tick('beta', w.now()), b.tick('beta', w.now())]);
    expect([ra.kind, rb.kind].sort()).toEqual(['counted', 'duplicate']);
    expect((await w.store.readState('beta')).state!.status).toBe('suspect');
    // The next ticks go to either; both try to reconcile at once.
    w.advance(5000);
    await Promise.all([a.tick('beta', w.now()), b.tick('beta', w.now() + 1)]);
    await w.tick(a, 'beta', 'ECONNREFUSED');
    await w.tick(b, 'beta', 'ECONNREFUSED');
    expect(posts(sinkA.calls).length + posts(sinkB.calls).length).toBe(1);
    expect(sinkA.calls.concat(sinkB.calls).filter((c) => c.kind === 'finding')).toHaveLength(2);
  });

  it('reminds once per period until someone acks, then never again', async () => {
    const w = world(redis, prefix);
    const sink = recordingSink();
    const m = w.make(sink);
    await w.tick(m, 'gamma', '+');
    await w.tick(m, 'gamma', 'ECONNREFUSED');
    await w.tick(m, 'gamma', 'ECONNREFUSED');
    expect(posts(sink.calls)).toHaveLength(1);
    for (let i = 0; i < 12; i++) await w.tick(m, 'gamma', 'ECONNREFUSED');
    // 60 s after the alert: the first reminder, once.
    expect(notes(sink.calls, 'reminder')).toHaveLength(1);
    w.advance(70_000);
    await w.tick(m, 'gamma', 'ECONNREFUSED');
    await w.tick(m, 'gamma', 'ECONNREFUSED');
    expect(notes(sink.calls, 'reminder')).toHaveLength(2);
    const id = posts(sink.calls)[0]!.view!.id;
    const actions = new IncidentActions(w.store, sink, SETTINGS);
    // From another channel (a forged or copied button): refused, and the reminders go on.
    expect(await actions.ack(id, 'U0MALLORY', 'C0ELSEWHERE')).toEqual({ kind: 'elsewhere', target: 'gamma', channel: 'C0ALERTS' });
    expect(await actions.ack(id, 'U0MALLORY', undefined)).toMatchObject({ kind: 'elsewhere' });
    w.advance(60_000);
    await w.tick(m, 'gamma', 'ECONNREFUSED');
    expect(notes(sink.calls, 'reminder')).toHaveLength(3);
    expect(notes(sink.calls, 'acked')).toHaveLength(0);
    expect(await actions.ack(id, 'U0BOB', 'C0ALERTS')).toMatchObject({ kind: 'acked', target: 'gamma', cause: 'connection-refused' });
    expect(await actions.ack(id, 'U0CAROL', 'C0ALERTS')).toEqual({ kind: 'already', target: 'gamma', by: 'U0BOB' });
    expect(notes(sink.calls, 'acked')).toHaveLength(1);
    expect(sink.calls.filter((c) => c.kind === 'update').at(-1)!.view!.ackedBy).toBe('U0BOB');
    w.advance(200_000);
    for (let i = 0; i < 3; i++) await w.tick(m, 'gamma', 'ECONNREFUSED');
    expect(notes(sink.calls, 'reminder')).toHaveLength(3);
    expect(await w.metrics.registry.metrics()).toMatch(/redis_doctor_alerts_total\{kind="reminder"\} 3/);
  });

  it('diagnoses again when the failure changes, and tells a new cause once', async () => {
    const w = world(redis, prefix);
    const sink = recordingSink();
    const m = w.make(sink);
    await w.tick(m, 'delta', '+');
    await w.tick(m, 'delta', 'ECONNREFUSED');
    await w.tick(m, 'delta', 'ECONNREFUSED');
    await w.tick(m, 'delta', 'NOAUTH');
    await w.tick(m, 'delta', 'NOAUTH');
    await w.tick(m, 'delta', 'NOAUTH');
    const changed = notes(sink.calls, 'cause-changed');
    expect(changed).toHaveLength(1);
    expect(changed[0]!.note).toMatchObject({ from: 'connection-refused', to: 'auth-required', probeCode: 'NOAUTH' });
    expect(sink.calls.filter((c) => c.kind === 'update').at(-1)!.view!.cause).toBe('auth-required');
    expect(w.histories).toHaveLength(2);
    expect(posts(sink.calls)).toHaveLength(1);
  });

  it('says flapping once per incident, and keeps one incident while it flaps', async () => {
    const w = world(redis, prefix);
    const sink = recordingSink();
    const m = w.make(sink);
    await w.tick(m, 'eps', '+');
    for (const r of ['ECONNREFUSED', 'ECONNREFUSED', '+', 'ECONNREFUSED', '+', 'ECONNREFUSED', '+', 'ECONNREFUSED']) await w.tick(m, 'eps', r);
    expect(posts(sink.calls)).toHaveLength(1);
    expect(notes(sink.calls, 'flapping')).toHaveLength(1);
    expect(notes(sink.calls, 'recovered')).toHaveLength(0);
  });

  it('a snooze keeps the incident silent; when it ends, the incident still open is alerted', async () => {
    const w = world(redis, prefix);
    const sink = recordingSink();
    const m = w.make(sink);
    await w.tick(m, 'zeta', '+');
    await w.store.snooze({ target: 'zeta', by: 'U0BOB', at: w.now(), until: w.now() + 3_600_000 }, w.now());
    for (let i = 0; i < 4; i++) await w.tick(m, 'zeta', 'ECONNREFUSED');
    expect((await w.store.readState('zeta')).state!.status).toBe('down');
    expect(sink.calls).toHaveLength(0);
    // The stored snooze says until when; past that (by the clock), the alert goes out.
    w.advance(3_600_000);
    await w.tick(m, 'zeta', 'ECONNREFUSED');
    expect(posts(sink.calls)).toHaveLength(1);
  });

  it('a claim left by a worker that died before posting delays the alert by its lease only', async () => {
    const w = world(redis, prefix);
    const sink = recordingSink();
    const m = w.make(sink, 300);
    await w.tick(m, 'eta', '+');
    await w.tick(m, 'eta', 'ECONNREFUSED');
    // Another worker claimed the post and was SIGKILLed before posting (its lease runs 300 ms).
    const id = `eta-${(w.now() + 5000).toString(36)}`;
    expect(await w.store.claim(id, 'post', 'dead-worker', 300)).toBe(true);
    await w.tick(m, 'eta', 'ECONNREFUSED');
    expect(posts(sink.calls)).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 400));
    await w.tick(m, 'eta', 'ECONNREFUSED');
    await w.tick(m, 'eta', 'ECONNREFUSED');
    expect(posts(sink.calls)).toHaveLength(1);
  });

  it('retries a post Slack refused on the next tick, and deletes a copy posted after a lease ran out', async () => {
    const w = world(redis, prefix);
    const sink = recordingSink();
    sink.fail = 1;
    const m = w.make(sink);
    await w.tick(m, 'theta', '+');
    await w.tick(m, 'theta', 'ECONNREFUSED');
    await expect(w.tick(m, 'theta', 'ECONNREFUSED')).rejects.toThrow('internal_error');
    await w.tick(m, 'theta', 'ECONNREFUSED');
    expect(posts(sink.calls)).toHaveLength(1);

    // A post slower than the lease: a second monitor claims and posts meanwhile; the slow one deletes its copy.
    const slow = recordingSink({ postDelayMs: 1500 });
    const fast = recordingSink();
    const a = w.make(slow, 100);
    const b = w.make(fast, 100);
    await w.tick(a, 'iota', '+');
    await w.tick(a, 'iota', 'ECONNREFUSED');
    const first = w.tick(a, 'iota', 'ECONNREFUSED');
    // Once the slow post is in flight and its lease (100 ms) has run out.
    await pollUntil(async () => (slow.started > 0 ? true : undefined), { what: 'the slow post in flight', timeoutMs: 5000, intervalMs: 10 });
    await new Promise((r) => setTimeout(r, 200));
    await w.tick(b, 'iota', 'ECONNREFUSED');
    await first;
    expect(posts(fast.calls)).toHaveLength(1);
    expect(posts(slow.calls)).toHaveLength(1);
    expect(slow.calls.filter((c) => c.kind === 'remove').map((c) => c.ts)).toEqual([posts(slow.calls)[0]!.ts]);
    const rec = await w.store.incident(posts(fast.calls)[0]!.view!.id);
    expect(rec!.ts).toBe(posts(fast.calls)[0]!.ts);
  });

  it('a slow Slack holds at most maxReconciling incidents: other ticks go on probing, their alerts follow', async () => {
    const w = world(redis, prefix);
    const sink = recordingSink({ postDelayMs: 600 });
    const m = w.make(sink, undefined, 1);
    for (const t of ['mu', 'nu']) {
      await w.tick(m, t, '+');
      await w.tick(m, t, 'ECONNREFUSED');
    }
    // mu's incident opens and its alert is being posted (slowly)…
    w.results.set('mu', 'ECONNREFUSED');
    w.advance(5000);
    const slow = m.tick('mu', w.now());
    await new Promise((r) => setTimeout(r, 100));
    // …meanwhile nu's tick is counted at once and leaves its alert for later.
    const started = Date.now();
    const r = await w.tick(m, 'nu', 'ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(300);
    expect(r.kind === 'counted' && r.state.status).toBe('down');
    await slow;
    expect(posts(sink.calls).map((c) => c.view!.target)).toEqual(['mu']);
    await w.tick(m, 'nu', 'ECONNREFUSED');
    expect(posts(sink.calls).map((c) => c.view!.target)).toEqual(['mu', 'nu']);
  });

  it('backs off after a failed reconcile instead of trying on every tick', async () => {
    const w = world(redis, prefix);
    const sink = recordingSink();
    const m = w.make(sink);
    await w.tick(m, 'xi', '+');
    await w.tick(m, 'xi', 'ECONNREFUSED');
    sink.fail = 3;
    const attempts = () => 3 - sink.fail;
    await expect(w.tick(m, 'xi', 'ECONNREFUSED')).rejects.toThrow('internal_error');
    expect(attempts()).toBe(1);
    await expect(w.tick(m, 'xi', 'ECONNREFUSED')).rejects.toThrow('internal_error');
    expect(attempts()).toBe(2);
    // Now 10 s (two intervals) before the next try: one tick passes without one.
    await w.tick(m, 'xi', 'ECONNREFUSED');
    expect(attempts()).toBe(2);
    await expect(w.tick(m, 'xi', 'ECONNREFUSED')).rejects.toThrow('internal_error');
    expect(attempts()).toBe(3);
    for (let i = 0; i < 4; i++) await w.tick(m, 'xi', 'ECONNREFUSED');
    expect(posts(sink.calls)).toHaveLength(1);
  });

  it('keeps the target password out of the state, the incident and the logs', async () => {
    const w = world(redis, prefix);
    const sink = recordingSink();
    const m = w.make(sink);
    await w.tick(m, 'kappa', '+');
    await w.tick(m, 'kappa', 'ECONNREFUSED');
    await w.tick(m, 'kappa', 'ECONNREFUSED');
    const state = await redis.hget(w.store.key('state', 'kappa'), 's');
    expect(state).toContain('<redacted>');
    const id = posts(sink.calls)[0]!.view!.id;
    const all = [state, JSON.stringify(await redis.hgetall(w.store.key('incident', id))), JSON.stringify(sink.calls), w.logs.join('')];
    for (const text of all) expect(text).not.toContain(PASSWORD);
  });
});

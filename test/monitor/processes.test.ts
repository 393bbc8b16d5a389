/**
 * The monitor across processes (issue #8): the web process only queues and
 * answers Slack; worker processes started like `npm run worker` share the
 * `monitor` queue on the queue Redis.
 *
 *  1. two workers tick the same target: one alert per incident;
 *  2. both killed mid-incident (SIGKILL), a new worker continues the stored
 *     state: no second alert, and the recovery is posted in the same thread;
 *  3. a worker SIGKILLed after claiming the alert and while its post is in
 *     flight: the claim does not strand the incident — once its lease runs
 *     out, the next worker posts the alert, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../lab/poll.js';
import { startWorkerChild, type WorkerChild } from '../faults/helpers/worker-child.js';
import { stopProcess } from '../lab/procs.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { alertsOf, nextTick, readState, replyWithBlock, Switchable } from './helpers.js';

const CHANNEL = 'C0ALERTS';
const LEASE_MS = 3000;

interface WorkerProcess extends WorkerChild {
  /** The targets it ticked (its debug log lines). */
  ticked(): string[];
}

describe('the monitor in separate worker processes', () => {
  let target: Switchable;
  let other: Switchable;
  let web: Harness;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    [target, other] = await Promise.all([Switchable.start(), Switchable.start()]);
    web = await startHarness({
      config: [
        'targets:',
        `  - { name: shared, url: "redis://127.0.0.1:${target.port}" }`,
        `  - { name: leased, url: "redis://127.0.0.1:${other.port}" }`,
        'alerts:',
        `  channel: ${CHANNEL}`,
        '  intervalSeconds: 5',
      ].join('\n'),
      env: { REDIS_DOCTOR_INLINE_WORKER: 'false' },
    });
  });
  afterAll(async () => {
    for (const w of workers) await stopProcess(w.child, 0).catch(() => undefined);
    await web?.stop();
    await Promise.all([target?.stop(), other?.stop()]);
  });

  async function startWorker(): Promise<WorkerProcess> {
    const w = await startWorkerChild(web.env, { bot: { monitor: { leaseMs: LEASE_MS } }, env: { LOG_LEVEL: 'debug' } });
    const ticked = () => w.lines().flatMap((l) => [...l.matchAll(/"msg":"monitor tick","target":"([a-z-]+)"/g)].map((m) => m[1]!));
    const worker = { ...w, ticked };
    workers.push(worker);
    return worker;
  }

  it('two workers: one alert; both killed mid-incident, a new worker continues it and posts the recovery', async () => {
    const [a, b] = await Promise.all([startWorker(), startWorker()]);
    let s = await nextTick(web.redis, web.prefix, 'shared', undefined, 30_000);
    await target.down();
    await web.double.waitFor('the alert', () => alertsOf(web.double, 'shared').length > 0, 30_000);
    const parent = alertsOf(web.double, 'shared')[0]!;
    await web.double.waitFor('its findings', () => replyWithBlock(web.double, parent.ts, 'finding:connection-refused').length > 0);
    // Three more ticks, shared by both workers: still one alert.
    s = (await readState(web.redis, web.prefix, 'shared'))!;
    for (let i = 0; i < 3; i++) s = await nextTick(web.redis, web.prefix, 'shared', s.lastTick);
    expect(alertsOf(web.double, 'shared')).toHaveLength(1);
    expect(a.ticked().length + b.ticked().length).toBeGreaterThanOrEqual(5);
    expect(a.ticked().length).toBeGreaterThan(0);
    expect(b.ticked().length).toBeGreaterThan(0);

    // Both die mid-incident; a new worker picks up the stored state and schedule.
    await Promise.all([a.kill(), b.kill()]);
    const c = await startWorker();
    s = await nextTick(web.redis, web.prefix, 'shared', s.lastTick, 30_000);
    expect(s.status).toBe('down');
    expect(s.incident?.id).toBe(parent.body.blocks!.flatMap((blk) => blk.elements ?? []).find((e) => e.action_id?.startsWith('ack:'))!.action_id!.slice('ack:i.'.length));
    await target.restart();
    await web.double.waitFor('the recovery in the same thread', () => replyWithBlock(web.double, parent.ts, 'recovered').length > 0, 30_000);
    expect(c.ticked()).toContain('shared');
    expect(alertsOf(web.double, 'shared')).toHaveLength(1);
    await web.double.waitFor('the parent resolved', () => web.double.ok('chat.update').some((u) => u.body.ts === parent.ts && (u.body.text ?? '').includes('recovered')));
  }, 150_000);

  it('a worker killed between claiming the alert and posting it: the next worker posts it once its lease ends', async () => {
    for (const w of workers) await w.kill();
    const d = await startWorker();
    let s = await nextTick(web.redis, web.prefix, 'leased', undefined, 30_000);
    web.double.hang('chat.postMessage');
    await other.down();
    // d claims the post and sends chat.postMessage, which never returns: killed right there.
    await web.double.waitFor('the alert post in flight', (calls) => calls.some((c) => c.method === 'chat.postMessage' && c.status === 0 && (c.body.blocks ?? [])[0]?.block_id === 'alert:leased'), 30_000);
    const claim = await pollUntil(async () => {
      const keys = await web.keys();
      return keys.find((k) => /:store:monitor:claim:leased-[a-z0-9]+:post$/.test(k));
    }, { what: 'the claim on the post', timeoutMs: 5000, intervalMs: 50 });
    const ttl = await web.redis.pttl(claim);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(LEASE_MS);
    await d.kill();
    web.double.unhang('chat.postMessage');

    const e = await startWorker();
    await web.double.waitFor('the alert posted by the next worker', () => alertsOf(web.double, 'leased').length > 0, 40_000);
    s = (await readState(web.redis, web.prefix, 'leased'))!;
    s = await nextTick(web.redis, web.prefix, 'leased', s.lastTick);
    s = await nextTick(web.redis, web.prefix, 'leased', s.lastTick);
    expect(alertsOf(web.double, 'leased')).toHaveLength(1);
    expect(e.ticked()).toContain('leased');
    const id = s.incident!.id;
    expect(await web.redis.hget(`${web.prefix}:store:monitor:incident:${id}`, 'ts')).toBe(alertsOf(web.double, 'leased')[0]!.ts);
  }, 120_000);
});

/**
 * A monitor must not page because its own host is busy (issue #20: at load
 * 17–26 on 2 cores the bot's probes of healthy targets waited on a starved
 * event loop past their bound; 4,073 healthy targets went `down`). A worker
 * process, started as `npm run worker` starts one, has its event loop blocked
 * on purpose (test/lab/starve-loop.mjs: 1.5 s of busy loop right after each
 * connection to the healthy target opens, longer than the 1 s probe bound):
 *
 *  - the healthy target (a real redis-server) times out every tick, yet its
 *    probes are inconclusive: no incident, no alert; counted in
 *    redis_doctor_monitor_probes_inconclusive_total, logged, and the worker
 *    says it is overloaded (log line, redis_doctor_monitor_overloaded);
 *  - a really dropped target (iptables DROP in a network namespace: its SYNs
 *    are swallowed), probed by the same starved worker between the blocks,
 *    still alerts.
 *
 * Without the guard (Monitor's loopLag) the healthy target is alerted on.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { stopProcess } from '../lab/procs.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { startWorkerChild, type WorkerChild } from '../faults/helpers/worker-child.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { alertsOf, nextTick, readState } from './helpers.js';

const CHANNEL = 'C0ALERTS';
const STARVE = pathToFileURL(join(import.meta.dirname, '..', 'lab', 'starve-loop.mjs')).href;

describeLab('the monitor in a starved worker process', [need.root(), need.netns(), need.binary('iptables'), need.binary('redis-server')], () => {
  let healthy: RedisServer;
  let ns: Netns;
  let web: Harness;
  let worker: WorkerChild | undefined;

  beforeAll(async () => {
    healthy = await startRedis();
    ns = await createNetns();
    await ns.iptables(['-A', 'INPUT', '-p', 'tcp', '--dport', '6379', '-j', 'DROP']);
    web = await startHarness({
      config: [
        'targets:',
        `  - { name: a-healthy, url: "redis://127.0.0.1:${healthy.port}" }`,
        `  - { name: b-dropped, url: "redis://${ns.nsAddress}:6379" }`,
        'alerts:',
        `  channel: ${CHANNEL}`,
        '  intervalSeconds: 5',
        '  failuresBeforeAlert: 2',
      ].join('\n'),
      env: { REDIS_DOCTOR_INLINE_WORKER: 'false', REDIS_DOCTOR_TIMEOUT_MS: '1000' },
    });
  });
  afterAll(async () => {
    if (worker) await stopProcess(worker.child, 0).catch(() => undefined);
    await web?.stop();
    await healthy?.stop();
    await ns?.destroy();
  });

  it('a healthy target behind a blocked loop: inconclusive, no alert, the overload said; a dropped one still alerts', async () => {
    worker = await startWorkerChild(web.env, {
      env: {
        LOG_LEVEL: 'debug', REDIS_DOCTOR_TIMEOUT_MS: '1000',
        STARVE_PORT: String(healthy.port), STARVE_MS: '1500',
        NODE_OPTIONS: [web.env.NODE_OPTIONS, `--import=${STARVE}`].filter(Boolean).join(' '),
      },
    });
    // The dropped target: two failed ticks, then the alert — from the same starved worker.
    await nextTick(web.redis, web.prefix, 'b-dropped', undefined, 30_000);
    await web.double.waitFor('the dropped target\'s alert', () => alertsOf(web.double, 'b-dropped').length > 0, 40_000);
    // Meanwhile, and for two more intervals, the healthy target's probes timed out behind the blocked loop.
    const inconclusive = () => worker!.lines().filter((l) => l.includes('monitor probes inconclusive')).length;
    let s = await readState(web.redis, web.prefix, 'b-dropped');
    for (let i = 0; i < 2; i++) s = await nextTick(web.redis, web.prefix, 'b-dropped', s?.lastTick, 20_000);
    // The healthy target: no incident, no alert, never counted as failing.
    expect(alertsOf(web.double, 'a-healthy')).toHaveLength(0);
    const state = await readState(web.redis, web.prefix, 'a-healthy');
    expect(state?.status ?? 'up').toBe('up');
    expect(state?.failures ?? 0).toBe(0);
    expect(inconclusive()).toBeGreaterThan(0);
    expect(worker.lines().some((l) => l.includes('monitor overloaded'))).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
    const count = Number(/^redis_doctor_monitor_probes_inconclusive_total (\d+)/m.exec(metrics)?.[1]);
    expect(count).toBeGreaterThanOrEqual(3);
    expect(metrics).toMatch(/^redis_doctor_monitor_overloaded 1$/m);
    // The dropped target's alert is a real one: its probes were not starved (no block in their window).
    expect(alertsOf(web.double, 'b-dropped')).toHaveLength(1);
  }, 120_000);
});

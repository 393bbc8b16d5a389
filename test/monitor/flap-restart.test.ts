/**
 * Flapping holds, across a restart of the bot (issue 21): a real redis-server
 * toggled by a bounded supervisor — down 6 s, up 5 s — is probed every 5 s by a
 * worker process that is restarted once in the middle: in the first up-window
 * after the incident flapped, then three more cycles (38 s in all). Before
 * the fix the restarted worker ran the tick due meanwhile late and the next on
 * time, two good probes landed in one up-window, the incident resolved and a
 * second one opened. Now: one incident, resolved only once the target has
 * answered every probe for the whole flap window (10 intervals).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startWorkerChild, type WorkerChild } from '../faults/helpers/worker-child.js';
import { describeLab, need } from '../lab/guard.js';
import { stopProcess } from '../lab/procs.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { alertsOf, readState, replyWithBlock, Switchable } from './helpers.js';

const CHANNEL = 'C0ALERTS';
const INTERVAL_S = 5;
/** The bound of the flapping phase (it ends earlier: CYCLES_AFTER_RESTART after the restart). */
const FLAP_MS = 90_000;
const DOWN_MS = 6000;
const UP_MS = 5000;
const CYCLES_AFTER_RESTART = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeLab('a flapping target across a restart of the bot', [need.binary('redis-server')], () => {
  let target: Switchable;
  let web: Harness;
  const workers: WorkerChild[] = [];

  beforeAll(async () => {
    target = await Switchable.start();
    web = await startHarness({
      config: ['targets:', `  - { name: flappy, url: "redis://127.0.0.1:${target.port}" }`, 'alerts:', `  channel: ${CHANNEL}`, `  intervalSeconds: ${INTERVAL_S}`].join('\n'),
      env: { REDIS_DOCTOR_INLINE_WORKER: 'false' },
    });
  }, 60_000);
  afterAll(async () => {
    for (const w of workers) await stopProcess(w.child, 0).catch(() => undefined);
    await web?.stop();
    await target?.stop();
  });

  async function startWorker(): Promise<WorkerChild> {
    const w = await startWorkerChild(web.env);
    workers.push(w);
    return w;
  }

  it('down 6 s / up 5 s with one restart while the incident is open: one incident, resolved after a whole steady flap window', async () => {
    let worker = await startWorker();
    const t0 = Date.now();
    // The supervisor: bounded in cycles and time.
    const cycles = Math.ceil(FLAP_MS / (DOWN_MS + UP_MS));
    let restartedAt: number | undefined;
    for (let i = 0; i < cycles && Date.now() - t0 < FLAP_MS + 30_000; i++) {
      if (restartedAt !== undefined && i - restartedAt > CYCLES_AFTER_RESTART) break;
      await target.down();
      await sleep(DOWN_MS);
      await target.restart();
      const incident = restartedAt === undefined ? (await readState(web.redis, web.prefix, 'flappy'))?.incident : undefined;
      if (incident && (incident.reason === 'flapping' || incident.flaps > 0)) {
        // The restart of the bot, in an up-window of the incident once it flapped (its resolution then holds for
        // the flap window): the tick due meanwhile runs late, the next on time.
        restartedAt = i;
        await worker.kill('SIGTERM');
        worker = await startWorker();
      }
      await sleep(UP_MS);
    }
    expect(restartedAt).toBeDefined();
    await web.double.waitFor('the alert of flappy', () => alertsOf(web.double, 'flappy').length > 0, 30_000);
    expect(alertsOf(web.double, 'flappy')).toHaveLength(1);
    const parent = alertsOf(web.double, 'flappy')[0]!;
    const steadyFrom = Date.now();
    // Steady now: resolved only after the whole flap window (10 intervals), in the same thread.
    await web.double.waitFor('the recovery', () => replyWithBlock(web.double, parent.ts, 'recovered').length > 0, 120_000);
    expect(Date.now() - steadyFrom).toBeGreaterThanOrEqual(10 * INTERVAL_S * 1000 - 2 * INTERVAL_S * 1000);
    expect(alertsOf(web.double, 'flappy')).toHaveLength(1);
    expect(replyWithBlock(web.double, parent.ts, 'flapping').length).toBeLessThanOrEqual(1);
    const s = await readState(web.redis, web.prefix, 'flappy');
    expect(s?.incident).toBeUndefined();
  }, 300_000);
});

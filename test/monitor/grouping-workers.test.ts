/**
 * Grouping with several workers (issue #21, "Grouping"): the web process only
 * answers Slack; two worker processes (as `npm run worker`) share the
 * `monitor` queue and tick the targets in turn. Eight real redis-servers on
 * one host stopped together are still one message in the channel, each
 * target once in its thread: joining a group is a Lua script on the queue
 * Redis, so two workers never post a second group or a member twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerChild, type WorkerChild } from '../faults/helpers/worker-child.js';
import { stopProcess } from '../lab/procs.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { blockIds, textOf, type Call } from '../slack/helpers/slack-double.js';
import { nextTick, repliesTo, Switchable } from './helpers.js';

const CHANNEL = 'C0ALERTS';
const N = 8;
const names = Array.from({ length: N }, (_, i) => `w${i}`);

describe('grouped alerts across worker processes', () => {
  let servers: Switchable[] = [];
  let web: Harness;
  const workers: WorkerChild[] = [];

  beforeAll(async () => {
    servers = await Promise.all(names.map(() => Switchable.start()));
    web = await startHarness({
      config: [
        'targets:',
        ...names.map((n, i) => `  - { name: ${n}, url: "redis://127.0.0.1:${servers[i]!.port}" }`),
        'alerts:',
        `  channel: ${CHANNEL}`,
        '  intervalSeconds: 5',
        '  groupWaitSeconds: 120',
      ].join('\n'),
      env: { REDIS_DOCTOR_INLINE_WORKER: 'false' },
    });
    for (let i = 0; i < 2; i++) workers.push(await startWorkerChild(web.env, { bot: { monitor: { leaseMs: 5000 } } }));
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) await stopProcess(w.child, 0).catch(() => undefined);
    await web?.stop();
    await Promise.all(servers.map((s) => s.stop()));
  });

  const parents = (): Call[] => web.double.ok('chat.postMessage').filter((c) => !c.body.thread_ts && c.body.channel === CHANNEL);
  const heads = (ts: string | undefined): Call[] => repliesTo(web.double, ts).filter((c) => blockIds(c)[0]?.startsWith('alert:') && !web.double.ok('chat.delete').some((x) => x.body.ts === c.ts));

  it('posts one group message and each target once in its thread', async () => {
    await Promise.all(names.map((n) => nextTick(web.redis, web.prefix, n, undefined, 60_000)));
    await Promise.all(servers.map((s) => s.down()));
    await web.double.waitFor('the first alert', () => parents().length > 0, 60_000);
    const group = parents()[0]!;
    await web.double.waitFor('all in the group', () => web.double.ok('chat.update').some((c) => c.body.ts === group.ts && textOf(c).includes(`${N} of ${N} targets down together`)), 120_000);
    await web.double.waitFor('each target in the thread', () => heads(group.ts).length === N, 60_000);
    // A few more ticks of every target on both workers: still one message, each target once.
    await Promise.all(names.map(async (n) => {
      const s = await nextTick(web.redis, web.prefix, n, undefined);
      await nextTick(web.redis, web.prefix, n, s.lastTick, 30_000);
    }));
    expect(parents()).toHaveLength(1);
    expect(heads(group.ts).map((c) => blockIds(c)[0]).sort()).toEqual(names.map((n) => `alert:${n}`).sort());
  }, 300_000);
});

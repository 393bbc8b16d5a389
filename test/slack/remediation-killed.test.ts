/**
 * At most once when a worker dies mid-fix: a worker process (as `npm run
 * worker`) claims an approved fix, writes the command to a target that was
 * frozen with SIGSTOP (the kernel completes the TCP handshake and takes the
 * bytes, no reply ever comes), and is SIGKILLed while waiting for the reply.
 * BullMQ's stalled check hands the job to the next worker, which finds the
 * ledger `running` and records `unknown` — reported in the thread, never
 * sent again. The command count is read on the target itself once it runs again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBot, type Bot } from '../../src/bot.js';
import { startWorkerChild, type WorkerChild } from '../faults/helpers/worker-child.js';
import { commandCalls } from '../lab/commandstats.js';
import { pollUntil } from '../lab/poll.js';
import { stopProcess } from '../lab/procs.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { fillMemory } from '../lab/redis-states.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { auditRecords } from './helpers/redis-keys.js';
import { actionIds, blockIds, textOf, type Call } from './helpers/slack-double.js';

const STALLS = { lockDurationMs: 2000, stalledIntervalMs: 250, maxStalledCount: 1 };

describe('a worker killed between sending a fix and its reply', () => {
  let target: RedisServer;
  let web: Harness;
  let worker: Bot | undefined;
  let child: WorkerChild | undefined;
  let frozen = false;

  beforeAll(async () => {
    target = await startRedis();
    await fillMemory(target);
    web = await startHarness({
      config: ['targets:', '  - name: cache', `    url: redis://127.0.0.1:${target.port}`, '    fixes: automatic', 'access:', '  diagnose: [U0ALICE, U0BOSS]', '  approvers: [U0BOSS]'].join('\n'),
      // The web process only queues: every job runs in a worker this test controls.
      env: { REDIS_DOCTOR_INLINE_WORKER: 'false' },
    });
  });
  afterAll(async () => {
    if (child) await stopProcess(child.child, 0);
    await worker?.stop();
    await web?.stop();
    if (target) {
      if (frozen) process.kill(target.pid, 'SIGCONT');
      await target.stop();
    }
  });

  it('records unknown, says so in the thread, and does not send it again', async () => {
    // A worker in this process diagnoses; it is stopped before the fix is approved.
    const diagnoser = await startBot({ role: 'worker', env: web.env, write: () => undefined, stalls: STALLS });
    await web.command({ text: 'cache', channel: 'C0KILL' });
    const isFinding = (c: Call) => c.method === 'chat.postMessage' && c.status === 200 && blockIds(c).includes('finding:memory-limit-reached');
    await web.double.waitFor('the memory finding', (calls) => calls.some(isFinding), 20_000);
    await diagnoser.stop();
    const finding = web.double.calls.find(isFinding)!;
    await web.click(finding, 'remediate:set-eviction-policy', 'U0ALICE');
    const isRequest = (c: Call) => c.method === 'chat.postMessage' && blockIds(c).some((id) => id.startsWith('approval:'));
    await web.double.waitFor('the approval request', (calls) => calls.some(isRequest));
    const request = web.double.calls.find(isRequest)!;
    const id = actionIds(request)[0]!.slice('approve:'.length);

    await target.cli('CONFIG', 'RESETSTAT');
    process.kill(target.pid, 'SIGSTOP');
    frozen = true;
    // A long command bound: the worker is still waiting for the reply when it is killed.
    child = await startWorkerChild(web.env, { bot: { stalls: STALLS }, env: { REDIS_DOCTOR_TIMEOUT_MS: '30000', LOG_LEVEL: 'warn' } });
    await web.click(request, `approve:${id}`, 'U0BOSS');
    const ledger = `${web.prefix}:store:remediation:${id}`;
    await pollUntil(async () => ((await web.redis.hget(ledger, 'state')) === 'running' ? true : undefined), { what: 'the fix claimed by the worker process', timeoutMs: 20_000, intervalMs: 20 });
    // Give the claimed attempt a moment to write the command, then kill it while it waits for the reply.
    await new Promise((r) => setTimeout(r, 200));
    await child.kill('SIGKILL');

    worker = await startBot({ role: 'worker', env: web.env, write: () => undefined, stalls: STALLS });
    const isOutcome = (c: Call) => c.method === 'chat.postMessage' && blockIds(c).includes(`outcome:${id}`);
    await web.double.waitFor('the outcome in the thread', (calls) => calls.some(isOutcome), 30_000);
    const outcome = web.double.calls.find(isOutcome)!;
    expect(textOf(outcome)).toContain('Outcome unknown');
    expect(textOf(outcome)).toContain('not sent again');
    expect(outcome.body.thread_ts).toBe(finding.body.thread_ts);
    expect(await web.redis.hget(ledger, 'state')).toBe('unknown');
    await web.double.waitFor('the approval message saying unknown', (calls) => calls.some((c) => c.method === 'chat.update' && c.body.ts === request.ts && textOf(c).includes('*outcome unknown*')));

    // On the target, once it runs again: the one command written before the kill, at most — never a second.
    process.kill(target.pid, 'SIGCONT');
    frozen = false;
    await new Promise((r) => setTimeout(r, 500));
    // (Here it is 1: the bytes sat in the frozen server's socket buffer and ran when it resumed — "may have run" indeed.)
    expect(await commandCalls(target, 'config|set')).toBeLessThanOrEqual(1);
    const events = (await auditRecords(web.redis, web.prefix)).filter((r) => Object.values(r).includes(id)).map((r) => r.event);
    expect(events).toEqual(['requested', 'approved', 'started', 'unknown']);
  }, 120_000);
});

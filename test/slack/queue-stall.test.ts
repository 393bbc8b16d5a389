/**
 * A stalled queue Redis (SIGSTOPped, then resumed): adds that timed out on
 * the client still land when it resumes. Every command must end in exactly
 * one diagnosis — run in the web process meanwhile, or by a worker once the
 * job lands — never two threads, never "try again" for a job that then runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { blockIds, type Call } from './helpers/slack-double.js';

describe('a queue Redis that stalls and resumes', () => {
  let queue: RedisServer;
  let target: RedisServer;
  let frozen: RedisServer;
  let h: Harness;

  beforeAll(async () => {
    queue = await startRedis();
    target = await startRedis();
    // SIGSTOPped: its diagnosis waits out the 4 s step timeout, keeping the web process busy.
    frozen = await startRedis();
    process.kill(frozen.pid, 'SIGSTOP');
    h = await startHarness({
      redisUrl: `redis://127.0.0.1:${queue.port}`,
      config: `targets:\n  - name: cache\n    url: redis://127.0.0.1:${target.port}\n  - name: frozen\n    url: redis://127.0.0.1:${frozen.port}\n`,
      // One diagnosis in process at a time: a second command meets a busy web process.
      env: { REDIS_DOCTOR_WORKER_CONCURRENCY: '1', REDIS_DOCTOR_TIMEOUT_MS: '4000' },
    });
  });
  afterAll(async () => {
    try {
      process.kill(queue.pid, 'SIGCONT');
    } catch {
      /* already gone */
    }
    await h?.stop();
    await queue?.stop();
    await target?.stop();
    if (frozen) process.kill(frozen.pid, 'SIGCONT');
    await frozen?.stop();
  });

  const parents = (channel: string): Call[] => h.double.ok('chat.postMessage').filter((c) => c.body.channel === channel && blockIds(c).includes('progress'));
  const verdicts = (channel: string): Call[] => h.double.ok('chat.update').filter((c) => c.body.channel === channel && blockIds(c).includes('verdict'));

  it('one diagnosis per command: in process while stalled, and the landed job is not run again', async () => {
    process.kill(queue.pid, 'SIGSTOP');
    let resumed = false;
    try {
      const first = await h.command({ text: 'cache', channel: 'C0STALL1' });
      expect(first.status).toBe(200);
      // The add times out (1 s), the claim cannot be answered (1.5 s): the web process runs it.
      await h.double.waitFor('the in-process diagnosis', () => verdicts('C0STALL1').length > 0, 15_000);
      const second = await h.command({ text: 'cache', channel: 'C0STALL2' });
      expect(second.status).toBe(200);
      await h.double.waitFor('the second in-process diagnosis', () => verdicts('C0STALL2').length > 0, 15_000);
      process.kill(queue.pid, 'SIGCONT');
      resumed = true;
      // The adds land now and the inline worker takes both jobs: they must see the web's claims.
      await new Promise((r) => setTimeout(r, 4000));
      expect(parents('C0STALL1')).toHaveLength(1);
      expect(parents('C0STALL2')).toHaveLength(1);
      expect(verdicts('C0STALL1')).toHaveLength(1);
      expect(verdicts('C0STALL2')).toHaveLength(1);
      expect(h.logs.filter((l) => l.includes('already diagnosed in the web process')).length).toBe(2);
    } finally {
      if (!resumed) process.kill(queue.pid, 'SIGCONT');
    }
  });

  it('a command the busy web process cannot run meanwhile is told it is queued, and runs once when the queue resumes', async () => {
    process.kill(queue.pid, 'SIGSTOP');
    let resumed = false;
    try {
      await h.command({ text: 'frozen', channel: 'C0BUSY1' });
      await h.double.waitFor('the slow in-process diagnosis to start', () => parents('C0BUSY1').length > 0, 15_000);
      const second = await h.command({ text: 'cache', channel: 'C0BUSY2' });
      const told = await h.answer(second.responseTag);
      expect(told).toContain('is queued and its results will be posted here once the queue takes it');
      expect(told).not.toMatch(/try .* again/i);
      process.kill(queue.pid, 'SIGCONT');
      resumed = true;
      await h.double.waitFor('the queued diagnosis after the resume', () => verdicts('C0BUSY2').length > 0, 20_000);
      await h.double.waitFor('the slow one', () => verdicts('C0BUSY1').length > 0, 20_000);
      await new Promise((r) => setTimeout(r, 2000));
      expect(parents('C0BUSY1')).toHaveLength(1);
      expect(parents('C0BUSY2')).toHaveLength(1);
    } finally {
      if (!resumed) process.kill(queue.pid, 'SIGCONT');
    }
  });

  it('a resumed queue runs its jobs normally: one thread from the worker', async () => {
    await h.command({ text: 'cache', channel: 'C0AFTER' });
    await h.double.waitFor('the queued diagnosis', () => verdicts('C0AFTER').length > 0, 15_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(parents('C0AFTER')).toHaveLength(1);
  });
});

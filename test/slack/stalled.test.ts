/**
 * Issue #4: a job whose worker process dies mid-run more often than
 * maxStalledCount allows is failed by BullMQ without running our processor
 * (the next worker to pick it up fails it: "job stalled more than allowable
 * limit"). It must still end with exactly one failure message in its thread.
 *
 * Real parts: worker processes started like `npm run worker` and SIGKILLed,
 * BullMQ on the queue Redis, and a target redis-server frozen with SIGSTOP —
 * the kernel still completes TCP handshakes for it (listen backlog), but no
 * reply ever comes, so a diagnosis of it is mid-run until its timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBot, type Bot } from '../../src/bot.js';
import { FailureNotices } from '../../src/jobs/failure-notices.js';
import { createFrontEndRedis, waitReady } from '../../src/jobs/connections.js';
import { Logger } from '../../src/log.js';
import { startWorkerChild, type WorkerChild } from '../faults/helpers/worker-child.js';
import { pollUntil } from '../lab/poll.js';
import { freePort } from '../lab/ports.js';
import { stopProcess } from '../lab/procs.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { QUEUE_REDIS, startHarness, uniquePrefix, type Harness } from './helpers/harness.js';
import { deleteKeysUnder } from './helpers/redis-keys.js';
import { blockIds, textOf } from './helpers/slack-double.js';

// Short enough for a test, long enough that a busy 2-core box does not lose a live worker's lock
// (BullMQ renews it every lockDuration / 2). The stalled check runs every stalledInterval.
const STALLS = { lockDurationMs: 2000, stalledIntervalMs: 250, maxStalledCount: 1 };

describe('a worker killed mid-job', () => {
  let target: RedisServer;
  let web: Harness;
  let worker: Bot | undefined;
  const children: WorkerChild[] = [];
  const workerLogs: string[] = [];

  beforeAll(async () => {
    target = await startRedis();
    web = await startHarness({
      config: `targets:\n  - name: frozen\n    url: redis://127.0.0.1:${target.port}\n`,
      // The web process only queues: every run happens in a worker this test controls.
      env: { REDIS_DOCTOR_INLINE_WORKER: 'false' },
    });
  });
  afterAll(async () => {
    for (const c of children) await stopProcess(c.child, 0);
    await worker?.stop();
    await web?.stop();
    if (target) {
      process.kill(target.pid, 'SIGCONT');
      await target.stop();
    }
  });

  /** A worker process (like `npm run worker`) that has started: its /healthz answers on the port it prints. */
  async function startWorkerProcess(): Promise<WorkerChild> {
    const w = await startWorkerChild(web.env, { bot: { stalls: STALLS }, env: { REDIS_DOCTOR_TIMEOUT_MS: '30000', LOG_LEVEL: 'warn' } });
    children.push(w);
    expect(await (await fetch(`http://127.0.0.1:${w.port}/healthz`)).json()).toEqual({ status: 'ok', role: 'worker' });
    return w;
  }

  const jobKey = (id: string) => `${web.prefix}:diagnose:${id}`;

  /** The job a worker holds (active, locked) with this stall count, once its parent message ts is checkpointed. */
  async function runningJob(stalls: number): Promise<string> {
    return pollUntil(async () => {
      const [id] = await web.redis.lrange(`${web.prefix}:diagnose:active`, 0, -1);
      if (!id || !(await web.redis.exists(`${jobKey(id)}:lock`))) return undefined;
      const [data, stc] = await web.redis.hmget(jobKey(id), 'data', 'stc');
      const state = (JSON.parse(data ?? '{}') as { state?: { parentTs?: string } }).state;
      return state?.parentTs && Number(stc ?? 0) === stalls ? id : undefined;
    }, { what: `a running job stalled ${stalls} times`, timeoutMs: 20_000, intervalMs: 50 });
  }

  it('posts one failure in the thread when the job stalls more than maxStalledCount', async () => {
    process.kill(target.pid, 'SIGSTOP');

    // First worker: takes the job, posts the parent message, is killed while the probes wait.
    const first = await startWorkerProcess();
    await web.command({ text: 'frozen', channel: 'C0STALL' });
    const jobId = await runningJob(0);
    await first.kill();

    // Second worker: its stalled check finds the job (lock expired), stall 1 of 1 allowed,
    // so the job goes back to the queue and this worker resumes it from its checkpoint — then it is killed too.
    const second = await startWorkerProcess();
    expect(await runningJob(1)).toBe(jobId);
    await second.kill();

    // Third worker, in this process: stall 2 > maxStalledCount 1, BullMQ fails the job without running it.
    worker = await startBot({ role: 'worker', env: web.env, write: (l) => { workerLogs.push(l); }, stalls: STALLS });
    const failures = () => web.double.calls.filter((c) => c.method === 'chat.postMessage' && blockIds(c).includes('failure'));
    await web.double.waitFor('the failure reply', () => failures().length > 0, 20_000);

    const parents = web.double.ok('chat.postMessage').filter((c) => !c.body.thread_ts);
    expect(parents).toHaveLength(1);
    const failure = failures()[0]!;
    expect(failure.status).toBe(200);
    expect(failure.body.channel).toBe('C0STALL');
    expect(failure.body.thread_ts).toBe(parents[0]!.ts);
    expect(textOf(failure)).toContain('failed after 2 attempts');
    expect(textOf(failure)).toContain('stopped mid-run (killed, out of memory or blocked) 2 times');
    expect(textOf(failure)).toContain('job stalled more than allowable limit');
    // The parent no longer says "Diagnosing…".
    await web.double.waitFor('the parent marked failed', (calls) => calls.some((c) => c.method === 'chat.update' && c.body.ts === parents[0]!.ts && blockIds(c).includes('failure')));

    expect(await web.redis.hget(jobKey(jobId), 'failedReason')).toBe('job stalled more than allowable limit');
    expect(await web.redis.exists(`${web.prefix}:store:failure-reported:${jobId}`)).toBe(1);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
    expect(metrics).toMatch(/redis_doctor_jobs_total\{outcome="failed"\} 1/);
    expect(workerLogs.filter((l) => l.includes('diagnosis job failed outside the processor'))).toHaveLength(1);

    // Several more stalled checks later, still one failure message.
    await sleep(4 * STALLS.stalledIntervalMs);
    expect(failures()).toHaveLength(1);
  }, 120_000);
});

describe('FailureNotices', () => {
  const prefix = uniquePrefix();
  const log = new Logger('error', 'test', () => undefined);
  const a = createFrontEndRedis(QUEUE_REDIS);
  const b = createFrontEndRedis(QUEUE_REDIS);
  afterAll(async () => {
    try {
      await deleteKeysUnder(a, prefix);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  it('lets exactly one of two processes claim a job\'s failure report', async () => {
    expect(await waitReady(a, 2000)).toBe(true);
    expect(await waitReady(b, 2000)).toBe(true);
    const claims = await Promise.all([new FailureNotices(a, prefix, log).claim('d-1'), new FailureNotices(b, prefix, log).claim('d-1')]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await new FailureNotices(a, prefix, log).claim('d-1')).toBe(false);
    expect(await new FailureNotices(a, prefix, log).claim('d-2')).toBe(true);
    // Kept as long as BullMQ keeps a failed job (7 days).
    const ttl = await a.ttl(`${prefix}:store:failure-reported:d-1`);
    expect(ttl).toBeGreaterThan(7 * 24 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(7 * 24 * 3600);
  });

  it('reports anyway when Redis cannot be asked: never silence', async () => {
    const down = createFrontEndRedis(`redis://127.0.0.1:${await freePort()}`, { retryStrategy: () => null });
    down.on('error', () => undefined);
    const lines: string[] = [];
    try {
      expect(await new FailureNotices(down, prefix, new Logger('warn', 'test', (l) => { lines.push(l); })).claim('d-3')).toBe(true);
      expect(lines.join('')).toContain('failure report marker unavailable: reporting anyway');
    } finally {
      down.disconnect();
    }
  });
});

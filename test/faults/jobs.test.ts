/**
 * Jobs under faults, with real processes: a worker SIGKILLed or SIGTERMed
 * mid-diagnosis, the queue Redis restarted (without persistence) while jobs
 * wait or run, and a storm of Slack 429s. Each asserts nothing lost and
 * nothing doubled: every accepted command ends with exactly one result, or
 * with one message that it must be sent again.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../lab/poll.js';
import { plantSecret } from '../lab/secrets.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { blockIds, textOf, type Call } from '../slack/helpers/slack-double.js';
import { startWorkerChild, type WorkerChild } from './helpers/worker-child.js';

const parents = (h: Harness, channel: string): Call[] => h.double.ok('chat.postMessage').filter((c) => c.body.channel === channel && !c.body.thread_ts && blockIds(c).includes('progress'));
const verdicts = (h: Harness, channel: string): Call[] => h.double.ok('chat.update').filter((c) => c.body.channel === channel && blockIds(c).includes('verdict'));
const failures = (h: Harness, channel: string): Call[] => h.double.ok('chat.postMessage').filter((c) => c.body.channel === channel && blockIds(c).includes('failure'));
const replies = (h: Harness, channel: string, ts: string): Call[] => h.double.ok('chat.postMessage').filter((c) => c.body.channel === channel && c.body.thread_ts === ts);

describe('workers that die or are stopped mid-diagnosis', () => {
  let locked: RedisServer;
  let slow: RedisServer;
  let h: Harness;
  const workers: WorkerChild[] = [];

  beforeAll(async () => {
    locked = await startRedis({ password: plantSecret(`jobs-fault-${process.pid}-pw`) });
    slow = await startRedis();
    h = await startHarness({
      config: `targets:\n  - name: locked\n    url: redis://127.0.0.1:${locked.port}\n  - name: slow\n    url: redis://127.0.0.1:${slow.port}\n`,
      env: { REDIS_DOCTOR_INLINE_WORKER: 'false', REDIS_DOCTOR_TIMEOUT_MS: '3000' },
    });
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.kill();
  });
  afterAll(async () => {
    await h?.stop();
    process.kill(slow.pid, 'SIGCONT');
    await slow?.stop();
    await locked?.stop();
  });

  it('SIGKILL mid-diagnosis: another worker recovers the job and the thread gets exactly one result', async () => {
    process.kill(slow.pid, 'SIGSTOP');
    const first = await startWorkerChild(h.env);
    workers.push(first);
    await h.command({ text: 'slow', channel: 'C0KILL' });
    // The parent is posted and checkpointed in the job, and the probes wait on the frozen server: kill it now.
    // (Between Slack's answer and the checkpoint a kill would leave the parent unknown to the retry: Slack
    // gives chat.postMessage no idempotency key, so that window is as small as one Redis write.)
    await h.double.waitFor('the parent message', () => parents(h, 'C0KILL').length === 1);
    await pollUntil(async () => {
      const [id] = await h.redis.lrange(`${h.prefix}:diagnose:active`, 0, -1);
      const data = id ? await h.redis.hget(`${h.prefix}:diagnose:${id}`, 'data') : null;
      return data && (JSON.parse(data) as { state?: { parentTs?: string } }).state?.parentTs ? true : undefined;
    }, { what: 'the parent checkpointed in the job', timeoutMs: 10_000, intervalMs: 20 });
    await first.kill('SIGKILL');
    process.kill(slow.pid, 'SIGCONT');
    const second = await startWorkerChild(h.env);
    workers.push(second);
    await h.double.waitFor('the verdict from the second worker', () => verdicts(h, 'C0KILL').length > 0, 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(parents(h, 'C0KILL')).toHaveLength(1);
    expect(verdicts(h, 'C0KILL')).toHaveLength(1);
    expect(failures(h, 'C0KILL')).toHaveLength(0);
  });

  it('SIGTERM mid-diagnosis: the worker finishes the running job within the shutdown bound and exits 0', async () => {
    const w = await startWorkerChild(h.env);
    workers.push(w);
    process.kill(slow.pid, 'SIGSTOP');
    await h.command({ text: 'slow', channel: 'C0TERM' });
    await h.double.waitFor('the parent message', () => parents(h, 'C0TERM').length === 1);
    const started = Date.now();
    const exited = w.kill('SIGTERM');
    // The probes time out after 3 s and the verdict is posted before the process ends.
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(12_000);
    process.kill(slow.pid, 'SIGCONT');
    expect(verdicts(h, 'C0TERM')).toHaveLength(1);
    expect(parents(h, 'C0TERM')).toHaveLength(1);
  });

  it('a Slack 429 storm: every diagnosis is posted exactly once, parent and findings', async () => {
    const w = await startWorkerChild(h.env);
    workers.push(w);
    h.double.rateLimit('chat.postMessage', 6, 1);
    const channels = Array.from({ length: 6 }, (_, i) => `C0STORM${i}`);
    await Promise.all(channels.map((channel) => h.command({ text: 'locked', channel })));
    await h.double.waitFor('every finding', () => channels.every((c) => parents(h, c).length === 1 && replies(h, c, parents(h, c)[0]!.ts!).length === 1), 45_000);
    await new Promise((r) => setTimeout(r, 1000));
    for (const c of channels) {
      expect(parents(h, c), c).toHaveLength(1);
      expect(replies(h, c, parents(h, c)[0]!.ts!).map((r) => blockIds(r)[0]), c).toEqual(['finding:auth-required']);
    }
    expect(h.double.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 429)).toHaveLength(6);
  });
});

describe('the queue Redis restarted without persistence', () => {
  let queue: RedisServer;
  let target: RedisServer;
  let h: Harness;

  beforeAll(async () => {
    queue = await startRedis();
    target = await startRedis();
    h = await startHarness({
      redisUrl: `redis://127.0.0.1:${queue.port}`,
      config: `targets:\n  - name: cache\n    url: redis://127.0.0.1:${target.port}\n`,
      // Nothing takes the jobs: they wait in the queue when it restarts.
      env: { REDIS_DOCTOR_INLINE_WORKER: 'false' },
      jobWatchIntervalMs: 300,
      jobLostAfterMs: 1000,
    });
  });
  afterAll(async () => {
    await h?.stop();
    await queue?.stop();
    await target?.stop();
  });

  it('a job lost in the restart: the requester is told to send it again, once', async () => {
    await h.command({ text: 'cache', channel: 'C0LOST' });
    // The job is queued (no worker): restart the queue Redis on the same port, empty.
    await pollUntil(async () => ((await fetch(`${h.url}/metrics`).then((r) => r.text())).includes('redis_doctor_slack_commands_total{outcome="queued"} 1') ? true : undefined), { what: 'the job queued', timeoutMs: 5000 });
    const port = queue.port;
    await queue.stop();
    queue = await startRedis({ port });
    await h.double.waitFor('the lost-job message', () => failures(h, 'C0LOST').length > 0, 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    const told = failures(h, 'C0LOST');
    expect(told).toHaveLength(1);
    expect(textOf(told[0])).toContain('lost this request, most likely in a restart: please send it again');
    expect(h.logs.some((l) => l.includes('an accepted job is gone from the queue'))).toBe(true);
  });
});

describe('the queue Redis restarted while a diagnosis runs', () => {
  let queue: RedisServer;
  let slow: RedisServer;
  let h: Harness;

  beforeAll(async () => {
    queue = await startRedis();
    slow = await startRedis();
    h = await startHarness({
      redisUrl: `redis://127.0.0.1:${queue.port}`,
      config: `targets:\n  - name: slow\n    url: redis://127.0.0.1:${slow.port}\n`,
      env: { REDIS_DOCTOR_TIMEOUT_MS: '2000' },
      jobWatchIntervalMs: 300,
      // Longer than the rest of the running diagnosis: the worker still finishes it from memory.
      jobLostAfterMs: 8000,
    });
  });
  afterAll(async () => {
    await h?.stop();
    process.kill(slow.pid, 'SIGCONT');
    await slow?.stop();
    await queue?.stop();
  });

  it('ends with exactly one result or one send-again message: never silence, never both', async () => {
    process.kill(slow.pid, 'SIGSTOP');
    await h.command({ text: 'slow', channel: 'C0MIDFLIGHT' });
    await h.double.waitFor('the running diagnosis', () => parents(h, 'C0MIDFLIGHT').length === 1);
    const port = queue.port;
    await queue.stop();
    queue = await startRedis({ port });
    process.kill(slow.pid, 'SIGCONT');
    await h.double.waitFor('an end to the command', () => verdicts(h, 'C0MIDFLIGHT').length + failures(h, 'C0MIDFLIGHT').length > 0, 30_000);
    // Past the lost-after bound: a wrong "send it again" would have come by now.
    await new Promise((r) => setTimeout(r, 9000));
    const ends = verdicts(h, 'C0MIDFLIGHT').length + failures(h, 'C0MIDFLIGHT').length;
    expect(ends).toBe(1);
    expect(parents(h, 'C0MIDFLIGHT')).toHaveLength(1);
  });
});

/**
 * Issue #16, item 3: the RESP parser re-parsed the whole buffered reply on every
 * chunk, synchronously; an 8 MB array of tiny elements sent in 64 KiB chunks froze
 * the bot for seconds, and a 10,000-node CLUSTER SHARDS overran its bound.
 *
 * The attacker's part is real: a fake Redis in another process on loopback
 * (test/lab/resp-flood-server.mjs) writes its replies 64 KiB at a time, and the
 * real diagnose() / probeUp() read them while perf_hooks.monitorEventLoopDelay
 * watches this process's event loop. Fails if the loop is held more than 50 ms
 * beyond what this machine adds right now: the idle loop's own worst delay and the
 * longest GC pause of the run (a loaded 2-core box preempts us and slows the
 * collector; the old parser held the loop for seconds).
 * The parser alone, chunk by chunk: bench/resp-parser.mjs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/engine/pipeline/diagnose.js';
import { probeUp } from '../../../src/engine/probes/up.js';
import { RespParser } from '../../../src/engine/probes/resp-parser.js';

const BUDGET_MS = 50;
const SERVER = fileURLToPath(new URL('../../lab/resp-flood-server.mjs', import.meta.url));

interface Fake {
  port: number;
  child: ChildProcess;
}

async function startFake(mode: 'flood' | 'cluster'): Promise<Fake> {
  const child = spawn(process.execPath, [SERVER, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await Promise.race([
    once(child.stdout!, 'data'),
    new Promise((_, reject) => setTimeout(() => reject(new Error('fake server did not start within 20 s')), 20_000)),
  ])) as [Buffer];
  return { port: Number(line.toString().trim()), child };
}

function stopFake(fake: Fake | undefined): void {
  if (!fake || fake.child.exitCode !== null) return;
  fake.child.stdin!.end();
  fake.child.kill();
}

/** A long-running bot has its parser compiled: parse one reply first, so the first chunk measured is not the interpreter's. */
function warmUp(): void {
  const parser = new RespParser();
  parser.push(Buffer.from(`*2\r\n*4096\r\n${':1\r\n'.repeat(4096)}*1024\r\n${'$5\r\nhello\r\n'.repeat(1024)}`));
  parser.nextNode();
}

/** The longest event-loop delay while `work` runs (the second time), and the same over an idle stretch just before (this machine's noise). */
interface Measured<T> {
  result: T;
  ms: number;
  /** The longest event-loop delay during the run. */
  maxMs: number;
  /** The same over 500 ms of idle loop just before: this machine's scheduling noise right now. */
  idleMaxMs: number;
  /** The longest garbage-collector pause during the run: a scavenge of a large reply tree takes 10–20 ms on a quiet box, 150 ms at a load of 20 on 2 cores. */
  gcMaxMs: number;
}

async function loopDelay<T>(work: () => Promise<T>): Promise<Measured<T>> {
  // Once unmeasured: the first run loads modules (topology-follow.js, the rules) as a running bot already has.
  await work();
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idleMaxMs = h.max / 1e6;
  let gcMaxMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, e.duration);
  });
  gc.observe({ entryTypes: ['gc'] });
  h.reset();
  const t = performance.now();
  const result = await work();
  const ms = performance.now() - t;
  h.disable();
  // GC entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc.disconnect();
  return { result, maxMs: h.max / 1e6, idleMaxMs, gcMaxMs, ms };
}

/** What our own code may hold the loop for: the budget, over the machine's noise and one GC pause. */
function allowed(m: Measured<unknown>): number {
  return BUDGET_MS + m.idleMaxMs + m.gcMaxMs;
}

function report(name: string, m: Measured<unknown>, extra: string): void {
  console.log(`${name}: ${m.ms.toFixed(0)} ms, loop delay max ${m.maxMs.toFixed(1)} ms (allowed ${allowed(m).toFixed(1)}: idle ${m.idleMaxMs.toFixed(1)}, GC ${m.gcMaxMs.toFixed(1)}); ${extra}`);
}

const target = (port: number) => ({ input: `redis://127.0.0.1:${port}`, host: '127.0.0.1', port, tls: false });

describe('RESP replies in 64 KiB chunks do not hold the event loop (issue #16)', () => {
  let flood: Fake | undefined;
  let cluster: Fake | undefined;

  beforeAll(async () => {
    for (let i = 0; i < 20; i++) warmUp();
    [flood, cluster] = await Promise.all([startFake('flood'), startFake('cluster')]);
  }, 60_000);
  afterAll(() => {
    stopFake(flood);
    stopFake(cluster);
  });

  it('diagnose() of a target answering with an 8 MB array of tiny elements: refused within budget, loop never held', async () => {
    const m = await loopDelay(() => diagnose(target(flood!.port), { timeoutMs: 2000, topology: { follow: false } }));
    const d = m.result;
    report('flood, diagnose', m, `cause ${d.primaryCause}`);
    expect(m.maxMs).toBeLessThan(allowed(m));
    // Not RESP we accept: said so, and within the run's bound.
    expect(d.checks.find((c) => c.id === 'redis-handshake')?.status).not.toBe('pass');
    expect(m.ms).toBeLessThan(2000 + 1000);
  }, 30_000);

  it('probeUp() (the monitor) of that target: down at once, loop never held', async () => {
    const m = await loopDelay(() => probeUp(target(flood!.port), { timeoutMs: 2000 }));
    report('flood, probeUp', m, `${m.result.code} ${m.result.detail ?? ''}`);
    expect(m.maxMs).toBeLessThan(allowed(m));
    expect(m.result).toMatchObject({ up: false, code: 'NOT_RESP' });
  }, 30_000);

  it('a 10,000-node CLUSTER SHARDS (and CLUSTER NODES) is parsed within the 2 s bound, loop never held', async () => {
    const m = await loopDelay(() => diagnose(target(cluster!.port), { timeoutMs: 2000, topology: { follow: false } }));
    const shards = m.result.checks.find((c) => c.id === 'cluster-shards');
    report('cluster, diagnose', m, `cluster-shards ${shards?.status} in ${shards?.durationMs} ms: ${shards?.detail?.slice(0, 40)}`);
    expect(shards?.detail).toMatch(/^10000 nodes \(2500 masters\)/);
    expect(shards!.durationMs).toBeLessThan(2000);
    expect(m.maxMs).toBeLessThan(allowed(m));
  }, 30_000);
});

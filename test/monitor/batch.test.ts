/**
 * One shard's tick (monitor/batch.ts): its probes spread over the span, each
 * with its own tick time, the process's bound on probes in flight held, and a
 * batch that starts late (a stopped or busy worker, a shard taken over from a
 * dead one) never firing all its overdue probes at once.
 */
import { describe, expect, it } from 'vitest';
import { dueAt, Limit, runBatch } from '../../src/monitor/batch.js';

const names = Array.from({ length: 20 }, (_, i) => `t${i}`);

describe('runBatch', () => {
  it('spreads the probes over the span, each with its own tick time, and waits for the last', async () => {
    const tickAt = Date.now();
    const seen: { name: string; at: number; started: number }[] = [];
    const r = await runBatch({
      names, tickAt, spanMs: 1000, limit: new Limit(100), onError: () => undefined,
      run: async (name, at) => { seen.push({ name, at, started: Date.now() }); await new Promise((res) => setTimeout(res, 50)); },
    });
    expect(r).toEqual({ started: 20, failed: 0 });
    expect(seen.map((s) => s.name)).toEqual(names);
    expect(seen.map((s) => s.at)).toEqual(names.map((_, i) => dueAt(tickAt, 1000, i, 20)));
    expect(seen.at(-1)!.started - seen[0]!.started).toBeGreaterThanOrEqual(800);
    for (const s of seen) expect(s.started).toBeGreaterThanOrEqual(s.at - 5);
  });

  it('started a whole span late: catches up at twice the pace, not all at once; the bound on probes in flight holds', async () => {
    const tickAt = Date.now() - 1500;
    const started: number[] = [];
    let inFlight = 0;
    let most = 0;
    const failures: string[] = [];
    await runBatch({
      names, tickAt, spanMs: 1000, limit: new Limit(3), onError: (name) => failures.push(name),
      run: async (name) => {
        started.push(Date.now());
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((res) => setTimeout(res, 30));
        inFlight -= 1;
        if (name === 't3') throw new Error('refused');
      },
    });
    expect(started).toHaveLength(20);
    // 19 gaps of at least half the nominal 50 ms (launches are grouped per 100 ms quantum).
    expect(started.at(-1)! - started[0]!).toBeGreaterThanOrEqual(400);
    expect(most).toBeLessThanOrEqual(3);
    expect(failures).toEqual(['t3']);
  });

  it('stops starting probes once the worker closes', async () => {
    let n = 0;
    const r = await runBatch({ names, tickAt: Date.now(), spanMs: 200, limit: new Limit(10), onError: () => undefined, stopped: () => n >= 5, run: async () => { n += 1; } });
    expect(r.started).toBe(5);
  });
});

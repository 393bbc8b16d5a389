/** LoopLag (monitor/loop-lag.ts) on this process's real event loop, blocked on purpose. */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import { LoopLag, starved, timeoutClass } from '../../src/monitor/loop-lag.js';

const lag = new LoopLag().start();
afterAll(() => lag.stop());

const busy = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) { /* blocked */ }
};

it('sees a block while it lasts (the probe\'s timer may fire first) and after, only inside the window asked', async () => {
  await sleep(200);
  const before = Date.now();
  await sleep(100);
  const start = Date.now();
  busy(400);
  // Same turn of the loop: the sampling timer has not fired yet, the block is seen as going on.
  expect(lag.blockedMs(start, Date.now())).toBeGreaterThanOrEqual(300);
  expect(starved(lag, start, Date.now(), 1000, 0.25)).toBeDefined();
  await sleep(150);
  const end = Date.now();
  expect(lag.blockedMs(start, end)).toBeGreaterThanOrEqual(350);
  expect(lag.blockedMs(start, end)).toBeLessThanOrEqual(end - start);
  // A window that ended before the block saw none of it.
  expect(lag.blockedMs(before, start - 1)).toBeLessThan(100);
  // A short block is under a quarter of a 2 s bound: a failure then still counts.
  expect(starved(lag, before, start - 1, 2000, 0.25)).toBeUndefined();
});

it('only timeout-class failures can be starved; a refusal is real whatever the load', () => {
  expect(['TIMEOUT', 'ETIMEDOUT', 'ETIMEOUT', 'SLOW'].every(timeoutClass)).toBe(true);
  expect(['ECONNREFUSED', 'NOAUTH', 'EHOSTUNREACH', 'LOCATION-SILENT', undefined].some(timeoutClass)).toBe(false);
});

it('a probe that ended well past its own bound was starved, even unseen by the sampler', () => {
  const idle = new LoopLag(() => 0);
  expect(starved(idle, 0, 1600, 1000, 0.25)).toEqual({ blockedMs: 600 });
  expect(starved(idle, 0, 1100, 1000, 0.25)).toBeUndefined();
});

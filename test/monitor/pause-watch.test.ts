/** PauseWatch with a scripted queue check and clock: the debounce both ways, and bounded retries of the posts. */
import { describe, expect, it } from 'vitest';
import { Logger } from '../../src/log.js';
import type { PauseSink } from '../../src/monitor/alert-sink.js';
import { PauseWatch } from '../../src/monitor/pause-watch.js';

function setup(failPaused = 0, failResumed = 0) {
  let now = 1_000_000;
  let up = true;
  const posts: string[] = [];
  const sink: PauseSink = {
    paused: async (_c, info) => {
      if (failPaused-- > 0) throw new Error('Slack answered service_unavailable');
      posts.push(`paused since ${info.since}: ${info.reason}`);
      return 'ts-1';
    },
    resumed: async (_c, ts, info) => {
      if (failResumed-- > 0) throw new Error('Slack answered service_unavailable');
      posts.push(`resumed in ${ts} after ${info.until - info.since}`);
    },
  };
  const lines: string[] = [];
  const watch = new PauseWatch(async () => (up ? { up: true } : { up: false, reason: 'connect ECONNREFUSED 127.0.0.1:6390' }), sink, 'C0ALERTS', new Logger('debug', 't', (l) => { lines.push(l); }), {
    pauseAfterMs: 10_000, resumeAfterMs: 5_000, attempts: 3, retryMs: 1, now: () => now,
  });
  /** Polls once a second for `seconds` with the queue up or down. */
  const run = async (seconds: number, isUp: boolean) => {
    up = isUp;
    for (let i = 0; i < seconds; i++) {
      await watch.poll();
      now += 1000;
    }
    await watch.settled();
  };
  return { watch, posts, lines, run };
}

describe('PauseWatch', () => {
  it('posts nothing for an outage shorter than the debounce, and a resumed notice only after it is back for a while', async () => {
    const t = setup();
    await t.run(5, false);
    await t.run(30, true);
    expect(t.posts).toEqual([]);
    await t.run(11, false);
    expect(t.posts).toEqual(['paused since 1035000: connect ECONNREFUSED 127.0.0.1:6390']);
    // Back for 3 s, down again, back for good: one resumed notice, in the paused message's thread.
    await t.run(3, true);
    await t.run(2, false);
    await t.run(20, false);
    await t.run(6, true);
    expect(t.posts).toEqual(['paused since 1035000: connect ECONNREFUSED 127.0.0.1:6390', 'resumed in ts-1 after 36000']);
    expect(t.watch.isPaused).toBe(false);
  });

  it('retries a failed post a bounded number of times, and posts no resumed notice for a paused one nobody saw', async () => {
    const flaky = setup(2, 0);
    await flaky.run(11, false);
    await flaky.run(6, true);
    expect(flaky.posts).toHaveLength(2);

    const down = setup(10, 0);
    await down.run(11, false);
    await down.run(6, true);
    expect(down.posts).toEqual([]);
    expect(down.lines.filter((l) => l.includes('could not post the monitoring paused notice'))).toHaveLength(3);
  });
});

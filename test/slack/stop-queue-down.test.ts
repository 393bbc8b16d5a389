/**
 * Stopping the bot while its queue Redis is down, at the moment a reconnect
 * attempt is in flight. BullMQ waits for 'ready' on a client that is still
 * connecting and rejects with the client's connection error when 'end' comes
 * first; if that happens after the Queue/Worker was closed (its 'error'
 * listeners removed), the error surfaced as an unhandled rejection
 * ("connect ECONNREFUSED 127.0.0.1:1"), two per stop.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from './helpers/harness.js';

// Nothing in the suite listens on port 1 (see queue-down.test.ts).
const DOWN_PORT = 1;

describe('stopping while the queue Redis is down', () => {
  const connecting = new Set<Redis>();
  const proto = Redis.prototype as unknown as { setStatus(status: string, arg?: unknown): void };
  const original = proto.setStatus;
  const reasons: string[] = [];
  const onUnhandled = (reason: unknown) => { reasons.push(String(reason)); };

  beforeAll(() => {
    // Observe ioredis status changes of the bot's own clients (the status is
    // set synchronously; the 'connecting' event only follows on nextTick).
    proto.setStatus = function (this: Redis, status: string, arg?: unknown) {
      if (this.options.port === DOWN_PORT && status === 'connecting') connecting.add(this);
      else connecting.delete(this);
      original.call(this, status, arg);
    };
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(() => {
    proto.setStatus = original;
    process.off('unhandledRejection', onUnhandled);
  });

  it('leaves no unhandled rejection when stopped mid-reconnect', async () => {
    for (let i = 0; i < 5; i++) {
      const h = await startHarness({ redisUrl: `redis://127.0.0.1:${DOWN_PORT}`, config: 'targets: []\n' });
      try {
        // Staggered, so the stops meet each client at different points of its
        // retry schedule (without it the old code passed 3 stops in a row).
        await new Promise((r) => setTimeout(r, 400 * i));
        // Bounded: the retry strategy tries again at least every 2 s.
        const deadline = Date.now() + 5000;
        while (connecting.size === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
        expect(connecting.size).toBeGreaterThan(0);
      } finally {
        await h.stop();
      }
    }
    // The rejections came when the socket's close reached ioredis, after stop() returned.
    await new Promise((r) => setTimeout(r, 500));
    expect(reasons).toEqual([]);
  });
});

/**
 * lab/dir-lock.ts: the holder asking for its own lock again runs at once (lab/docker.ts builds the
 * Redis image under the lock and the base image inside it: it waited the full 20 minutes for
 * itself on a fresh machine), while a second caller, in this process or another, still waits.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withDirLock } from './dir-lock.js';
import { makeTempDir } from './tmp.js';

describe('withDirLock', () => {
  const tmp = makeTempDir('dirlock');
  const lock = join(tmp.path, '.lock');
  afterAll(() => tmp.remove());

  it('is re-entrant for the call chain that holds it', async () => {
    const order: string[] = [];
    await withDirLock(lock, 60_000, async () => {
      order.push('outer');
      await withDirLock(lock, 60_000, async () => {
        order.push('inner');
      });
      expect(existsSync(lock)).toBe(true);
    });
    expect(order).toEqual(['outer', 'inner']);
    expect(existsSync(lock)).toBe(false);
  }, 10_000);

  it('a second caller of the same process waits for the holder', async () => {
    const order: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const first = withDirLock(lock, 60_000, async () => {
      order.push('first in');
      await released;
      order.push('first out');
    });
    const second = withDirLock(lock, 60_000, async () => {
      order.push('second');
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(order).toEqual(['first in']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second']);
  }, 15_000);
});

import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../src/engine/index.js';
import { ProgressUpdater } from '../../src/slack/progress-updater.js';
import { renderProgress } from '../../src/slack/views/diagnosis.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('progress updates', () => {
  it('sends no edit whose steps are the ones the last edit showed', async () => {
    const sent: ProgressEvent[][] = [];
    const u = new ProgressUpdater(async (s) => { sent.push(s); }, 20, (err) => { throw err; });
    u.onEvent({ step: 'tcp', phase: 'start' });
    await wait(80);
    // The same step and phase again (a detail changed): nothing new to show.
    u.onEvent({ step: 'tcp', phase: 'start', detail: 'again' });
    await wait(80);
    u.onEvent({ step: 'tcp', phase: 'done' });
    await wait(80);
    await u.stop();
    expect(sent.map((s) => s.map((e) => `${e.step}:${e.phase}`))).toEqual([['tcp:start'], ['tcp:done']]);
  });

  it('shows the step running now with the time so far', () => {
    const r = renderProgress({
      target: { input: 'cache', name: 'cache', host: '10.0.0.5', port: 6379, tls: true },
      steps: [{ step: 'tcp', phase: 'done' }, { step: 'tls', phase: 'start' }],
      elapsedMs: 3400,
    });
    const all = JSON.stringify(r.blocks);
    expect(all).toContain('Diagnosing *cache* (`rediss://10.0.0.5:6379`)… 3 s');
    expect(all).toContain('✓ tcp  *tls…* 3 s');
  });
});

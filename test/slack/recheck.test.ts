/**
 * `recheck:<ref>` buttons: a fresh diagnosis of the target the reference
 * names, in the same thread, for people with diagnose access; references that
 * name nothing, and clickers who may not diagnose, get a private answer and
 * nothing is queued.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recheckButton } from '../../src/slack/views/elements.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { blockIds, textOf, type Call } from './helpers/slack-double.js';

const CHANNEL = 'C0RECHECK';

describe('recheck buttons', () => {
  let locked: RedisServer;
  let h: Harness;
  let parent: Call;
  let diagnosisId: string;

  beforeAll(async () => {
    locked = await startRedis({ password: `recheck-${process.pid}` });
    h = await startHarness({
      config: ['targets:', '  - name: locked', `    url: redis://127.0.0.1:${locked.port}`, 'access:', '  diagnose: [U0ALICE]'].join('\n'),
    });
    await h.command({ text: 'locked', channel: CHANNEL });
    await h.double.waitFor('the auth-required finding', (calls) => calls.some((c) => c.method === 'chat.postMessage' && blockIds(c).includes('finding:auth-required')));
    const finding = h.double.ok('chat.postMessage').find((c) => blockIds(c).includes('finding:auth-required'))!;
    parent = h.double.ok('chat.postMessage').find((c) => c.ts === finding.body.thread_ts)!;
    const value = finding.body.blocks!.flatMap((b) => b.elements ?? []).find((e) => e.action_id?.startsWith('steps:'))!.value!;
    diagnosisId = (JSON.parse(value) as { d: string }).d;
  });
  afterAll(async () => {
    await h?.stop();
    await locked?.stop();
  });

  /** A message in the diagnosis thread carrying one recheck button, as the bot renders it. */
  const withButton = (ref: string, channel = CHANNEL): Call => ({
    method: 'chat.postMessage', path: '/api/chat.postMessage', status: 200, at: Date.now(), ts: parent.ts,
    body: { channel, ts: parent.ts, blocks: [{ type: 'actions', block_id: 'recheck', elements: [recheckButton(ref)] }] },
  });
  const parents = () => h.double.ok('chat.postMessage').filter((c) => blockIds(c).includes('progress'));

  it('queues a fresh diagnosis of the stored diagnosis target, posted in the same thread', async () => {
    const before = parents().length;
    await h.click(withButton(`d.${diagnosisId}`), `recheck:d.${diagnosisId}`, 'U0ALICE');
    await h.double.waitFor('the re-check in the thread', () => parents().length === before + 1);
    const again = parents().at(-1)!;
    expect(again.body.thread_ts).toBe(parent.ts);
    await h.double.waitFor('its verdict', (calls) => calls.some((c) => c.method === 'chat.update' && c.body.ts === again.ts && blockIds(c).includes('verdict')));
    const verdict = h.double.ok('chat.update').filter((c) => c.body.ts === again.ts).at(-1)!;
    expect(textOf(verdict)).toContain('Re-check of this target');
    expect(textOf(verdict)).toContain('requested by <@U0ALICE>');
    expect(textOf(verdict)).toContain('auth-required');
  });

  it('refuses someone outside access.diagnose, and references that name nothing, queueing nothing', async () => {
    const before = parents().length;
    expect(await h.answer(await h.click(withButton(`d.${diagnosisId}`), `recheck:d.${diagnosisId}`, 'U0MALLORY'))).toContain('not allowed to run diagnoses');
    expect(await h.answer(await h.click(withButton('d.no-such-diagnosis'), 'recheck:d.no-such-diagnosis', 'U0ALICE'))).toContain('no longer stored');
    expect(await h.answer(await h.click(withButton('zz.whatever'), 'recheck:zz.whatever', 'U0ALICE'))).toContain('does not refer to a target I know');
    // An edited value that disagrees with the action id.
    const forged = withButton(`d.${diagnosisId}`);
    forged.body.blocks![0]!.elements![0]!.value = 'd.other';
    expect(await h.answer(await h.click(forged, `recheck:d.${diagnosisId}`, 'U0ALICE'))).toContain('does not refer to a target I know');
    await new Promise((r) => setTimeout(r, 300));
    expect(parents()).toHaveLength(before);
  });

  it('counts only in the channel its diagnosis was posted in: a copied or forged button elsewhere posts nothing', async () => {
    const before = h.double.ok('chat.postMessage').length;
    const answer = await h.answer(await h.click(withButton(`d.${diagnosisId}`, 'C0ELSEWHERE'), `recheck:d.${diagnosisId}`, 'U0ALICE'));
    expect(answer).toContain('belongs to a thread in another channel');
    expect(answer).not.toContain(CHANNEL);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.double.ok('chat.postMessage')).toHaveLength(before);
  });
});

/**
 * Grouping as Slack drives it (issue #21, "Grouping"): twelve real
 * redis-servers on one host stopped together are ONE message in the channel.
 *
 * The real bot (Bolt HTTP receiver, the monitor on the queue Redis, the
 * inline worker) with `alerts.groupWaitSeconds: 120` and the Slack Web API
 * double. The first incident's alert becomes the group message (first block
 * `alert-group:connection-refused`, all twelve listed); each target has its
 * own message in the group's thread (`alert:<target>`, with its buttons),
 * its findings (naming it) and its recovery; the group message is edited as
 * they recover and says all recovered at the end. An ack on one member
 * edits that member's message, never the group's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { actionIds, blockIds, textOf, type Call } from '../slack/helpers/slack-double.js';
import { clickFrom, nextTick, repliesTo, Switchable } from './helpers.js';

const CHANNEL = 'C0ALERTS';
const N = 12;
const names = Array.from({ length: N }, (_, i) => `g${String(i).padStart(2, '0')}`);

describe('grouped alerts', () => {
  let servers: Switchable[] = [];
  let h: Harness;

  beforeAll(async () => {
    servers = await Promise.all(names.map(() => Switchable.start()));
    h = await startHarness({
      config: [
        'targets:',
        ...names.map((n, i) => `  - { name: ${n}, url: "redis://127.0.0.1:${servers[i]!.port}" }`),
        'access:',
        '  diagnose: [U0ALICE]',
        'alerts:',
        `  channel: ${CHANNEL}`,
        '  mention: "<!here>"',
        '  intervalSeconds: 5',
        '  groupWaitSeconds: 120',
        '  targets: ["*"]',
      ].join('\n'),
    });
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await Promise.all(servers.map((s) => s.stop()));
  });

  const parents = (): Call[] => h.double.ok('chat.postMessage').filter((c) => !c.body.thread_ts && c.body.channel === CHANNEL);
  const groupEdits = (ts: string | undefined): Call[] => h.double.ok('chat.update').filter((c) => c.body.ts === ts && blockIds(c)[0]?.startsWith('alert-group:'));
  const heads = (ts: string | undefined): Call[] => repliesTo(h.double, ts).filter((c) => blockIds(c)[0]?.startsWith('alert:') && !h.double.ok('chat.delete').some((x) => x.body.ts === c.ts));

  it('posts one grouped message for twelve targets down on one host, each target in its thread, kept current as they recover', async () => {
    await Promise.all(names.map((n) => nextTick(h.redis, h.prefix, n, undefined, 60_000)));
    await Promise.all(servers.map((s) => s.down()));

    await h.double.waitFor('the first alert', () => parents().length > 0, 60_000);
    const group = parents()[0]!;
    await h.double.waitFor('all twelve in the group', () => groupEdits(group.ts).some((c) => textOf(c).includes(`${N} of ${N} targets down together`)), 120_000);
    await h.double.waitFor('each target\'s own message in the thread', () => heads(group.ts).length === N, 60_000);

    // One message in the channel, not twelve.
    expect(parents()).toHaveLength(1);
    const full = groupEdits(group.ts).find((c) => textOf(c).includes(`${N} of ${N}`))!;
    expect(blockIds(full)[0]).toBe('alert-group:connection-refused');
    expect(textOf(full)).toContain('on host `127.0.0.1`');
    expect(full.body.text!.startsWith('<!here> ')).toBe(true);
    for (const n of names) expect(textOf(full)).toContain(`*${n}*`);
    // Each target once in the thread, with its own buttons and no page of its own.
    expect(new Set(heads(group.ts).map((c) => blockIds(c)[0]))).toEqual(new Set(names.map((n) => `alert:${n}`)));
    for (const c of heads(group.ts)) {
      expect(actionIds(c)).toEqual([expect.stringMatching(/^recheck:i\./), expect.stringMatching(/^ack:i\./), expect.stringMatching(/^snooze:i\./)]);
      expect(textOf(c)).not.toContain('<!here>');
    }
    // Findings follow in the same thread, each naming its target.
    await h.double.waitFor('findings for every target', () => names.every((n) => repliesTo(h.double, group.ts).some((c) => blockIds(c).some((b) => b.startsWith('finding:')) && textOf(c).includes(`:dart: *${n}*`))), 90_000);

    // An ack of one member edits its own message in the thread, not the group message.
    const head = heads(group.ts).find((c) => blockIds(c)[0] === 'alert:g03')!;
    const before = groupEdits(group.ts).length;
    await clickFrom(h, head, actionIds(head)[1]!, 'U0ALICE');
    await h.double.waitFor('the ack of g03', () => h.double.ok('chat.update').some((c) => c.body.ts === head.ts && textOf(c).includes('acked by')), 15_000);
    expect(h.double.ok('chat.update').filter((c) => c.body.ts === group.ts && !blockIds(c)[0]?.startsWith('alert-group:'))).toHaveLength(0);
    expect(groupEdits(group.ts).length).toBe(before);

    // Half recover: their recoveries in the thread, the group message says how many are still down.
    await Promise.all(servers.slice(0, N / 2).map((s) => s.restart()));
    await h.double.waitFor('half recovered in the group message', () => groupEdits(group.ts).some((c) => textOf(c).includes(`${N / 2} of ${N} targets down together`)), 90_000);
    // The rest: the group message says all recovered; every member's recovery is in the thread and its own message resolved.
    await Promise.all(servers.slice(N / 2).map((s) => s.restart()));
    await h.double.waitFor('all recovered', () => groupEdits(group.ts).some((c) => textOf(c).includes(`All ${N} targets recovered`)), 90_000);
    const recovered = repliesTo(h.double, group.ts).filter((c) => blockIds(c).includes('recovered'));
    expect(new Set(recovered.map((c) => names.find((n) => textOf(c).includes(`*${n}*`))))).toEqual(new Set(names));
    for (const c of heads(group.ts)) {
      await h.double.waitFor(`${blockIds(c)[0]} resolved`, () => h.double.ok('chat.update').some((u) => u.body.ts === c.ts && textOf(u).includes('recovered')), 30_000);
    }
    expect(parents()).toHaveLength(1);
    expect(textOf(groupEdits(group.ts).at(-1))).not.toContain('<!here>');
  }, 420_000);
});

/**
 * An alert's findings offer what would really happen on that target: on a
 * `fixes: guided` target (the default) even an automatic fix (raise-maxclients)
 * is a `steps:` button, decided with the bot's config at posting time
 * (slack/alert-sink.ts viewFor), and its steps are posted in the alert's thread.
 * Real parts: a redis-server at maxclients 1 with its one slot held (the
 * monitor's probe gets "-ERR max number of clients reached"), the bot with its
 * monitor, the Bolt receiver fed signed clicks, the Slack Web API double.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { holdClients } from '../lab/redis-states.js';
import { alertsOf, replyWithBlock } from '../monitor/helpers.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { actionIds, blockIds, textOf } from './helpers/slack-double.js';

const CHANNEL = 'C0ALERTSTEPS';

describe('steps in an alert thread', () => {
  let full: RedisServer;
  let held: { release(): void } | undefined;
  let h: Harness;

  beforeAll(async () => {
    full = await startRedis({ args: ['--maxclients', '1'] });
    held = await holdClients(full, 1);
    h = await startHarness({
      config: [
        'targets:',
        `  - { name: full, url: "redis://127.0.0.1:${full.port}" }`,
        'access:',
        '  diagnose: [U0ALICE]',
        '  approvers: [U0BOSS]',
        'alerts:',
        `  channel: ${CHANNEL}`,
        '  intervalSeconds: 5',
        '  failuresBeforeAlert: 1',
        '  targets: [full]',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    held?.release();
    await h?.stop();
    await full?.stop();
  });

  it('offers an automatic fix of a `fixes: guided` target as steps, and posts them in the alert\'s thread', async () => {
    await h.double.waitFor('the alert', () => alertsOf(h.double, 'full').length > 0, 30_000);
    const parent = alertsOf(h.double, 'full')[0]!;
    await h.double.waitFor('the max-clients finding in its thread', () => replyWithBlock(h.double, parent.ts, 'finding:max-clients-reached').length > 0, 30_000);
    const finding = replyWithBlock(h.double, parent.ts, 'finding:max-clients-reached')[0]!;
    const ids = actionIds(finding);
    expect(ids).toContain('steps:raise-maxclients');
    expect(ids.filter((id) => id.startsWith('remediate:'))).toEqual([]);
    expect(JSON.stringify(finding.body.blocks)).not.toContain('changes the server');
    expect(finding.body.text).toMatch(/^critical: full: .* \(max-clients-reached\)$/);

    await h.click(finding, 'steps:raise-maxclients', 'U0ALICE');
    await h.double.waitFor('the steps', () => replyWithBlock(h.double, parent.ts, 'steps:raise-maxclients').length > 0);
    const steps = replyWithBlock(h.double, parent.ts, 'steps:raise-maxclients')[0]!;
    expect(textOf(steps)).toContain('maxclients');
    expect(textOf(steps)).toContain('```');
    expect(h.double.ok('chat.postMessage').some((c) => blockIds(c).some((id) => id.startsWith('approval:')))).toBe(false);
  });
});

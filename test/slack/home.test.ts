/**
 * The App Home tab as Slack drives it: `app_home_opened` events signed as the
 * Events API signs them (JSON body) to the real Bolt receiver, views.publish
 * answered by the Web API double, and a real redis-server target that the
 * monitor sees go down, acked and recover — each change publishes the tab
 * again to the user who opened it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign, startHarness, type Harness } from './helpers/harness.js';
import type { Call } from './helpers/slack-double.js';
import { alertsOf, Switchable } from '../monitor/helpers.js';
import { actionIds } from './helpers/slack-double.js';

const CHANNEL = 'C0ALERTS';

function homeEvent(user: string, tab: 'home' | 'messages'): string {
  const now = Math.floor(Date.now() / 1000);
  return JSON.stringify({
    token: 'deprecated-verification-token', team_id: 'T0TEST', api_app_id: 'A0TEST', type: 'event_callback',
    event_id: `Ev${process.pid}${Math.random().toString(36).slice(2, 10)}`, event_time: now,
    authorizations: [{ team_id: 'T0TEST', user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
    event: { type: 'app_home_opened', user, channel: 'D0HOME', tab, event_ts: `${now}.000100` },
  });
}

/** The view of a views.publish call (the Web API client sends it form-encoded, as a JSON string). */
function viewOf(c: Call): { type: string; blocks: unknown[] } {
  const v = c.body.view;
  return (typeof v === 'string' ? JSON.parse(v) : v) as { type: string; blocks: unknown[] };
}

describe('App Home', () => {
  let target: Switchable;
  let h: Harness;

  beforeAll(async () => {
    target = await Switchable.start();
    h = await startHarness({
      config: [
        'targets:',
        `  - { name: alpha, url: "redis://127.0.0.1:${target.port}" }`,
        'access:',
        '  diagnose: [U0ALICE, U0BOB]',
        '  approvers: [U0BOB]',
        'alerts:',
        `  channel: ${CHANNEL}`,
        '  intervalSeconds: 5',
        '  targets: [alpha]',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await h?.stop();
    await target?.stop();
  });

  const publishes = (user: string) => h.double.ok('views.publish').filter((c) => c.body.user_id === user);
  const sendEvent = (body: string) => h.post(body, { 'content-type': 'application/json', ...sign(body, Math.floor(Date.now() / 1000)) });

  it('publishes on app_home_opened (Home tab only, signed requests only), and again as the incident opens, is acked and recovers', async () => {
    // Unsigned, or signed with another secret: refused, nothing published.
    const forged = homeEvent('U0ALICE', 'home');
    expect((await h.post(forged, { 'content-type': 'application/json', ...sign(forged, Math.floor(Date.now() / 1000), 'not-the-secret') })).status).toBe(401);
    // The Messages tab is not ours to draw.
    expect((await sendEvent(homeEvent('U0ALICE', 'messages'))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(publishes('U0ALICE')).toHaveLength(0);

    expect((await sendEvent(homeEvent('U0ALICE', 'home'))).status).toBe(200);
    await h.double.waitFor('the Home published', () => publishes('U0ALICE').length === 1);
    const first = viewOf(publishes('U0ALICE')[0]!);
    expect(first.type).toBe('home');
    const text = JSON.stringify(first.blocks);
    expect(text).toContain('*alpha*');
    expect(text).toContain('Open incidents');
    expect(text).toContain('No open incident');

    // Down: the alert, and the Home of whoever opened it shows the incident, not acked.
    await target.down();
    await h.double.waitFor('the alert', () => alertsOf(h.double, 'alpha').length > 0, 40_000);
    const parent = alertsOf(h.double, 'alpha')[0]!;
    await h.double.waitFor('the Home showing the incident', () => publishes('U0ALICE').some((c) => JSON.stringify(viewOf(c).blocks).includes('nobody has acked')), 20_000);
    const down = JSON.stringify(viewOf(publishes('U0ALICE').find((c) => JSON.stringify(viewOf(c).blocks).includes('nobody has acked'))!).blocks);
    expect(down).toContain('connection-refused');
    expect(down).toContain(`<#${CHANNEL}>`);

    // Acked by Bob: Alice's Home says who.
    const ack = actionIds(parent).find((id) => id.startsWith('ack:'))!;
    await h.click(parent, ack, 'U0BOB');
    await h.double.waitFor('the Home showing the ack', () => publishes('U0ALICE').some((c) => JSON.stringify(viewOf(c).blocks).includes('acked by <@U0BOB>')), 20_000);

    // Recovered: no open incident again.
    const before = publishes('U0ALICE').length;
    await target.restart();
    await h.double.waitFor('the Home after recovery', () => publishes('U0ALICE').slice(before).some((c) => JSON.stringify(viewOf(c).blocks).includes('No open incident')), 40_000);
    // Bob never opened the Home: nothing is published to him.
    expect(publishes('U0BOB')).toHaveLength(0);
    // The users are kept in one bounded sorted set under the prefix.
    expect(await h.redis.zrange(`${h.prefix}:store:home-users`, 0, -1)).toEqual(['U0ALICE']);
  });

  it('shows the maintenance windows in force (a silence set by an approver, its reason escaped)', async () => {
    const r = await h.command({ text: 'silence alpha 2h <!channel> deploy *now*', user: 'U0BOB', channel: CHANNEL });
    expect(r.status).toBe(200);
    const before = publishes('U0CAROL').length;
    const opened = await sendEvent(homeEvent('U0CAROL', 'home'));
    expect(opened.status).toBe(200);
    await h.double.waitFor('the Home for U0CAROL', () => publishes('U0CAROL').length > before, 15_000);
    const view = JSON.stringify(viewOf(publishes('U0CAROL').at(-1)!));
    expect(view).toContain('Silenced');
    expect(view).toMatch(/alpha.{0,40} silenced by <@U0BOB>/);
    expect(view).toContain('&lt;!channel&gt;');
    expect(view).not.toContain('<!channel>');
  }, 60_000);
});

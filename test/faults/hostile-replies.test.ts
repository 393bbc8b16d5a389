/**
 * A server whose replies carry Slack mrkdwn, mentions and terminal control
 * bytes: quoted as evidence, they must reach Slack escaped — nothing that
 * pings a channel or a person, no raw control or bidi characters — and the
 * process carries on. Real receiver, a real (fake) server on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeServer, type FakeServer } from '../lab/fake-servers.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { blockIds } from '../slack/helpers/slack-double.js';

const HOSTILE = '-ERR <!channel> <!here> <@U0BOSS> <https://evil.example|click> *bold* \x1b[2J\x07\x00 \u202eevil\u202c';

describe('hostile server replies quoted as evidence', () => {
  let server: FakeServer;
  let h: Harness;

  beforeAll(async () => {
    server = await startFakeServer({ reply: () => `${HOSTILE}\r\n`.repeat(4) });
    h = await startHarness({ config: `targets:\n  - name: hostile\n    url: redis://127.0.0.1:${server.port}\n` });
  });
  afterAll(async () => {
    await h?.stop();
    await server?.close();
  });

  it('reach Slack escaped: no mention, no link, no control or bidi character', async () => {
    await h.command({ text: 'hostile', channel: 'C0HOSTILE' });
    await h.double.waitFor('the finding', (calls) => calls.some((c) => c.method === 'chat.postMessage' && c.body.channel === 'C0HOSTILE' && blockIds(c).some((id) => id.startsWith('finding:'))));
    const posted = JSON.stringify(h.double.calls.filter((c) => c.body.channel === 'C0HOSTILE').map((c) => c.body));
    // The reply is there, visibly …
    expect(posted).toContain('&lt;!channel&gt;');
    // … but nothing Slack would turn into a ping, a link or terminal control.
    expect(posted).not.toMatch(/<!(channel|here|everyone)>|<@U0BOSS>|<https?:/);
    expect(posted).not.toMatch(/\\u001b|\\u0007|\\u0000|\u202e|\u202c/);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });
});

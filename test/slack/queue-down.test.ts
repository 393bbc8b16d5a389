/**
 * The queue Redis is unreachable (REDIS_URL points at a closed loopback
 * port): the command is still answered within Slack's 3 s, the diagnosis
 * runs in the web process, and the user is told the queue is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { ackText, payloadBody, startHarness, type Harness } from './helpers/harness.js';
import { blockIds, textOf, type Call } from './helpers/slack-double.js';

describe('queue Redis down', () => {
  let target: RedisServer;
  let h: Harness;

  beforeAll(async () => {
    target = await startRedis({ password: 'queue-down-secret-1' });
    // Port 1, not a free ephemeral port: another test file running at the same
    // time may start a server on a port freePort() handed out here, and the
    // "down" queue would come up under the bot. Nothing in the suite listens on 1.
    h = await startHarness({
      redisUrl: 'redis://127.0.0.1:1',
      config: `targets:\n  - name: locked\n    url: redis://127.0.0.1:${target.port}\n`,
    });
  });
  afterAll(async () => {
    await h?.stop();
    await target?.stop();
  });

  /** U0ALICE's click on `button` of `message` in C0DOWN, as Slack posts it; `tag` names its response_url. */
  const clickOn = (message: Call, button: { action_id?: string; value?: string }, tag: string) => ({
    type: 'block_actions', user: { id: 'U0ALICE', username: 'alice', team_id: 'T0TEST' }, api_app_id: 'A0TEST', token: 'x',
    container: { type: 'message', message_ts: message.ts, channel_id: 'C0DOWN', is_ephemeral: false },
    trigger_id: `${process.pid}.${tag}`, team: { id: 'T0TEST', domain: 'test' }, channel: { id: 'C0DOWN', name: 'ops' },
    message: { type: 'message', ts: message.ts, thread_ts: message.body.thread_ts, text: message.body.text, blocks: message.body.blocks },
    response_url: h.double.responseUrl(tag),
    actions: [{ action_id: button.action_id, block_id: 'actions:auth-required:0', value: button.value, type: 'button', action_ts: '1' }],
  });

  it('answers within 3 s, says the queue is down, and still posts the diagnosis', async () => {
    const r = await h.command({ text: 'locked', channel: 'C0DOWN' });
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(3000);
    expect(ackText(r.json)).toContain('Diagnosing `locked`');

    await h.double.waitFor('the queue-down notice', (calls) => calls.some((c) => c.method === 'response_url' && blockIds(c).includes('queue-down')));
    await h.double.waitFor('the finding reply', (calls) => calls.some((c) => c.method === 'chat.postMessage' && c.body.thread_ts !== undefined));
    const parent = h.double.ok('chat.postMessage').find((c) => !c.body.thread_ts);
    const verdict = h.double.ok('chat.update').find((c) => c.body.ts === parent?.ts && blockIds(c).includes('verdict'));
    expect(textOf(verdict)).toContain('auth-required');
    expect(textOf(verdict)).toContain('The job queue (REDIS_URL) is unreachable');
    const reply = h.double.ok('chat.postMessage').find((c) => c.body.thread_ts === parent?.ts);
    expect(blockIds(reply)).toContain('finding:auth-required');
  });

  it('records no approval while the audit store is unreachable, and says why', async () => {
    const finding = h.double.ok('chat.postMessage').find((c) => blockIds(c).includes('finding:auth-required'))!;
    // Approval needs the store: a `remediate:` button (auth-required's fixes are guided, so as on a message posted before `steps:` existed).
    const steps = finding.body.blocks!.flatMap((b) => b.elements ?? []).find((e) => e.action_id?.startsWith('steps:'))!;
    const button = { ...steps, action_id: `remediate:${steps.action_id!.slice('steps:'.length)}` };
    const r = await h.post(payloadBody(clickOn(finding, button, 'down-click')));
    expect(r.status).toBe(200);
    await h.double.waitFor('the refusal', (calls) => calls.some((c) => c.path === '/response/down-click'));
    expect(textOf(h.double.calls.find((c) => c.path === '/response/down-click'))).toContain('nothing was recorded');
    expect(h.double.ok('chat.postMessage').some((c) => blockIds(c).some((id) => id.startsWith('approval:')))).toBe(false);
  });

  it('still posts a guided fix\'s steps: they need nothing but the diagnosis this process holds', async () => {
    const finding = h.double.ok('chat.postMessage').find((c) => blockIds(c).includes('finding:auth-required'))!;
    const button = finding.body.blocks!.flatMap((b) => b.elements ?? []).find((e) => e.action_id?.startsWith('steps:'))!;
    expect((await h.post(payloadBody(clickOn(finding, button, 'down-steps')))).status).toBe(200);
    const id = `steps:${button.action_id!.slice('steps:'.length)}`;
    await h.double.waitFor('the steps', (calls) => calls.some((c) => c.method === 'chat.postMessage' && blockIds(c).includes(id)));
    const posted = h.double.ok('chat.postMessage').find((c) => blockIds(c).includes(id))!;
    expect(posted.body.thread_ts).toBe(finding.body.thread_ts);
    expect(textOf(posted)).toContain('```');
    expect(JSON.stringify(posted.body)).not.toContain('queue-down-secret-1');
  });

  it('reports not ready on /readyz while staying healthy on /healthz', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'queue-down', queue: 'down', slack: 'up' });
  });

  it('answers status from this process memory, saying so', async () => {
    const r = await h.command({ text: 'status' });
    const text = ackText(r.json);
    expect(r.ms).toBeLessThan(3000);
    expect(text).toContain('states known to this process only');
    expect(text).toMatch(/\*locked\* .* — unreachable \(`auth-required`\)/);
  });
});

/**
 * The queue Redis is unreachable (REDIS_URL points at a closed loopback
 * port): the command is still answered within Slack's 3 s, the diagnosis
 * runs in the web process, and the user is told the queue is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { ackText, payloadBody, startHarness, type Harness } from './helpers/harness.js';
import { blockIds, textOf } from './helpers/slack-double.js';

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
    const button = finding.body.blocks!.flatMap((b) => b.elements ?? []).find((e) => e.action_id?.startsWith('remediate:'))!;
    const payload = {
      type: 'block_actions', user: { id: 'U0ALICE', username: 'alice', team_id: 'T0TEST' }, api_app_id: 'A0TEST', token: 'x',
      container: { type: 'message', message_ts: finding.ts, channel_id: 'C0DOWN', is_ephemeral: false },
      trigger_id: `${process.pid}.down.1`, team: { id: 'T0TEST', domain: 'test' }, channel: { id: 'C0DOWN', name: 'ops' },
      message: { type: 'message', ts: finding.ts, thread_ts: finding.body.thread_ts, text: finding.body.text, blocks: finding.body.blocks },
      response_url: h.double.responseUrl('down-click'),
      actions: [{ action_id: button.action_id, block_id: 'actions:auth-required:0', value: button.value, type: 'button', action_ts: '1' }],
    };
    const r = await h.post(payloadBody(payload));
    expect(r.status).toBe(200);
    await h.double.waitFor('the refusal', (calls) => calls.some((c) => c.path === '/response/down-click'));
    expect(textOf(h.double.calls.find((c) => c.path === '/response/down-click'))).toContain('nothing was recorded');
    expect(h.double.ok('chat.postMessage').some((c) => blockIds(c).some((id) => id.startsWith('approval:')))).toBe(false);
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

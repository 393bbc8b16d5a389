/**
 * Request verification by the real Bolt receiver (behind slack-guard.ts):
 * only bodies signed with the signing secret, with a timestamp within 5
 * minutes either way, are processed. Refused requests get 401 (413 for a
 * body over the limit) and queue nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/http/slack-guard.js';
import { pollUntil } from '../lab/poll.js';
import { commandBody, payloadBody, sign, startHarness, type Harness } from './helpers/harness.js';

describe('signed requests only', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ config: 'targets:\n  - name: cache\n    url: redis://127.0.0.1:1\naccess:\n  diagnose: ["*"]\n' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const now = () => Math.floor(Date.now() / 1000);

  async function assertNothingQueued(): Promise<void> {
    // BullMQ writes `<prefix>:diagnose:<job id>` hashes and the wait list only when a job is added.
    const keys = await h.keys();
    expect(keys.filter((k) => /:diagnose:(wait|d-|de:|id$)/.test(k))).toEqual([]);
    expect(h.double.ok('chat.postMessage')).toHaveLength(0);
    expect(h.double.calls.filter((c) => c.method === 'response_url')).toHaveLength(0);
  }

  it('refuses a request signed with another secret', async () => {
    const body = commandBody(h.double, { text: 'cache' });
    const r = await h.post(body, sign(body, now(), 'not-the-secret-at-all-0000000000'));
    expect(r.status).toBe(401);
    await assertNothingQueued();
  });

  it('refuses an unsigned request', async () => {
    const r = await h.post(commandBody(h.double, { text: 'cache' }), {});
    expect(r.status).toBe(401);
    await assertNothingQueued();
  });

  it('refuses a correctly signed request replayed after more than 5 minutes', async () => {
    const body = commandBody(h.double, { text: 'cache' });
    const r = await h.post(body, sign(body, now() - 5 * 60 - 30));
    expect(r.status).toBe(401);
    await assertNothingQueued();
  });

  it('refuses a correctly signed request whose timestamp is more than 5 minutes ahead', async () => {
    // Slack: reject when |now - timestamp| > 5 minutes; Bolt alone checks only the past.
    const body = commandBody(h.double, { text: 'cache' });
    const r = await h.post(body, sign(body, now() + 5 * 60 + 30));
    expect(r.status).toBe(401);
    await assertNothingQueued();
  });

  it('refuses a body over 1 MiB with 413 without handing it to Bolt, even correctly signed', async () => {
    const body = commandBody(h.double, { text: `cache ${'x'.repeat(MAX_BODY_BYTES)}` });
    const r = await h.post(body);
    expect(r.status).toBe(413);
    expect(r.text).toBe('request body too large\n');
    expect(h.logs.some((l) => l.includes('request to /slack/events refused') && l.includes('"status":413'))).toBe(true);
    await assertNothingQueued();
  });

  it('refuses a body changed after signing', async () => {
    const body = commandBody(h.double, { text: 'cache' });
    const headers = sign(body, now());
    const r = await h.post(body.replace('text=cache', 'text=other'), headers);
    expect(r.status).toBe(401);
    await assertNothingQueued();
  });

  it('refuses a forged interactivity payload', async () => {
    const body = payloadBody({ type: 'block_actions', user: { id: 'U0BOSS' }, actions: [{ action_id: 'approve:rX', value: 'rX', type: 'button' }] });
    const r = await h.post(body, sign(body, now(), 'forged-secret-forged-secret-0000'));
    expect(r.status).toBe(401);
    await assertNothingQueued();
  });

  it('answers a correctly signed `payload=null` (and other non-objects) with 400, and keeps serving', async () => {
    for (const body of ['payload=null', 'payload=%5B1%5D', 'payload=%7B']) {
      const r = await h.post(body);
      expect(r.status, body).toBe(400);
    }
    const ok = commandBody(h.double, { text: 'help' });
    expect((await h.post(ok)).status).toBe(200);
    await assertNothingQueued();
  });

  it('refuses a future timestamp with a fraction (now + 3600.5)', async () => {
    const body = commandBody(h.double, { text: 'cache' });
    expect((await h.post(body, sign(body, now() + 3600.5 as unknown as number))).status).toBe(401);
    await assertNothingQueued();
  });

  it('300 slow unauthenticated uploads of ~1 MiB each do not grow the process by their size', async () => {
    const url = new URL(h.url);
    const sockets: import('node:net').Socket[] = [];
    const { connect } = await import('node:net');
    const before = process.memoryUsage().rss;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    try {
      await Promise.all(Array.from({ length: 300 }, () => new Promise<void>((resolve) => {
        const s = connect(Number(url.port), url.hostname);
        sockets.push(s);
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.on('connect', () => {
          const ts = now();
          s.write(`POST /slack/events HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${1024 * 1024}\r\nx-slack-request-timestamp: ${ts}\r\nx-slack-signature: v0=${'0'.repeat(64)}\r\n\r\n`);
          // ~1 MiB minus a little, never finishing the body.
          let sent = 0;
          const more = () => { while (sent < 15 && s.write(chunk)) sent += 1; if (sent < 15) s.once('drain', () => { sent += 1; more(); }); else resolve(); };
          more();
        });
        setTimeout(resolve, 5000);
      })));
      // The bytes sit in socket buffers first: wait (bounded) until the server has read past its budget.
      await pollUntil(async () => (h.logs.some((l) => l.includes('"status":503')) ? true : undefined), { what: 'a 503 for the uploads past the in-flight budget', timeoutMs: 10_000 });
      await new Promise((r) => setTimeout(r, 500));
      const grown = (process.memoryUsage().rss - before) / (1024 * 1024);
      // Without the bounds this held ~300 MiB (the 94 → 381 MB); the in-flight budget is 16 MiB.
      expect(grown).toBeLessThan(120);
    } finally {
      for (const s of sockets) s.destroy();
    }
    const ok = commandBody(h.double, { text: 'help' });
    expect((await h.post(ok)).status).toBe(200);
  });

  it('accepts the same command correctly signed', async () => {
    const body = commandBody(h.double, { text: 'help' });
    const r = await h.post(body);
    expect(r.status).toBe(200);
    expect(r.text).toContain('/redis-diagnose');
  });

  it('queues a correctly signed diagnosis (so the checks above can see a job when there is one)', async () => {
    const body = commandBody(h.double, { text: 'cache' });
    const r = await h.post(body);
    expect(r.status).toBe(200);
    // The job is added just after the ack.
    const jobKeys = await pollUntil(async () => {
      const found = (await h.keys()).filter((k) => /:diagnose:(wait|d-|de:|id$)/.test(k));
      return found.length > 0 ? found : undefined;
    }, { what: 'the job keys', timeoutMs: 5000 });
    expect(jobKeys.some((k) => /:diagnose:d-[0-9a-f]{24}$/.test(k))).toBe(true);
  });
});

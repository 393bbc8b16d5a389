/**
 * The guard in front of /slack/events, on a real HTTP server and real
 * sockets: what it refuses before reading a body, how it bounds bodies in
 * size, time and all together, and that a signed body which is not what
 * Slack sends never reaches the receiver behind it.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { guardSlackEvents } from '../../src/http/slack-guard.js';

const SECRET = 'guard-test-secret-0123456789';
const now = () => Math.floor(Date.now() / 1000);

function sign(body: string, ts: number | string): Record<string, string> {
  return { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}` };
}

describe('slack-guard', () => {
  let server: Server;
  let port: number;
  const reached: string[] = [];
  const refused: number[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const next = (req: { rawBody?: Buffer }, res: { end(t: string): void }) => {
      reached.push(req.rawBody?.toString() ?? '');
      res.end('ok');
    };
    server = createServer(guardSlackEvents(next as never, {
      path: '/slack/events', signingSecret: SECRET, onRefused: (s) => refused.push(s), bodyTimeoutMs: 400, maxInflightBytes: 100_000,
    }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const post = async (body: string, headers: Record<string, string>, type = 'application/x-www-form-urlencoded') => {
    const res = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', headers: { 'content-type': type, ...headers }, body });
    return { status: res.status, text: await res.text() };
  };

  /** Sends headers (and `first` bytes of a body of `length`), then waits: the raw answer, or '' after `ms`. */
  function rawRequest(headers: Record<string, string>, length: number, first: string, ms: number): Promise<string> {
    return new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      sockets.push(s);
      let got = '';
      const timer = setTimeout(() => resolve(got), ms);
      s.on('data', (d) => { got += d.toString(); if (got.includes('\r\n\r\n')) { clearTimeout(timer); resolve(got); } });
      s.on('error', () => undefined);
      const lines = Object.entries({ host: 'x', 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(length), ...headers }).map(([k, v]) => `${k}: ${v}`);
      s.write(`POST /slack/events HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${first}`);
    });
  }

  it('passes a correctly signed command and interactivity payload through', async () => {
    const body = 'command=%2Fredis-diagnose&user_id=U0ALICE&text=help';
    expect(await post(body, sign(body, now()))).toEqual({ status: 200, text: 'ok' });
    const click = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U0ALICE' }, actions: [{ action_id: 'recheck:d.x', type: 'button' }] }))}`;
    expect((await post(click, sign(click, now()))).status).toBe(200);
    expect(reached.at(-1)).toBe(click);
  });

  it('refuses without reading the body when the signature headers are missing', async () => {
    // Headers only; the announced 1 MiB body never comes, and the answer does not wait for it.
    const answer = await rawRequest({}, 1024 * 1024, '', 2000);
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
  });

  it('refuses a timestamp that is not whole seconds, or more than 5 minutes away either way', async () => {
    // 310, not 301: a second that ticks between signing and checking must not bring +301 inside the window.
    const body = 'text=help';
    for (const ts of [`${now() + 3600}.5`, `${now()}.0`, String(now() + 310), String(now() - 310), '1e9']) {
      expect((await post(body, sign(body, ts))).status, ts).toBe(401);
    }
  });

  it('answers 400 to signed bodies that are not what Slack sends, and never hands them on', async () => {
    const before = reached.length;
    const shapes = [{ type: 'block_actions', user: 5, actions: [{ action_id: 'x', type: 'button' }] }, { type: 'block_actions', user: { id: 'U1' }, actions: [{}] }, { type: 'view_submission' }];
    for (const body of ['payload=null', 'payload=%5B%5D', 'payload=%7Bnot%20json', 'payload=42', 'payload=%22text%22', 'text=no-command', ...shapes.map((p) => `payload=${encodeURIComponent(JSON.stringify(p))}`)]) {
      expect(await post(body, sign(body, now())), body).toEqual({ status: 400, text: 'malformed request body\n' });
    }
    expect((await post('null', sign('null', now()), 'application/json')).status).toBe(400);
    expect(reached.length).toBe(before);
  });

  it('refuses a forged signature with 401', async () => {
    const body = 'payload=null';
    const headers = sign(body, now());
    expect((await post('payload=%7B%7D', headers)).status).toBe(401);
  });

  it('ends a body that does not arrive in time with 408', async () => {
    const body = 'x'.repeat(200);
    const answer = await rawRequest(sign(body, now()), body.length, body.slice(0, 10), 3000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('bounds the bytes of all bodies in progress together: past the bound, 503', async () => {
    // Five slow uploads of 30 kB each against a 100 kB budget: the fourth cannot start.
    const chunk = 'x'.repeat(30_000);
    const answers = await Promise.all([0, 1, 2, 3, 4].map(async (i) => {
      await new Promise((r) => setTimeout(r, i * 30));
      return rawRequest(sign(chunk, now()), 1_000_000, chunk, 300);
    }));
    expect(answers.filter((a) => /^HTTP\/1\.1 503/.test(a)).length).toBeGreaterThanOrEqual(2);
    expect(refused).toContain(503);
  });
});

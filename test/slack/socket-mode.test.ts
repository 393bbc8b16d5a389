/**
 * Socket Mode (SLACK_APP_TOKEN set): the app opens its WebSocket through
 * apps.connections.open at SLACK_API_URL, and a slash command arriving as a
 * `slash_commands` envelope is acked over the socket with the same answer
 * HTTP mode gives. The WebSocket server here plays Slack's side of the
 * protocol: `hello` first, then envelopes; the client acks with the
 * envelope_id. (`ws` is the WebSocket library @slack/socket-mode itself uses.)
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { pollUntil } from '../lab/poll.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { blockIds } from './helpers/slack-double.js';

describe('Socket Mode', () => {
  let wss: WebSocketServer;
  let socket: WebSocket | undefined;
  const fromApp: Record<string, unknown>[] = [];
  let target: RedisServer;
  let h: Harness;

  beforeAll(async () => {
    target = await startRedis({ password: 'socket-mode-secret-3' });
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    wss.on('connection', (ws) => {
      socket = ws;
      ws.on('message', (data) => fromApp.push(JSON.parse(String(data)) as Record<string, unknown>));
      ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'test' }, connection_info: { app_id: 'A0TEST' } }));
    });
    const wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/link`;
    h = await startHarness({
      config: `targets:\n  - name: locked\n    url: redis://127.0.0.1:${target.port}\n`,
      env: { SLACK_SIGNING_SECRET: undefined, SLACK_APP_TOKEN: 'xapp-1-A0TEST-1-test' },
      beforeStart: (double) => double.answer('apps.connections.open', { ok: true, url: wsUrl }),
    });
  });

  afterAll(async () => {
    await h?.stop();
    for (const c of wss?.clients ?? []) c.terminate();
    await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
    await target?.stop();
  });

  /** Sends a `slash_commands` envelope (number `n`) as Slack does; resolves with the app's ack of it. */
  async function command(n: number, text: string): Promise<Record<string, unknown>> {
    socket!.send(JSON.stringify({
      envelope_id: `env-${n}`,
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: {
        token: 'x', team_id: 'T0TEST', team_domain: 'test', channel_id: 'C0SOCKET', channel_name: 'ops', user_id: 'U0ALICE', user_name: 'alice',
        command: '/redis-diagnose', text, api_app_id: 'A0TEST', is_enterprise_install: 'false',
        response_url: h.double.responseUrl(`socket-${n}`), trigger_id: `${process.pid}.socket.${n}`,
      },
    }));
    return pollUntil(async () => fromApp.find((m) => m.envelope_id === `env-${n}`), { what: 'the envelope ack', timeoutMs: 5000 });
  }

  it('connects through apps.connections.open with the app token', () => {
    const open = h.double.ok('apps.connections.open');
    expect(open).toHaveLength(1);
    expect(socket).toBeDefined();
  });

  it('acks a slash command envelope over the socket and posts the diagnosis with the bot token', async () => {
    const ack = await command(1, 'locked');
    expect(ack.payload).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.stringify(ack.payload)).toContain('Diagnosing `locked`');
    await h.double.waitFor('the finding reply', (calls) => calls.some((c) => c.method === 'chat.postMessage' && c.status === 200 && c.body.thread_ts !== undefined));
    const reply = h.double.ok('chat.postMessage').find((c) => c.body.thread_ts !== undefined);
    expect(blockIds(reply)).toContain('finding:auth-required');
  });

  it('refuses a password typed in Slack and keeps it out of the logs, debug lines of the Slack libraries included', async () => {
    const ack = await command(2, 'redis://default:typed-secret-7@127.0.0.1:6379');
    expect(JSON.stringify(ack.payload)).toContain('Never type a password in Slack');
    expect(JSON.stringify(ack.payload)).not.toContain('typed-secret-7');
    // The harness runs at LOG_LEVEL=debug; Bolt sets its own loggers to info, so no envelope is dumped.
    expect(h.logs.join('\n')).not.toContain('typed-secret-7');
  });

  it('serves the health routes on PORT', async () => {
    const res = await fetch(`http://127.0.0.1:${h.bot.port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', role: 'web+worker' });
  });
});

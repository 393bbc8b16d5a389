/**
 * The one-command client of a remediation, against real redis-server
 * processes (password, TLS) and a loopback listener that never answers:
 * nothing is sent unless connect and AUTH succeeded; the command is written
 * once and, without a reply, reported lost — never written again.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedTarget } from '../../src/config/resolve-target.js';
import { TargetConnectError, TargetSession } from '../../src/jobs/target-session.js';
import { commandCalls, configValue } from '../lab/commandstats.js';
import { freePort } from '../lab/ports.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { startTlsPair, type TlsPair } from '../lab/tls-pair.js';

const PASSWORD = `session-secret-${process.pid}`;
const timeouts = { connectMs: 1000, commandMs: 500 };

function target(port: number, extra: Partial<ResolvedTarget['options']> = {}, tls = false): ResolvedTarget {
  return { target: { input: 't', name: 't', host: '127.0.0.1', port, tls }, options: extra };
}

describe('TargetSession', () => {
  let locked: RedisServer;
  let pair: TlsPair;
  let mute: Server;
  let mutePort: number;
  const received: string[] = [];
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    [locked, pair] = await Promise.all([startRedis({ password: PASSWORD }), startTlsPair()]);
    mutePort = await freePort();
    // Accepts, records what arrives, never answers.
    mute = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('data', (d) => received.push(d.toString('latin1')));
    });
    await new Promise<void>((resolve) => mute.listen(mutePort, '127.0.0.1', () => resolve()));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => mute?.close(resolve));
    await Promise.all([locked?.stop(), pair?.stop()]);
  });

  it('authenticates with the target\'s credentials and sends the command once', async () => {
    const before = await commandCalls(locked, 'config|set');
    const session = await TargetSession.open(target(locked.port, { credentials: { password: PASSWORD } }), timeouts);
    try {
      expect(await session.send(['CONFIG', 'SET', 'maxclients', '321'])).toEqual({ kind: 'reply', ok: true, text: 'OK' });
      expect(await session.send(['CONFIG', 'SET', 'no-such-parameter', '1'])).toMatchObject({ kind: 'reply', ok: false });
    } finally {
      session.close();
    }
    expect(await configValue(locked, 'maxclients')).toBe('321');
    expect(await commandCalls(locked, 'config|set')).toBe(before + 2);
  });

  it('refuses at AUTH (permanently) with a wrong password, sending nothing', async () => {
    const before = await commandCalls(locked, 'config|set');
    const err = await TargetSession.open(target(locked.port, { credentials: { password: 'wrong-one' } }), timeouts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetConnectError);
    expect((err as TargetConnectError).retryable).toBe(false);
    expect((err as Error).message).toMatch(/refused the credentials: WRONGPASS/);
    expect(await commandCalls(locked, 'config|set')).toBe(before);
  });

  it('uses TLS with the target\'s CA, and refuses a certificate it cannot verify (permanently)', async () => {
    const session = await TargetSession.open(target(pair.tlsRedis.port, { tls: { ca: pair.material.ca } }, true), timeouts);
    try {
      expect(await session.send(['CONFIG', 'SET', 'timeout', '77'])).toEqual({ kind: 'reply', ok: true, text: 'OK' });
    } finally {
      session.close();
    }
    expect(await configValue(pair.tlsRedis, 'timeout')).toBe('77');
    const err = await TargetSession.open(target(pair.tlsRedis.port, { tls: {} }, true), timeouts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetConnectError);
    expect((err as TargetConnectError).retryable).toBe(false);
  });

  it('says a refused or silent connection sent nothing (retryable)', async () => {
    const closed = await freePort();
    const refused = await TargetSession.open(target(closed), timeouts).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TargetConnectError);
    expect((refused as TargetConnectError).retryable).toBe(true);
    const silentAuth = await TargetSession.open(target(mutePort, { credentials: { password: PASSWORD } }), timeouts).catch((e: unknown) => e);
    expect(silentAuth).toMatchObject({ retryable: true });
    expect((silentAuth as Error).message).toContain('no answer to AUTH');
    expect((silentAuth as Error).message).not.toContain(PASSWORD);
  });

  it('reports a command without a reply as lost, after writing it exactly once', async () => {
    received.length = 0;
    const session = await TargetSession.open(target(mutePort), timeouts);
    const started = Date.now();
    const result = await session.send(['SCRIPT', 'KILL']);
    session.close();
    expect(result).toEqual({ kind: 'lost', reason: 'no reply within 500 ms' });
    expect(Date.now() - started).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 100));
    expect(received.join('')).toBe('*2\r\n$6\r\nSCRIPT\r\n$4\r\nKILL\r\n');
  });
});

/**
 * probeUp, the monitor's cheap probe, against real redis-server processes
 * (one per state, shared by the cases) and small servers for what Redis
 * cannot be.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { probeUp } from '../../../src/engine/index.js';
import { startHttpServer, type FakeServer } from '../../lab/fake-servers.js';
import { describeLab, need } from '../../lab/guard.js';
import { freePortWithFreeNeighbours } from '../../lab/ports.js';
import { startRedis, type RedisServer } from '../../lab/redis.js';
import { startTlsPair, type TlsPair } from '../../lab/tls-pair.js';
import { silentServer, startServer, type LocalServer } from '../helpers/net-servers.js';

const PASSWORD = 'up-probe-secret-31';
const at = (port: number, extra: { tls?: boolean; db?: number } = {}) => ({ input: `127.0.0.1:${port}`, host: '127.0.0.1', port, tls: extra.tls ?? false, ...(extra.db !== undefined ? { db: extra.db } : {}) });

describeLab('probeUp', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  let open: RedisServer;
  let locked: RedisServer;
  let pair: TlsPair;
  let http: FakeServer;
  let silent: LocalServer;
  let echo: LocalServer;

  beforeAll(async () => {
    [open, locked, pair, http, silent] = await Promise.all([
      startRedis(), startRedis({ password: PASSWORD }), startTlsPair(), startHttpServer(), silentServer(),
    ]);
    // A proxy that quotes what it was sent, password included, in its error.
    echo = await startServer((socket) => socket.once('data', (d: Buffer) => socket.end(`-ERR proxy refused ${d.toString('latin1').replace(/\r\n/g, ' ')}\r\n`)));
  });
  afterAll(async () => {
    await Promise.all([open?.stop(), locked?.stop(), pair?.stop(), http?.close(), silent?.close(), echo?.close()]);
  });

  it('is up when PING answers +PONG, with and without a password', async () => {
    expect(await probeUp(at(open.port))).toMatchObject({ up: true, step: 'redis', address: '127.0.0.1' });
    expect(await probeUp(at(locked.port), { credentials: { password: PASSWORD } })).toMatchObject({ up: true });
  });

  it('is down, naming the step and the code, for a refused port', async () => {
    const r = await probeUp(at(await freePortWithFreeNeighbours()), { timeoutMs: 1000 });
    expect(r).toMatchObject({ up: false, step: 'tcp', code: 'ECONNREFUSED' });
    expect(r.durationMs).toBeLessThan(1000);
  });

  it('reports the first error reply: -NOAUTH without a password, -WRONGPASS for a wrong one', async () => {
    expect(await probeUp(at(locked.port))).toMatchObject({ up: false, step: 'redis', code: 'NOAUTH' });
    const wrong = await probeUp(at(locked.port), { credentials: { password: 'not-the-password' } });
    expect(wrong).toMatchObject({ up: false, step: 'redis', code: 'WRONGPASS' });
    expect(wrong.detail).toMatch(/^-WRONGPASS /);
  });

  it('selects the database as clients do: an index out of range is down', async () => {
    expect(await probeUp(at(open.port, { db: 3 }))).toMatchObject({ up: true });
    expect(await probeUp(at(open.port, { db: 99 }))).toMatchObject({ up: false, code: 'ERR', detail: expect.stringContaining('DB index is out of range') });
  });

  it('speaks TLS when asked, and fails the handshake on a plaintext port within its bound', async () => {
    expect(await probeUp(at(pair.tlsRedis.port, { tls: true }), { tls: { ca: pair.material.ca } })).toMatchObject({ up: true });
    const plain = await probeUp(at(pair.plainRedis.port, { tls: true }), { tls: { ca: pair.material.ca }, timeoutMs: 500 });
    expect(plain).toMatchObject({ up: false, step: 'tls' });
    expect(plain.durationMs).toBeLessThan(1500);
    // Plaintext to a TLS port: no RESP reply.
    expect(await probeUp(at(pair.tlsRedis.port), { timeoutMs: 500 })).toMatchObject({ up: false, step: 'redis' });
  });

  it('is down for something that is not Redis, and for a server that never answers, within one deadline', async () => {
    expect(await probeUp(at(http.port))).toMatchObject({ up: false, step: 'redis', code: 'NOT_RESP' });
    const r = await probeUp(at(silent.port), { timeoutMs: 300 });
    expect(r).toMatchObject({ up: false, step: 'redis', code: 'TIMEOUT' });
    expect(r.durationMs).toBeGreaterThanOrEqual(250);
    expect(r.durationMs).toBeLessThan(1000);
  });

  it('never returns the password, even when the server quotes it back', async () => {
    const r = await probeUp(at(echo.port), { credentials: { user: 'app', password: PASSWORD } });
    expect(r).toMatchObject({ up: false, code: 'ERR' });
    expect(r.detail).toContain('<redacted>');
    expect(JSON.stringify(r)).not.toContain(PASSWORD);
  });

  it('fails name resolution as dns', async () => {
    expect(await probeUp({ input: 'x', host: 'no-such-host.invalid', port: 6379, tls: false }, { timeoutMs: 1000 })).toMatchObject({ up: false, step: 'dns' });
  });
});

/**
 * What older TLS clients would meet (issue #17, point 4): a real
 * redis-server with `tls-protocols "TLSv1.3"`, and a TLS terminator in front
 * of a real plaintext redis-server that picks its certificate by SNI and has
 * none for clients that send no name (as proxies and managed endpoints do).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { describeLab, need } from '../lab/guard.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { createTlsMaterial, type TlsMaterial } from '../lab/tls.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';

/** A TLS terminator for `localhost` only (SNICallback, no default certificate), piping to a plaintext Redis. */
function sniOnlyProxy(material: TlsMaterial, backend: RedisServer): Promise<{ port: number; close(): Promise<void> }> {
  const context = tls.createSecureContext({ cert: readFileSync(material.certFile), key: readFileSync(material.keyFile) });
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({
    SNICallback: (name, cb) => (name === 'localhost' ? cb(null, context) : cb(new Error(`no certificate for ${name}`))),
  }, (client) => {
    const upstream = net.connect(backend.port, backend.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  server.on('tlsClientError', () => {});
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        close: () => new Promise<void>((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}

describeLab('TLS client compatibility', [need.binary('redis-server'), need.binary('openssl')], () => {
  let material: TlsMaterial;
  let only13: RedisServer;
  let usual: RedisServer;
  let plain: RedisServer;
  let proxy: { port: number; close(): Promise<void> };

  beforeAll(async () => {
    material = await createTlsMaterial();
    [only13, usual, plain] = await Promise.all([
      startRedis({ tls: material, args: ['--tls-protocols', 'TLSv1.3'] }),
      startRedis({ tls: material }),
      startRedis(),
    ]);
    proxy = await sniOnlyProxy(material, plain);
  });
  afterAll(async () => {
    await proxy?.close();
    await Promise.all([only13?.stop(), usual?.stop(), plain?.stop()]);
    await material?.remove();
  });

  it('tls-protocols "TLSv1.3" → healthy with an info note, confirmed by the protocol_version alert', async () => {
    const d = await diagnose(targetOf(only13.host, only13.port, true), { timeoutMs: 1000, tls: { ca: material.ca } });
    expectDiagnosis(d, { primaryCause: null, verdict: 'healthy' });
    const f = d.findings.find((x) => x.cause === 'tls-client-compatibility');
    expect(f).toMatchObject({ severity: 'info', confidence: 'confirmed', details: { needsSni: false, tls13Only: true } });
    expect(f?.title).toBe(`${only13.host}:${only13.port} accepts TLS 1.3 only: TLS 1.2 clients cannot connect`);
    expect(f?.evidence[1]).toMatch(/^a handshake with TLS 1\.2 at most: ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION — the server accepts TLS 1\.3 only/);
    expect(f?.remediations.map((r) => r.id)).toEqual(['allow-tls12-clients']);
  });

  it('the Redis default (TLS 1.2 and 1.3), by IP address → no note; only the TLS 1.2 handshake ran', async () => {
    const d = await diagnose(targetOf(usual.host, usual.port, true), { timeoutMs: 1000, tls: { ca: material.ca } });
    expectDiagnosis(d, { primaryCause: null, verdict: 'healthy' });
    expect(d.findings.map((f) => f.cause)).not.toContain('tls-client-compatibility');
    expect(d.checks.find((c) => c.id === 'tls-variants')).toMatchObject({ status: 'pass', detail: 'TLS 1.2 at most: handshake ok (TLSv1.2)' });
  });

  it('a terminator that needs SNI → info note (likely); the session through it is healthy', async () => {
    const d = await diagnose(targetOf('localhost', proxy.port, true), { timeoutMs: 1000, tls: { ca: material.ca } });
    expectDiagnosis(d, { primaryCause: null, verdict: 'healthy' });
    const f = d.findings.find((x) => x.cause === 'tls-client-compatibility');
    expect(f).toMatchObject({ severity: 'info', confidence: 'likely', details: { needsSni: true, tls13Only: false } });
    expect(f?.evidence[1]).toMatch(/^the same handshake without SNI: ERR_SSL_\w+ — clients that send no SNI/);
    expect(f?.remediations.map((r) => r.id)).toEqual(['send-sni']);
    expect(d.checks.find((c) => c.id === 'tls-variants')?.detail).toMatch(/^no SNI: ERR_SSL_\w+; TLS 1\.2 at most: handshake ok/);
  });

  it('plaintext targets run no TLS variant at all', async () => {
    const d = await diagnose(targetOf(plain.host, plain.port), { timeoutMs: 1000 });
    expect(d.checks.map((c) => c.id)).not.toContain('tls-variants');
  });
});

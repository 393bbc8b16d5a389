/**
 * The TLS handshake probe and the TLS sniff, against a real redis-server with
 * --tls-port, a plaintext redis-server, and small servers that are not Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeTls } from '../../../src/engine/probes/tls.js';
import { sniffTls } from '../../../src/engine/probes/tls-sniff.js';
import { probeTlsAlert } from '../../../src/engine/probes/tls-alert.js';
import { runRespSession } from '../../../src/engine/probes/resp.js';
import { describeLab, need } from '../../lab/guard.js';
import { startTlsPair, type TlsPair } from '../../lab/tls-pair.js';
import { startRedis } from '../../lab/redis.js';
import { startHttpServer, startSshLikeServer, type FakeServer } from '../../lab/fake-servers.js';
import { silentServer, type LocalServer } from '../helpers/net-servers.js';
import { openTcp } from '../helpers/open.js';

describeLab('TLS probe against redis-server', [need.binary('redis-server'), need.binary('openssl')], () => {
  let pair: TlsPair;
  beforeAll(async () => {
    pair = await startTlsPair();
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it('verifies the certificate against the given CA, then the RESP session runs over TLS', async () => {
    const result = await probeTls(await openTcp(pair.tlsRedis.port), '127.0.0.1', { ca: pair.material.ca }, 2000);
    expect(result.observation).toMatchObject({ ok: true, protocol: 'TLSv1.3', authorized: true });
    expect(result.observation.authorizationError).toBeUndefined();
    const { resp } = await runRespSession(result.open!, { timeoutMs: 2000 });
    expect(resp.ok).toBe(true);
  });

  it('checks the name: a certificate for 127.0.0.1/localhost does not match another name', async () => {
    const result = await probeTls(await openTcp(pair.tlsRedis.port), 'cache.example', { ca: pair.material.ca }, 2000);
    expect(result.open).toBeUndefined();
    expect(result.observation).toMatchObject({ ok: false, code: 'ERR_TLS_CERT_ALTNAME_INVALID', authorized: false, authorizationError: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  // redis-server sends its CA along with the leaf, so an unknown CA shows as a self-signed certificate in the chain.
  it('records an untrusted CA as the authorization error', async () => {
    const result = await probeTls(await openTcp(pair.tlsRedis.port), '127.0.0.1', undefined, 2000);
    expect(result.observation.ok).toBe(false);
    expect(result.observation.code).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    expect(result.observation.authorizationError).toBe('SELF_SIGNED_CERT_IN_CHAIN');
  });

  it('keeps the subject, issuer, validity and names of a certificate it rejected (or did not verify)', async () => {
    const rejected = await probeTls(await openTcp(pair.tlsRedis.port), '127.0.0.1', undefined, 2000);
    expect(rejected.observation.serverCertificate).toMatchObject({ subject: 'CN=localhost', issuer: 'CN=redis-doctor lab CA', subjectAltName: 'IP Address:127.0.0.1, DNS:localhost' });
    expect(rejected.observation.serverCertificate?.validTo).toMatch(/^[A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d \d{4} GMT$/);
    const skipped = await probeTls(await openTcp(pair.tlsRedis.port), '127.0.0.1', { insecure: true }, 2000);
    expect(skipped.observation.serverCertificate?.subject).toBe('CN=localhost');
    skipped.open?.socket.destroy();
    const verified = await probeTls(await openTcp(pair.tlsRedis.port), '127.0.0.1', { ca: pair.material.ca }, 2000);
    expect(verified.observation.serverCertificate).toBeUndefined();
    verified.open?.socket.destroy();
  });

  it('insecure: the handshake succeeds and says the certificate was not verified', async () => {
    const result = await probeTls(await openTcp(pair.tlsRedis.port), '127.0.0.1', { insecure: true }, 2000);
    expect(result.observation).toMatchObject({ ok: true, authorized: false, authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN' });
    result.open?.socket.destroy();
  });

  it('TLS to a plaintext Redis port times out cleanly (Redis waits for a newline) and says so', async () => {
    const result = await probeTls(await openTcp(pair.plainRedis.port), '127.0.0.1', { insecure: true }, 300);
    expect(result.observation.ok).toBe(false);
    expect(result.observation.code).toBe('ETIMEDOUT');
    expect(result.observation.message).toBe('no TLS handshake answer within 300 ms (no bytes); a plaintext Redis waits for a newline after a ClientHello');
  });

  it('sniff: a Redis TLS port speaks TLS', async () => {
    expect((await sniffTls('127.0.0.1', pair.tlsRedis.port, '127.0.0.1', 2000)).speaksTls).toBe(true);
  });

  it('alert probe: a TLS Redis that does not ask for client certificates stays quiet', async () => {
    const result = await probeTlsAlert('127.0.0.1', pair.tlsRedis.port, '127.0.0.1', { ca: pair.material.ca }, 300);
    expect(result.outcome).toBe('quiet');
    expect(result.alert).toBeUndefined();
  });

  it('alert probe: tls-auth-clients yes (the Redis default) shows as the TLS 1.3 "certificate required" alert', async () => {
    const mtls = await startRedis({ tls: pair.material, args: ['--tls-auth-clients', 'yes'] });
    try {
      const result = await probeTlsAlert('127.0.0.1', mtls.port, 'localhost', { ca: pair.material.ca }, 2000);
      expect(result).toMatchObject({ outcome: 'alert', alert: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
    } finally {
      await mtls.stop();
    }
  });

  it('sniff: a plaintext Redis port does not (bounded by the timeout)', async () => {
    expect((await sniffTls('127.0.0.1', pair.plainRedis.port, '127.0.0.1', 200)).speaksTls).toBe(false);
  });
});

describe('TLS probe against servers that are not TLS', () => {
  const servers: (FakeServer | LocalServer)[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  it('keeps the plaintext an HTTP server sends back', async () => {
    const s = await startHttpServer();
    servers.push(s);
    const result = await probeTls(await openTcp(s.port), '127.0.0.1', { insecure: true }, 2000);
    expect(result.observation.ok).toBe(false);
    expect(result.observation.code).toBe('ERR_SSL_WRONG_VERSION_NUMBER');
    expect(result.observation.plaintextReply).toMatch(/^HTTP\/1\.1 400 Bad Request\\r\\nServer: nginx\\r\\n/);
  });

  it('keeps the banner an SSH server sends', async () => {
    const s = await startSshLikeServer();
    servers.push(s);
    const result = await probeTls(await openTcp(s.port), 'localhost', { insecure: true }, 2000);
    expect(result.observation.ok).toBe(false);
    expect(result.observation.plaintextReply).toBe('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\\r\\n');
  });

  it('a silent server: ETIMEDOUT at the bound', async () => {
    const s = await silentServer();
    servers.push(s);
    const result = await probeTls(await openTcp(s.port), '127.0.0.1', undefined, 200);
    expect(result.observation).toMatchObject({ ok: false, code: 'ETIMEDOUT' });
    expect(result.observation.plaintextReply).toBeUndefined();
  });

  it('sniff: an HTTP server does not speak TLS', async () => {
    const s = await startHttpServer();
    servers.push(s);
    expect((await sniffTls('127.0.0.1', s.port, 'localhost', 2000)).speaksTls).toBe(false);
  });
});

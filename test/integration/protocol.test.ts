/**
 * What answers on the port, on loopback: Redis (healthy), Redis speaking the
 * other side of TLS, or something that is not Redis at all.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { startHttpServer, startSshLikeServer } from '../lab/fake-servers.js';
import { describeLab, need } from '../lab/guard.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { createTlsMaterial, type TlsMaterial } from '../lab/tls.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';

describeLab('what answers on the port', [need.binary('redis-server'), need.binary('openssl')], () => {
  let plain: RedisServer;
  let tls: TlsMaterial;
  let tlsOnly: RedisServer;

  beforeAll(async () => {
    tls = await createTlsMaterial();
    [plain, tlsOnly] = await Promise.all([startRedis(), startRedis({ tls })]);
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), tlsOnly?.stop()]);
    await tls?.remove();
  });

  it('a healthy server → healthy, no primary cause', async () => {
    const d = await diagnose(targetOf(plain.host, plain.port), { timeoutMs: 1000 });
    expectDiagnosis(d, { primaryCause: null, verdict: 'healthy' });
    expect(d.checks.find((c) => c.id === 'redis-handshake')?.status).toBe('pass');
    expect(d.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('plaintext client, TLS-only server → tls-mismatch', async () => {
    const d = await diagnose(targetOf(tlsOnly.host, tlsOnly.port), { timeoutMs: 1000 });
    expectDiagnosis(d, { primaryCause: 'tls-mismatch', verdict: 'unreachable', evidence: /TLS/ });
    expect(d.findings[0]?.details?.direction).toBe('plaintext-to-tls');
  });

  it('TLS client, plaintext server → tls-mismatch', async () => {
    const d = await diagnose(targetOf(plain.host, plain.port, true), { timeoutMs: 1000, tls: { ca: tls.ca } });
    expectDiagnosis(d, { primaryCause: 'tls-mismatch', verdict: 'unreachable', evidence: /PONG/ });
    expect(d.findings[0]?.details?.direction).toBe('tls-to-plaintext');
  });

  it('an SSH daemon on the port → not-redis', async () => {
    const ssh = await startSshLikeServer();
    try {
      const d = await diagnose(targetOf(ssh.host, ssh.port), { timeoutMs: 1000 });
      expectDiagnosis(d, { primaryCause: 'not-redis', verdict: 'unreachable', evidence: /SSH-2\.0-OpenSSH/ });
    } finally {
      await ssh.close();
    }
  });

  it('an HTTP server on the port → not-redis', async () => {
    const http = await startHttpServer();
    try {
      const d = await diagnose(targetOf(http.host, http.port), { timeoutMs: 1000 });
      expectDiagnosis(d, { primaryCause: 'not-redis', verdict: 'unreachable', evidence: /HTTP\/1\.1 400 Bad Request/ });
    } finally {
      await http.close();
    }
  });
});

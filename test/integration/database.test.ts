/**
 * A target that names a database: redis://host:port/<db>. The server has
 * `databases 4` (db 0 to 3), so db 3 works and db 7 is refused by SELECT
 * while PING still answers.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { describeLab, need } from '../lab/guard.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';

describeLab('database number', [need.binary('redis-server')], () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedis({ args: ['--databases', '4'] });
  });
  afterAll(() => server?.stop());

  it('db 7 on a server with databases 4 → db-index-out-of-range', async () => {
    const d = await diagnose({ ...targetOf(server.host, server.port), db: 7 }, { timeoutMs: 1000 });
    expectDiagnosis(d, { primaryCause: 'db-index-out-of-range', verdict: 'unreachable', evidence: /SELECT 7 → -ERR DB index is out of range/ });
    expect(d.checks.find((c) => c.id === 'redis-handshake')).toMatchObject({ status: 'fail', detail: 'SELECT 7 -ERR DB index is out of range' });
    expect(d.findings[0]?.details).toEqual({ db: 7 });
  });

  it('db 3 on the same server → healthy, SELECT recorded', async () => {
    const d = await diagnose({ ...targetOf(server.host, server.port), db: 3 }, { timeoutMs: 1000 });
    expectDiagnosis(d, { primaryCause: null, verdict: 'healthy' });
    expect(d.checks.find((c) => c.id === 'redis-handshake')?.detail).toBe('SELECT 3 +OK, PING +PONG');
  });
});

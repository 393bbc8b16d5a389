/**
 * Getting a session: passwords, ACLs, client slots. One server with
 * requirepass and a user without permissions serves three tests; maxclients
 * needs its own.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { describeLab, need } from '../lab/guard.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { holdClients } from '../lab/redis-states.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';

const PASSWORD = 'lab-Pa55word-7f3a';
const LIMITED_PASSWORD = 'lab-limited-91c2';

describeLab('access', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  let locked: RedisServer;

  beforeAll(async () => {
    locked = await startRedis({ password: PASSWORD });
    // A user that may log in and run nothing at all.
    await locked.cli('ACL', 'SETUSER', 'limited', 'on', `>${LIMITED_PASSWORD}`, '-@all');
  });
  afterAll(() => locked?.stop());

  it('requirepass, no password given → auth-required', async () => {
    const d = await diagnose(targetOf(locked.host, locked.port), { timeoutMs: 1000 });
    expectDiagnosis(d, { primaryCause: 'auth-required', verdict: 'unreachable', evidence: /-NOAUTH Authentication required/ });
  });

  it('requirepass, wrong password → auth-failed, and the password is never printed', async () => {
    const wrong = 'not-the-Pa55word-c0ffee';
    const d = await diagnose(targetOf(locked.host, locked.port), { timeoutMs: 1000, credentials: { password: wrong } });
    expectDiagnosis(d, { primaryCause: 'auth-failed', verdict: 'unreachable', evidence: /-WRONGPASS invalid username-password pair/ });
    expect(JSON.stringify(d)).not.toContain(wrong);
  });

  it('an ACL user without permissions → acl-denied', async () => {
    const d = await diagnose(targetOf(locked.host, locked.port), { timeoutMs: 1000, credentials: { user: 'limited', password: LIMITED_PASSWORD } });
    expectDiagnosis(d, { primaryCause: 'acl-denied', verdict: 'unreachable', evidence: /-NOPERM this user has no permissions to run the 'ping' command/ });
    expect(JSON.stringify(d)).not.toContain(LIMITED_PASSWORD);
  });

  it('every client slot taken → max-clients-reached', async () => {
    const full = await startRedis({ args: ['--maxclients', '1'] });
    const held = await holdClients(full, 1);
    try {
      const d = await diagnose(targetOf(full.host, full.port), { timeoutMs: 1000 });
      expectDiagnosis(d, { primaryCause: 'max-clients-reached', verdict: 'unreachable', evidence: /-ERR max number of clients reached/ });
    } finally {
      held.release();
      await full.stop();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/auth-failed.js';
import { allFail, err, healthy, INFO_COMMAND, passwordWithoutRequirepass, session, TEXT } from '../fixtures.js';

describe('auth-failed', () => {
  it('fires on -WRONGPASS for an ACL user, naming the user', () => {
    const obs = healthy();
    obs.client = { ...obs.client, authProvided: true, user: 'alice' };
    obs.resp = session([
      ['AUTH alice <redacted>', err(TEXT.wrongpass)],
      ['PING', err(TEXT.noauth)],
      [INFO_COMMAND, err(TEXT.noauth)],
    ]);
    delete obs.info;
    const f = rule.evaluate(obs);
    expect(f?.cause).toBe('auth-failed');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('Authentication failed for user "alice": wrong password, or the user is disabled');
    expect(f?.evidence).toEqual(['AUTH alice <redacted> → -WRONGPASS invalid username-password pair or user is disabled.', 'user: alice']);
    expect(f?.remediations.map((r) => r.id)).toEqual(['supply-password']);
    expect(f?.remediations[0]?.steps[0]).toContain('redis-cli -h 10.0.0.5 -p 6379 --user alice --askpass PING');
    expect(rule.supersedes).toContain('auth-required');
  });

  it('fires on the pre-6 "-ERR invalid password"', () => {
    const obs = healthy();
    obs.client.authProvided = true;
    obs.resp = allFail('ERR invalid password', true);
    expect(rule.evaluate(obs)?.title).toBe('Authentication failed: wrong password');
  });

  it('leaves a password sent to a server without one to wrong-instance (one owner for that reply)', () => {
    expect(rule.evaluate(passwordWithoutRequirepass())).toBeUndefined();
  });

  it('does not fire on -NOAUTH alone or a healthy session', () => {
    const obs = healthy();
    obs.resp = allFail(TEXT.noauth);
    expect(rule.evaluate(obs)).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/auth-required.js';
import { allFail, healthy, TEXT } from '../fixtures.js';

describe('auth-required', () => {
  it('fires on -NOAUTH when no credentials were given', () => {
    const obs = healthy();
    obs.resp = allFail(TEXT.noauth);
    delete obs.info;
    const f = rule.evaluate(obs);
    expect(f?.cause).toBe('auth-required');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('Redis requires a password and the client gave none');
    expect(f?.evidence).toEqual(['PING → -NOAUTH Authentication required.', 'no credentials were supplied']);
    expect(f?.remediations.map((r) => r.id)).toEqual(['supply-password']);
    expect(f?.remediations[0]?.steps[0]).toBe('Test by hand: redis-cli -h 10.0.0.5 -p 6379 --askpass PING (prompts for the password; REDISCLI_AUTH=<password> works too).');
  });

  it('does not fire on a healthy session or other errors', () => {
    expect(rule.evaluate(healthy())).toBeUndefined();
    const obs = healthy();
    obs.resp = allFail(TEXT.loading);
    expect(rule.evaluate(obs)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { quotaOf, rule } from '../../../src/engine/rules/provider-limit-reached.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { allFail, err, healthy, INFO_COMMAND, session, TEXT } from '../fixtures.js';

describe('provider-limit-reached', () => {
  it('a proxy answering every command with Upstash\'s connection quota: critical, confirmed, not unexpected-reply', () => {
    const obs = healthy();
    delete obs.info;
    obs.resp = allFail('ERR max concurrent connections exceeded');
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ cause: 'provider-limit-reached', severity: 'critical', confidence: 'confirmed', details: { limit: 'the maximum number of concurrent connections', known: true } });
    expect(f?.evidence[0]).toBe('PING → -ERR max concurrent connections exceeded');
    expect(f?.remediations.map((r) => r.id)).toEqual(['reduce-provider-usage']);
    const d = evaluate(obs);
    expect(d).toMatchObject({ verdict: 'unreachable', primaryCause: 'provider-limit-reached' });
    expect(d.findings.map((x) => x.cause)).not.toContain('unexpected-reply');
  });

  it('knows the published texts with their tails, and the "ERR max … exceeded" family as likely', () => {
    expect(quotaOf(err('ERR max daily request limit exceeded. Limit: 10000, Usage: 10001. See https://upstash.com/docs/redis/troubleshooting/max_daily_request_limit for details'))).toEqual({ limit: 'the daily request limit', known: true });
    expect(quotaOf(err('ERR max requests limit exceeded. Limit: 500000, Usage: 500000.'))?.limit).toBe('the monthly request limit');
    expect(quotaOf(err('ERR DB capacity quota exceeded'))?.limit).toBe('the database storage quota');
    expect(quotaOf(err('err max request size exceeded'))?.known).toBe(true);
    expect(quotaOf(err('ERR max bandwidth limit exceeded'))).toEqual({ limit: 'a plan limit', known: false });
    const obs = healthy();
    obs.resp = allFail('ERR max bandwidth limit exceeded');
    expect(rule.evaluate(obs)?.confidence).toBe('likely');
  });

  it('PING answered, a quota reply to a later command: warning', () => {
    const obs = healthy();
    obs.resp = session([['PING', { kind: 'status', text: 'PONG' }], [INFO_COMMAND, err('ERR max requests limit exceeded')]]);
    expect(rule.evaluate(obs)?.severity).toBe('warning');
  });

  it('does not fire on Redis\'s own maxclients text, other errors, a healthy server, or an over-long hostile reply', () => {
    const obs = healthy();
    obs.resp = session([], { greeting: err(TEXT.maxClients), closedByServer: true });
    expect(rule.evaluate(obs)).toBeUndefined();
    obs.resp = allFail('ERR unknown command');
    expect(rule.evaluate(obs)).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
    // The phrase past the cap is not read: matching stays on the first 200 characters.
    expect(quotaOf(err(`ERR max ${'x'.repeat(500)} exceeded`))).toBeUndefined();
  });
});

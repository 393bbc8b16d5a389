import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/address-family-mismatch.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import type { Observations, TcpAttempt } from '../../../src/engine/model/types.js';
import { allFail, healthy } from '../fixtures.js';

const v6 = (extra: Partial<TcpAttempt> = {}): TcpAttempt => ({ address: '::1', family: 6, ok: false, code: 'ECONNREFUSED', message: 'connect ECONNREFUSED ::1:7602', durationMs: 1, ...extra });
const v4 = (extra: Partial<TcpAttempt> = {}): TcpAttempt => ({ address: '127.0.0.1', family: 4, ok: true, durationMs: 1, ...extra });

/** `localhost`-style: ::1 first, then 127.0.0.1; the session ran on the address that connected. */
function dual(attempts: TcpAttempt[]): Observations {
  const obs = healthy();
  obs.target = { input: 'localhost:7602', host: 'localhost', port: 7602, tls: false };
  obs.client.remote = false;
  obs.dns = {
    lookedUp: true, ok: true, durationMs: 1,
    addresses: attempts.map((a) => ({ address: a.address, family: a.family })),
    families: [{ family: 4, addresses: ['127.0.0.1'] }, { family: 6, addresses: ['::1'] }],
  };
  const used = attempts.find((a) => a.ok);
  obs.tcp = { ok: used !== undefined, address: used?.address ?? attempts[0]!.address, port: 7602, durationMs: 1, attempts };
  return obs;
}

describe('address-family-mismatch', () => {
  it('first address refused, the next answers as Redis → critical, confirmed, degraded verdict', () => {
    const obs = dual([v6(), v4()]);
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ cause: 'address-family-mismatch', severity: 'critical', confidence: 'confirmed', details: { firstAddress: '::1', failing: '::1', answering: '127.0.0.1', firstCode: 'ECONNREFUSED' } });
    expect(f?.title).toBe('localhost resolves to ::1 first, where port 7602 refuses: clients that use only the first address cannot connect');
    expect(f?.evidence).toEqual([
      'localhost resolves to ::1, 127.0.0.1 in this order (looked up on their own: A: 127.0.0.1; AAAA: ::1); a client that takes only the first address uses ::1',
      '[::1]:7602 → ECONNREFUSED after 1 ms (first in resolver order)',
      '127.0.0.1:7602 → connected after 1 ms; Redis answered there: +PONG',
      expect.stringContaining('Node.js 20+ with autoSelectFamily off ("connect ECONNREFUSED ::1:7602")'),
    ]);
    expect(f?.evidence[3]).toContain('redis-cli (hiredis asks for IPv4 first) connects');
    expect(f?.remediations.map((r) => r.id)).toEqual(['bind-both-address-families', 'pin-client-address-family']);
    expect(f?.remediations[0]?.steps.join('\n')).toContain('bind 127.0.0.1 ::1');
    expect(f?.remediations[0]?.steps.join('\n')).toContain('bind * -::*');
    expect(f?.remediations[1]?.steps.join('\n')).toContain("family: 4");
    expect(f?.remediations[1]?.steps[0]).toContain('redis://127.0.0.1:7602');
    const e = evaluate(obs);
    expect(e).toMatchObject({ verdict: 'degraded', primaryCause: 'address-family-mismatch' });
  });

  it('first address silent (timed out) → critical but only likely', () => {
    const f = rule.evaluate(dual([v6({ code: 'ETIMEDOUT', durationMs: 2000 }), v4()]));
    expect(f).toMatchObject({ severity: 'critical', confidence: 'likely' });
    expect(f?.title).toContain('where port 7602 fails (ETIMEDOUT)');
  });

  it('refused, but the address that connected did not answer RESP → likely', () => {
    const obs = dual([v6(), v4()]);
    obs.resp = { ...obs.resp!, exchanges: [], noReply: true, ok: false };
    expect(rule.evaluate(obs)?.confidence).toBe('likely');
  });

  it('a RESP error on the answering address still shows Redis listens there', () => {
    const obs = dual([v6(), v4()]);
    obs.resp = allFail('NOAUTH Authentication required.');
    const f = rule.evaluate(obs);
    expect(f?.confidence).toBe('confirmed');
    expect(f?.evidence[2]).toContain('Redis answered there: -NOAUTH Authentication required.');
  });

  it('a later address fails → info: only clients that prefer that family; the verdict stays healthy', () => {
    const obs = dual([v4({ address: '::1', family: 6 }), v6({ address: '127.0.0.1', family: 4 })]);
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'info', confidence: 'confirmed', details: { failing: '127.0.0.1', answering: '::1' } });
    expect(f?.title).toBe('localhost also resolves to 127.0.0.1, where port 7602 does not answer: clients that prefer IPv4 fail');
    expect(f?.evidence[3]).not.toContain('hiredis');
    expect(evaluate(obs)).toMatchObject({ verdict: 'healthy', primaryCause: null });
  });

  it('does not fire when every address answers, every address fails, one address only, or the step was aborted', () => {
    expect(rule.evaluate(dual([v4({ address: '::1', family: 6 }), v4()]))).toBeUndefined();
    expect(rule.evaluate(dual([v6(), v6({ address: '127.0.0.1', family: 4 })]))).toBeUndefined();
    expect(rule.evaluate(dual([v4()]))).toBeUndefined();
    expect(rule.evaluate(dual([v6({ code: 'ABORTED' }), v4()]))).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});

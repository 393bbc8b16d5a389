import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/unexpected-reply.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { err, healthy, session } from '../fixtures.js';

describe('unexpected-reply (the fallback)', () => {
  it('quotes replies no rule knows, to PING and INFO alike, undecodable bytes shown as received', () => {
    const obs = healthy();
    delete obs.info;
    obs.resp = session([['PING', err('ERR proxy: command filtered')], ['INFO server', { kind: 'status', text: '\ufffd\ufffdOK' }]]);
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ cause: 'unexpected-reply', severity: 'critical', confidence: 'possible', details: { answered: true } });
    expect(f?.evidence).toEqual(['PING → -ERR proxy: command filtered', 'INFO → +\ufffd\ufffdOK']);
    expect(f?.remediations.map((r) => r.id)).toEqual(['identify-listener', 'check-server-responsiveness']);
    const d = evaluate(obs);
    expect(d).toMatchObject({ verdict: 'unreachable', primaryCause: 'unexpected-reply' });
  });

  it('says what failed when the connection failed with a code no rule knows', () => {
    const obs = healthy();
    delete obs.resp;
    delete obs.info;
    obs.tcp = { ok: false, address: '10.0.0.5', port: 6379, code: 'EADDRNOTAVAIL', message: 'connect EADDRNOTAVAIL 10.0.0.5:6379', durationMs: 1 };
    expect(evaluate(obs).findings[0]?.evidence).toEqual(['TCP connect to 10.0.0.5:6379 failed after 1 ms: EADDRNOTAVAIL (connect EADDRNOTAVAIL 10.0.0.5:6379)']);
  });

  it('never runs when the server answers PING', () => {
    expect(evaluate(healthy()).findings).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { rule } from '../../../src/engine/rules/db-index-out-of-range.js';
import type { Observations } from '../../../src/engine/model/types.js';
import { err, healthy, INFO_COMMAND, session, TEXT } from '../fixtures.js';

/** redis://10.0.0.5:6379/7 against a server with `databases 4`: SELECT refused, PING and INFO answered. */
function db7(): Observations {
  const obs = healthy();
  obs.target = { ...obs.target, input: 'redis://10.0.0.5:6379/7', db: 7 };
  obs.resp = session([
    ['SELECT 7', err(TEXT.dbOutOfRange)],
    ['PING', { kind: 'status', text: 'PONG' }],
    [INFO_COMMAND, { kind: 'string', text: '# Server\r\nredis_version:7.0.15\r\n' }],
  ]);
  return obs;
}

describe('db-index-out-of-range', () => {
  it('fires on a refused SELECT, quoting the reply and the databases in use', () => {
    const f = rule.evaluate(db7());
    expect(f?.cause).toBe('db-index-out-of-range');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('Database 7 does not exist on 10.0.0.5:6379: SELECT 7 is refused');
    expect(f?.evidence).toEqual([
      'SELECT 7 → -ERR DB index is out of range',
      'the server has fewer than 8 databases (redis.conf databases, default 16): valid numbers are 0 to databases − 1',
      'INFO keyspace: db0:keys=12,expires=0,avg_ttl=0',
    ]);
    expect(f?.remediations.map((r) => r.id)).toEqual(['use-existing-db', 'raise-databases']);
    expect(f?.details).toEqual({ db: 7 });
  });

  it('makes the verdict unreachable although PING answered: no client of that URL gets a session', () => {
    expect(evaluate(db7())).toMatchObject({ verdict: 'unreachable', primaryCause: 'db-index-out-of-range' });
  });

  it('steps name the databases setting and point the rerun at the URL without the bad db', () => {
    const [use, raise] = rule.evaluate(db7())!.remediations;
    expect(use?.steps[0]).toBe('How many databases the server has: redis-cli -h 10.0.0.5 -p 6379 CONFIG GET databases — valid numbers are 0 to databases − 1.');
    expect(use?.verify).toBe('Run the diagnosis again (redis-doctor diagnose redis://10.0.0.5:6379): with the corrected /<db> the verdict is healthy.');
    expect(raise?.title).toBe('Give the server at least 8 databases (databases 8 in redis.conf)');
    expect(raise?.verify).toBe('Run the diagnosis again (redis-doctor diagnose redis://10.0.0.5:6379/7): SELECT succeeds and the verdict is healthy.');
  });

  it('does not fire when SELECT succeeded, or on the same text for another command', () => {
    const ok = db7();
    ok.resp!.exchanges[0]!.reply = { kind: 'status', text: 'OK' };
    expect(rule.evaluate(ok)).toBeUndefined();
    const noDb = healthy();
    noDb.resp = session([['PING', err(TEXT.dbOutOfRange)]]);
    expect(rule.evaluate(noDb)).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });

  it('leaves a SELECT refused for want of a password to auth-required', () => {
    const obs = db7();
    obs.resp = session([
      ['SELECT 7', err(TEXT.noauth)],
      ['PING', err(TEXT.noauth)],
    ]);
    expect(rule.evaluate(obs)).toBeUndefined();
    expect(evaluate(obs).primaryCause).toBe('auth-required');
  });
});

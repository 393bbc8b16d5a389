import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/busy-script.js';
import { allFail, healthy, TEXT } from '../fixtures.js';

describe('busy-script', () => {
  it('fires on -BUSY from a Lua script and offers SCRIPT KILL', () => {
    const obs = healthy();
    obs.resp = allFail(TEXT.busyScript);
    delete obs.info;
    const f = rule.evaluate(obs);
    expect(f?.cause).toBe('busy-script');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('Redis is blocked by a long-running Lua script');
    expect(f?.evidence).toEqual([`PING → -${TEXT.busyScript}`]);
    expect(f?.remediations.map((r) => r.id)).toEqual(['kill-busy-script', 'shutdown-nosave']);
    expect(f?.remediations[0]?.mode).toBe('automatic');
    expect(f?.remediations[0]?.redisCommand).toEqual(['SCRIPT', 'KILL']);
    expect(f?.remediations[1]?.risk).toBe('high');
  });

  it('offers FUNCTION KILL for a function', () => {
    const obs = healthy();
    obs.resp = allFail(TEXT.busyFunction);
    const f = rule.evaluate(obs);
    expect(f?.title).toBe('Redis is blocked by a long-running function');
    expect(f?.remediations[0]?.redisCommand).toEqual(['FUNCTION', 'KILL']);
  });

  it('does not fire without -BUSY', () => {
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/protected-mode.js';
import { allFail, err, healthy, session, TEXT } from '../fixtures.js';

describe('protected-mode', () => {
  it('fires on the -DENIED greeting, quoting it trimmed', () => {
    const obs = healthy();
    obs.resp = session([], { greeting: err(TEXT.denied), closedByServer: true });
    delete obs.info;
    const f = rule.evaluate(obs);
    expect(f?.cause).toBe('protected-mode');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('Redis refuses remote clients: protected mode');
    expect(f?.evidence[0]).toMatch(/^server sent on connect: -DENIED Redis is running in protected mode because protected mode is enabled/);
    expect(f?.evidence[0]!.length).toBeLessThanOrEqual(200);
    expect(f?.evidence[0]).toMatch(/…$/);
    expect(f?.remediations.map((r) => r.id)).toEqual(['set-requirepass', 'disable-protected-mode']);
    const disable = f!.remediations[1]!;
    expect(disable.risk).toBe('high');
    expect(disable.steps[0]).toMatch(/^Warning: .*Never turn it off unless requirepass or ACL users are set and a firewall/);
  });

  it('also matches the reply in wire form with a leading "-"', () => {
    const obs = healthy();
    obs.resp = session([['PING', err(`-${TEXT.denied}`)]]);
    expect(rule.evaluate(obs)?.cause).toBe('protected-mode');
  });

  it('does not fire on other errors or a healthy session', () => {
    const obs = healthy();
    obs.resp = allFail(TEXT.noauth);
    expect(rule.evaluate(obs)).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});

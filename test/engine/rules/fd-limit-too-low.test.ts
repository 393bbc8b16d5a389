import { describe, expect, it } from 'vitest';
import { fdLimited, rule } from '../../../src/engine/rules/fd-limit-too-low.js';
import { healthy, withInfo } from '../fixtures.js';

describe('fd-limit-too-low', () => {
  it('warns when maxclients is 1024 − 32 (what Redis sets under ulimit -n 1024)', () => {
    const f = rule.evaluate(withInfo(healthy(), { clients: { connected_clients: '1', maxclients: '992' } }));
    expect(f?.cause).toBe('fd-limit-too-low');
    expect(f?.severity).toBe('warning');
    expect(f?.title).toBe('The open-files limit (1024) forced maxclients down to 992');
    expect(f?.evidence[0]).toBe('connected_clients:1 maxclients:992');
    expect(f?.evidence[1]).toContain('"maxclients has been reduced to 992 to compensate for low ulimit"');
    expect(f?.remediations.map((r) => r.id)).toEqual(['raise-nofile-limit']);
    expect(f?.remediations[0]?.steps.join('\n')).toContain('LimitNOFILE=65535');
    expect(f?.details).toEqual({ maxclients: 992, nofile: 1024 });
  });

  it('recognises 4096 − 32 and reads CONFIG GET when INFO lacks the field', () => {
    const obs = healthy();
    delete obs.info;
    obs.config = { maxclients: '4064' };
    expect(fdLimited(obs)).toEqual({ maxclients: 4064, nofile: 4096 });
  });

  it('does not fire on the default 10000 or a maxclients chosen by hand', () => {
    expect(rule.evaluate(healthy())).toBeUndefined();
    expect(rule.evaluate(withInfo(healthy(), { clients: { maxclients: '500' } }))).toBeUndefined();
    expect(rule.evaluate(withInfo(healthy(), { clients: { maxclients: '16352' } }))).toBeUndefined();
  });
});

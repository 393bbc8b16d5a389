import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/dns-resolution-failed.js';
import type { Observations } from '../../../src/engine/model/types.js';
import { healthy } from '../fixtures.js';

function unresolved(code: string): Observations {
  const obs = healthy();
  obs.target = { input: 'cache.example.invalid:6379', host: 'cache.example.invalid', port: 6379, tls: false };
  obs.dns = { lookedUp: true, ok: false, addresses: [], code, durationMs: 12.4 };
  delete obs.tcp;
  delete obs.resp;
  delete obs.info;
  return obs;
}

describe('dns-resolution-failed', () => {
  it('fires on ENOTFOUND with the name and code as evidence', () => {
    const f = rule.evaluate(unresolved('ENOTFOUND'));
    expect(f?.cause).toBe('dns-resolution-failed');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('The host name cache.example.invalid does not resolve (ENOTFOUND)');
    expect(f?.evidence[0]).toContain('lookup of "cache.example.invalid" failed after 12 ms: ENOTFOUND');
    expect(f?.remediations.map((r) => r.id)).toEqual(['fix-dns']);
    expect(f?.remediations[0]?.steps.join('\n')).toContain('dig +short cache.example.invalid');
    expect(f?.details).toEqual({ code: 'ENOTFOUND', temporary: false });
  });

  it('calls EAI_AGAIN a resolver failure, not a missing name', () => {
    const f = rule.evaluate(unresolved('EAI_AGAIN'));
    expect(f?.title).toContain('the resolver did not answer (EAI_AGAIN)');
    expect(f?.details?.['temporary']).toBe(true);
    expect(f?.remediations[0]?.steps.join('\n')).toContain('/etc/resolv.conf');
  });

  it('does not fire when the name resolved or an IP literal was given', () => {
    expect(rule.evaluate(healthy())).toBeUndefined();
    const resolved = unresolved('ENOTFOUND');
    resolved.dns = { lookedUp: true, ok: true, addresses: [{ address: '10.0.0.5', family: 4 }], durationMs: 3 };
    expect(rule.evaluate(resolved)).toBeUndefined();
  });
});

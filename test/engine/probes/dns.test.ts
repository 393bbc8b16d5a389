import { describe, expect, it } from 'vitest';
import { probeDns } from '../../../src/engine/probes/dns.js';

// Only names answered from /etc/hosts: a unit test sends no query to a resolver.
// Failing names (ENOTFOUND, a slow resolver) are the lab's job, with its own resolv.conf.
describe('probeDns', () => {
  it('does not look up IP literals', async () => {
    expect(await probeDns('10.0.0.5', 1000)).toEqual({ lookedUp: false, ok: true, addresses: [{ address: '10.0.0.5', family: 4 }], durationMs: 0 });
    expect(await probeDns('::1', 1000)).toEqual({ lookedUp: false, ok: true, addresses: [{ address: '::1', family: 6 }], durationMs: 0 });
  });

  it('resolves localhost through getaddrinfo, each address once', async () => {
    const dns = await probeDns('localhost', 2000);
    expect(dns.lookedUp).toBe(true);
    expect(dns.ok).toBe(true);
    expect(dns.addresses.map((a) => a.address)).toContain('127.0.0.1');
    expect(new Set(dns.addresses.map((a) => a.address)).size).toBe(dns.addresses.length);
    // RFC 6761 localhost: no per-family lookup, which /etc/hosts may not answer and DNS would be asked.
    expect(dns.families).toBeUndefined();
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    const dns = await probeDns('localhost', 2000, controller.signal);
    expect(dns).toMatchObject({ lookedUp: true, ok: false, code: 'ABORTED' });
  });
});

import { describe, expect, it } from 'vitest';
import { compareLocations } from '../../src/engine/index.js';
import type { Check, Diagnosis } from '../../src/engine/model/types.js';

function doc(location: string | undefined, checks: Check[], over: Partial<Diagnosis> = {}): Diagnosis {
  return {
    target: { input: 'cache-prod', name: 'cache-prod', host: '198.18.7.2', port: 6379, tls: false },
    verdict: 'healthy', primaryCause: null, findings: [], checks, durationMs: 5, startedAt: '2026-01-01T00:00:00Z', version: 't',
    ...(location !== undefined ? { location } : {}), ...over,
  };
}
const ok: Check = { id: 'tcp-connect', status: 'pass', durationMs: 1, detail: 'connected to 198.18.7.2:6379' };
const fail = (detail: string, durationMs = 1): Check => ({ id: 'tcp-connect', status: 'fail', durationMs, detail });
const ip: Check = { id: 'dns', status: 'skip', durationMs: 0, detail: 'IP address, no lookup needed' };

describe('compareLocations: blocked-from-location', () => {
  it('answered from one location, refused from another: names both and a rejecting firewall, likely for the same address', () => {
    const f = compareLocations([doc('local', [ip, ok]), doc('eu-vpc', [ip, fail('ECONNREFUSED')], { verdict: 'unreachable', primaryCause: 'connection-refused' })]);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ cause: 'blocked-from-location', severity: 'critical', confidence: 'likely', details: { answeredFrom: 'local', blockedFrom: 'eu-vpc', how: 'refused' } });
    expect(f[0]!.title).toMatch(/answers from local but refused from eu-vpc/);
    expect(f[0]!.title).toMatch(/REJECT/);
    expect(f[0]!.remediations.map((r) => r.id)).toEqual(['allow-location-path', 'check-network-path']);
    expect(f[0]!.remediations[0]!.steps.join('\n')).toContain('eu-vpc');
  });

  it('dropped (timeout) names a security group / NetworkPolicy; no route names a routing gap', () => {
    const dropped = compareLocations([doc('eu-vpc', [ip, fail('ETIMEDOUT', 2000)]), doc('local', [ip, ok])]);
    expect(dropped[0]).toMatchObject({ details: { answeredFrom: 'local', blockedFrom: 'eu-vpc', how: 'dropped' } });
    expect(dropped[0]!.title).toMatch(/security group.*NetworkPolicy/);
    const noRoute = compareLocations([doc('local', [ip, ok]), doc('eu-vpc', [ip, fail('ENETUNREACH')])]);
    expect(noRoute[0]!.details!.how).toBe('no-route');
    expect(noRoute[0]!.title).toMatch(/routing gap/);
  });

  it('a name that resolved elsewhere from the blocked location: possible, not likely', () => {
    const named = (location: string, dns: string, tcp: Check) => doc(location, [{ id: 'dns', status: 'pass', durationMs: 1, detail: dns }, tcp], { target: { input: 'c', host: 'redis.internal', port: 6379, tls: false } });
    const other = compareLocations([named('local', '198.18.7.2', ok), named('eu-vpc', '10.9.9.9', fail('ECONNREFUSED'))]);
    expect(other[0]!.confidence).toBe('possible');
    const same = compareLocations([named('local', '198.18.7.2', ok), named('eu-vpc', '10.9.9.9, 198.18.7.2', fail('ECONNREFUSED'))]);
    expect(same[0]!.confidence).toBe('likely');
  });

  it('nothing when every location agrees, when none answers, or without locations', () => {
    expect(compareLocations([doc('local', [ip, ok]), doc('eu-vpc', [ip, ok])])).toEqual([]);
    expect(compareLocations([doc('local', [ip, fail('ECONNREFUSED')]), doc('eu-vpc', [ip, fail('ETIMEDOUT')])])).toEqual([]);
    expect(compareLocations([doc(undefined, [ip, ok]), doc(undefined, [ip, fail('ECONNREFUSED')])])).toEqual([]);
    // A DNS failure at one location is not a blocked path (no TCP step ran).
    expect(compareLocations([doc('local', [ip, ok]), doc('eu-vpc', [{ id: 'dns', status: 'fail', durationMs: 1, detail: 'ENOTFOUND' }])])).toEqual([]);
  });
});

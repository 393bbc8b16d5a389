import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/address-not-routable.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import type { Observations, RouteObservation } from '../../../src/engine/model/types.js';
import { refused } from '../fixtures.js';

/** cache.vpc → 10.0.0.5, the connect failed with `code`, the route lookup saw `route`. */
function vpc(code: string, route: Partial<RouteObservation>): Observations {
  const obs = refused();
  obs.target = { input: 'cache.vpc:6379', host: 'cache.vpc', port: 6379, tls: false };
  obs.dns = { lookedUp: true, ok: true, addresses: [{ address: '10.0.0.5', family: 4 }], durationMs: 1 };
  obs.tcp = { ok: false, address: '10.0.0.5', port: 6379, code, durationMs: code === 'ETIMEDOUT' ? 2000 : 1 };
  obs.route = { address: '10.0.0.5', range: '10.0.0.0/8 (RFC 1918)', ok: false, tableRead: true, durationMs: 1, ...route };
  return obs;
}

describe('address-not-routable', () => {
  it('the kernel refuses locally (no route) → confirmed, critical, explains the unreachable away', () => {
    const obs = vpc('ENETUNREACH', { code: 'ENETUNREACH' });
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ cause: 'address-not-routable', severity: 'critical', confidence: 'confirmed', details: { address: '10.0.0.5', routeCode: 'ENETUNREACH' } });
    expect(f?.title).toBe('cache.vpc:6379: 10.0.0.5 is a private address this machine has no route to');
    expect(f?.evidence).toEqual([
      'cache.vpc resolves to 10.0.0.5, a private address in 10.0.0.0/8 (RFC 1918)',
      'TCP connect to 10.0.0.5:6379: ENETUNREACH after 1 ms',
      'route lookup (a UDP connect, nothing sent): ENETUNREACH — no route to that network; the main routing table has no route covering it (not even a default route)',
    ]);
    expect(f?.remediations.map((r) => r.id)).toEqual(['run-client-in-network', 'use-public-endpoint', 'check-network-path']);
    expect(f?.remediations[0]?.steps.join('\n')).toMatch(/ElastiCache only from its VPC/);
    expect(f?.remediations[0]?.steps.join('\n')).toMatch(/VPC peering, a Transit Gateway/);
    expect(f?.remediations[1]?.steps.join('\n')).toContain('rediss://:<password>@cache.vpc:6379');
    const e = evaluate(obs);
    expect(e).toMatchObject({ verdict: 'unreachable', primaryCause: 'address-not-routable' });
    expect(e.findings.map((x) => x.cause)).not.toContain('host-unreachable');
  });

  it('an unreachable or blackhole route → confirmed, quoting the route', () => {
    const f = rule.evaluate(vpc('EHOSTUNREACH', { code: 'EHOSTUNREACH', matched: { prefix: '10.0.0.0/16', defaultRoute: false, reject: true } }));
    expect(f?.confidence).toBe('confirmed');
    expect(f?.evidence[2]).toBe('route lookup (a UDP connect, nothing sent): EHOSTUNREACH — an unreachable route covers it; the main routing table has a reject route 10.0.0.0/16 for it');
    const hole = rule.evaluate(vpc('EINVAL', { code: 'EINVAL', matched: { prefix: '10.0.0.0/16', defaultRoute: false, reject: false } }));
    expect(hole?.evidence[2]).toContain("EINVAL — a blackhole route covers it; the main routing table's most specific route for it: 10.0.0.0/16 (no device)");
  });

  it('a timeout with only the default route → possible; connection-timeout stays primary', () => {
    const obs = vpc('ETIMEDOUT', { ok: true, source: '192.0.2.10', matched: { prefix: '0.0.0.0/0', defaultRoute: true, reject: false, gateway: '192.0.2.1', dev: 'eth0' } });
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ confidence: 'possible', severity: 'critical' });
    expect(f?.evidence[2]).toContain('covers it only with the default route via 192.0.2.1 dev eth0, no route of its own');
    const e = evaluate(obs);
    expect(e.primaryCause).toBe('connection-timeout');
    expect(e.findings.map((x) => x.cause)).toEqual(['connection-timeout', 'address-not-routable']);
  });

  it('does not fire with a route of its own, an ICMP answer from the network, a public address, or no route lookup', () => {
    // A VPN/peering route exists: the network is connected; the timeout is a firewall's.
    expect(rule.evaluate(vpc('ETIMEDOUT', { ok: true, matched: { prefix: '10.0.0.0/8', defaultRoute: false, reject: false, dev: 'tun0' } }))).toBeUndefined();
    // The kernel has a route, so EHOSTUNREACH came back from a router or a REJECT rule: host-unreachable's case.
    expect(rule.evaluate(vpc('EHOSTUNREACH', { ok: true, matched: { prefix: '0.0.0.0/0', defaultRoute: true, reject: false } }))).toBeUndefined();
    // The table could not be read: a timeout alone says nothing about routes.
    expect(rule.evaluate(vpc('ETIMEDOUT', { ok: true, tableRead: false }))).toBeUndefined();
    const pub = vpc('ENETUNREACH', { code: 'ENETUNREACH', range: '' });
    expect(rule.evaluate(pub)).toBeUndefined();
    const none = vpc('ENETUNREACH', {});
    delete none.route;
    expect(rule.evaluate(none)).toBeUndefined();
    expect(rule.evaluate(refused())).toBeUndefined();
  });
});

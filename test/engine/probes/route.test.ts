import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../../src/engine/probes/route-table.js';
import { lookupRoute, needsRouteLookup } from '../../../src/engine/probes/route.js';
import { privateRange } from '../../../src/engine/shared/address.js';

// /proc/net/route as a little-endian Linux prints it: default via 192.0.2.1, 192.0.2.0/24 on eth0,
// an unreachable 10.123.0.0/16 (RTF_REJECT, no device).
const V4 = [
  'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
  'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
  'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
  '*\t00007B0A\t00000000\t0201\t0\t0\t0\t0000FFFF\t0\t0\t0',
  'garbage line',
].join('\n');

// /proc/net/ipv6_route: fd00::/64 on eth0, a reject route for fd12:3456::/48, default via fd00::1.
const V6 = [
  'fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0',
  'fd123456000000000000000000000000 30 00000000000000000000000000000000 00 00000000000000000000000000000000 00000400 00000001 00000000 00200200       lo',
  '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0',
].join('\n');

describe('privateRange', () => {
  it('names RFC 1918, CGNAT, link-local, ULA and IPv4-mapped private addresses', () => {
    expect(privateRange('10.1.2.3')).toBe('10.0.0.0/8 (RFC 1918)');
    expect(privateRange('172.31.255.1')).toBe('172.16.0.0/12 (RFC 1918)');
    expect(privateRange('192.168.0.9')).toBe('192.168.0.0/16 (RFC 1918)');
    expect(privateRange('100.100.0.1')).toBe('100.64.0.0/10 (shared CGNAT space, RFC 6598)');
    expect(privateRange('169.254.169.254')).toBe('169.254.0.0/16 (link-local)');
    expect(privateRange('fd12:3456::5')).toBe('fc00::/7 (IPv6 unique local, RFC 4193)');
    expect(privateRange('FE80::1')).toBe('fe80::/10 (IPv6 link-local)');
    expect(privateRange('::ffff:10.0.0.5')).toBe('10.0.0.0/8 (RFC 1918)');
  });

  it('leaves public, loopback, documentation and lab addresses alone', () => {
    for (const a of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '127.0.0.1', '::1', '198.18.0.2', '2001:db8::1', 'cache.internal', '10.0.0']) expect(privateRange(a), a).toBeUndefined();
  });
});

describe('matchRoute', () => {
  it('finds the most specific IPv4 route, reject flag and gateway included', () => {
    expect(matchRoute(V4, '10.123.4.5', false, true)).toEqual({ prefix: '10.123.0.0/16', defaultRoute: false, reject: true });
    expect(matchRoute(V4, '10.9.9.9', false, true)).toEqual({ prefix: '0.0.0.0/0', defaultRoute: true, reject: false, gateway: '192.0.2.1', dev: 'eth0' });
    expect(matchRoute(V4, '192.0.2.77', false, true)).toEqual({ prefix: '192.0.2.0/24', defaultRoute: false, reject: false, dev: 'eth0' });
    expect(matchRoute(V4.split('\n').slice(0, 1).join('\n'), '10.9.9.9', false, true)).toBeUndefined();
  });

  it('reads big-endian prints too', () => {
    const be = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n*\t0A7B0000\t00000000\t0201\t0\t0\t0\tFFFF0000';
    expect(matchRoute(be, '10.123.4.5', false, false)).toMatchObject({ prefix: '10.123.0.0/16', reject: true });
  });

  it('finds the most specific IPv6 route', () => {
    expect(matchRoute(V6, 'fd12:3456::5', true, true)).toEqual({ prefix: 'fd12:3456:0:0:0:0:0:0/48', defaultRoute: false, reject: true, dev: 'lo' });
    expect(matchRoute(V6, 'fd00::42', true, true)).toMatchObject({ prefix: 'fd00:0:0:0:0:0:0:0/64', dev: 'eth0' });
    expect(matchRoute(V6, 'fdff::1', true, true)).toMatchObject({ defaultRoute: true, gateway: 'fd00:0:0:0:0:0:0:1' });
    expect(matchRoute(V6, 'not-an-address', true, true)).toBeUndefined();
  });

  it('stays linear on hostile input', () => {
    const start = performance.now();
    matchRoute(`${' '.repeat(100_000)}x\n`.repeat(20), '10.0.0.1', false, true);
    matchRoute(`${'f'.repeat(100_000)}\n`.repeat(20), 'fd00::1', true, true);
    expect(performance.now() - start).toBeLessThan(500);
  });
});

describe('lookupRoute', () => {
  it('runs only for a private address whose connect failed without a refusal', () => {
    expect(needsRouteLookup('10.0.0.5', 'ETIMEDOUT')).toBe(true);
    expect(needsRouteLookup('10.0.0.5', 'ENETUNREACH')).toBe(true);
    expect(needsRouteLookup('10.0.0.5', 'ECONNREFUSED')).toBe(false);
    expect(needsRouteLookup('198.18.0.2', 'ETIMEDOUT')).toBe(false);
    expect(needsRouteLookup('10.0.0.5', undefined)).toBe(false);
  });

  it('asks the kernel without sending: loopback is routed from a loopback source', async () => {
    // UDP connect() only looks up the route; 127.0.0.1 is used so the test needs no private route.
    const route = await lookupRoute('127.0.0.1', 9, 1000);
    expect(route).toMatchObject({ address: '127.0.0.1', ok: true, source: '127.0.0.1' });
  });
});

/**
 * Every address of a name, every family (issue #17), with real servers in
 * network namespaces: the namespace's /etc/hosts (setHosts) maps a name to
 * ::1 and 127.0.0.1, glibc orders ::1 first (RFC 6724: loopback before IPv4),
 * and redis-server binds one family or both. Its resolv.conf names
 * 127.0.0.1 inside the namespace, where nothing answers on port 53: no query
 * leaves. For routes: `unreachable`/`blackhole` routes inside the namespace
 * make the kernel refuse locally — no packet is sent to the private address.
 */
import { expect, it } from 'vitest';
import { diagnoseInNetns } from '../lab/diagnose-in-netns.js';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { startRedis } from '../lab/redis.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';

const NAME = 'cache-dual.lab';

async function inNetns<T>(body: (ns: Netns) => Promise<T>): Promise<T> {
  const ns = await createNetns();
  try {
    await ns.setResolvConf('nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    await ns.setHosts(`127.0.0.1 localhost\n::1 ${NAME}\n127.0.0.1 ${NAME}\n10.123.0.5 cache-vpc.lab\n10.124.0.5 cache-hole.lab\n`);
    return await body(ns);
  } finally {
    await ns.destroy();
  }
}

/** What a first-address-only client (Node.js with autoSelectFamily off, as 17–19 behave) gets. */
async function firstAddressClient(ns: Netns, port: number): Promise<string> {
  const script = `const s=require('net').connect({host:'${NAME}',port:${port},autoSelectFamily:false});` +
    "s.on('connect',()=>{console.log('connected '+s.remoteAddress);s.destroy()});s.on('error',e=>console.log(e.message))";
  return (await ns.exec([process.execPath, '-e', script], { timeoutMs: 10_000 })).trim();
}

describeLab('address families and routes', [need.netns(), need.binary('redis-server'), need.binary('redis-cli')], () => {
  it('::1 first, Redis bound to 127.0.0.1 only → address-family-mismatch, degraded, confirmed', async () => {
    await inNetns(async (ns) => {
      const server = await startRedis({ netns: ns, port: 7602, args: ['--protected-mode', 'no', '--bind', '127.0.0.1'] });
      try {
        // The failure the finding predicts, from a real client.
        expect(await firstAddressClient(ns, server.port)).toBe(`connect ECONNREFUSED ::1:${server.port}`);
        // …while redis-cli (hiredis asks getaddrinfo for IPv4 first) gets in, as the finding says.
        expect((await ns.exec(['redis-cli', '-h', NAME, '-p', String(server.port), 'PING'], { timeoutMs: 10_000 })).trim()).toBe('PONG');
        const d = await diagnoseInNetns(ns, targetOf(NAME, server.port), { timeoutMs: 1000 });
        expectDiagnosis(d, { primaryCause: 'address-family-mismatch', verdict: 'degraded', evidence: /\[::1\]:7602 → ECONNREFUSED .*\(first in resolver order\)/ });
        const f = d.findings[0]!;
        expect(f).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { firstAddress: '::1', answering: '127.0.0.1' } });
        expect(f.evidence[0]).toBe(`${NAME} resolves to ::1, 127.0.0.1 in this order (looked up on their own: A: 127.0.0.1; AAAA: ::1); a client that takes only the first address uses ::1`);
        expect(f.evidence.join('\n')).toContain('127.0.0.1:7602 → connected');
        expect(f.evidence.join('\n')).toContain('Redis answered there: +PONG');
        expect(f.evidence.join('\n')).toContain('"connect ECONNREFUSED ::1:7602"');
        expect(f.remediations.map((r) => r.id)).toEqual(['bind-both-address-families', 'pin-client-address-family']);
        expect(d.checks.find((c) => c.id === 'tcp-addresses')).toMatchObject({ status: 'warn', detail: '[::1]:7602 ECONNREFUSED; 127.0.0.1:7602 connected' });
      } finally {
        await server.stop();
      }
    });
  });

  it('Redis bound to both families → healthy, no finding', async () => {
    await inNetns(async (ns) => {
      const server = await startRedis({ netns: ns, port: 7602, args: ['--protected-mode', 'no', '--bind', '127.0.0.1', '::1'] });
      try {
        expect(await firstAddressClient(ns, server.port)).toBe('connected ::1');
        const d = await diagnoseInNetns(ns, targetOf(NAME, server.port), { timeoutMs: 1000 });
        expectDiagnosis(d, { primaryCause: null, verdict: 'healthy' });
        expect(d.findings.map((f) => f.cause)).not.toContain('address-family-mismatch');
        expect(d.checks.find((c) => c.id === 'tcp-addresses')).toMatchObject({ status: 'pass' });
      } finally {
        await server.stop();
      }
    });
  });

  it('Redis bound to ::1 only: the first address answers → healthy with an info note about IPv4 clients', async () => {
    await inNetns(async (ns) => {
      const server = await startRedis({ netns: ns, port: 7602, args: ['--protected-mode', 'no', '--bind', '::1'] });
      try {
        const d = await diagnoseInNetns(ns, targetOf(NAME, server.port), { timeoutMs: 1000 });
        expectDiagnosis(d, { primaryCause: null, verdict: 'healthy' });
        const f = d.findings.find((x) => x.cause === 'address-family-mismatch');
        expect(f).toMatchObject({ severity: 'info', confidence: 'confirmed', details: { failing: '127.0.0.1' } });
        expect(f?.evidence.join('\n')).toContain('clients pinned to IPv4');
      } finally {
        await server.stop();
      }
    });
  });

  it('a private address behind an unreachable route → address-not-routable, confirmed, nothing sent', async () => {
    await inNetns(async (ns) => {
      await ns.exec(['ip', 'route', 'add', 'unreachable', '10.123.0.0/16']);
      await ns.exec(['ip', 'route', 'add', 'blackhole', '10.124.0.0/16']);
      const d = await diagnoseInNetns(ns, targetOf('cache-vpc.lab', 6379), { timeoutMs: 1000 });
      expectDiagnosis(d, { primaryCause: 'address-not-routable', verdict: 'unreachable', evidence: /cache-vpc\.lab resolves to 10\.123\.0\.5, a private address in 10\.0\.0\.0\/8/ });
      expect(d.findings[0]).toMatchObject({ confidence: 'confirmed', details: { routeCode: 'EHOSTUNREACH', route: '10.123.0.0/16' } });
      expect(d.findings.map((f) => f.cause)).not.toContain('host-unreachable');
      expect(d.findings[0]?.remediations.map((r) => r.id)).toEqual(['run-client-in-network', 'use-public-endpoint', 'check-network-path']);
      expect(d.checks.find((c) => c.id === 'route-lookup')?.detail).toMatch(/^kernel refuses 10\.123\.0\.5: EHOSTUNREACH/);

      const hole = await diagnoseInNetns(ns, targetOf('cache-hole.lab', 6379), { timeoutMs: 1000 });
      expectDiagnosis(hole, { primaryCause: 'address-not-routable', verdict: 'unreachable', evidence: /EINVAL — a blackhole route covers it/ });
    });
  });

  it('a private address with no route at all (the namespace has no default route) → address-not-routable (ENETUNREACH)', async () => {
    await inNetns(async (ns) => {
      const d = await diagnoseInNetns(ns, targetOf('10.125.0.5', 6379), { timeoutMs: 1000 });
      expectDiagnosis(d, { primaryCause: 'address-not-routable', verdict: 'unreachable', evidence: /ENETUNREACH — no route to that network; the main routing table has no route covering it/ });
    });
  });

  it('a private address only the default route covers, SYNs lost → connection-timeout, address-not-routable only possible', async () => {
    await inNetns(async (ns) => {
      // The default route points at the namespace's own loopback: a SYN to 10.126.0.5 loops back and is
      // dropped as not ours — a silent loss, like a gateway that does not route private space; nothing leaves.
      await ns.exec(['ip', 'route', 'add', 'default', 'dev', 'lo']);
      const d = await diagnoseInNetns(ns, targetOf('10.126.0.5', 6379), { timeoutMs: 500 });
      expectDiagnosis(d, { primaryCause: 'connection-timeout', verdict: 'unreachable' });
      const f = d.findings.find((x) => x.cause === 'address-not-routable');
      expect(f).toMatchObject({ confidence: 'possible', severity: 'critical' });
      expect(f?.evidence[2]).toMatch(/routed from .*; the main routing table covers it only with the default route dev lo, no route of its own/);
    });
  });
});

/**
 * Faults on the way to the server, each in its own network namespace: the
 * namespace is a remote host whose ports hold only what the test started
 * (on this machine's loopback, 6379–6381 are taken by other servers and would
 * make the neighbour scan find Redis). Only loopback and our veths carry traffic.
 */
import { expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { createNxdomainNetns } from '../lab/dns.js';
import { diagnoseInNetns } from '../lab/diagnose-in-netns.js';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { startRedis } from '../lab/redis.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';

async function inNetns<T>(body: (ns: Netns) => Promise<T>): Promise<T> {
  const ns = await createNetns();
  try {
    return await body(ns);
  } finally {
    await ns.destroy();
  }
}

describeLab('network faults', [need.netns(), need.binary('redis-server'), need.binary('iptables')], () => {
  it('nothing listening → connection-refused', async () => {
    await inNetns(async (ns) => {
      const d = await diagnose(targetOf(ns.nsAddress, 6379), { timeoutMs: 1000 });
      expectDiagnosis(d, { primaryCause: 'connection-refused', verdict: 'unreachable', evidence: /ECONNREFUSED/ });
      expect(d.findings[0]?.evidence.join('\n')).toMatch(/no Redis answered on the neighbouring ports/);
    });
  });

  it('Redis on 6380, client on 6379, no host evidence → connection-refused, wrong-port only possible', async () => {
    await inNetns(async (ns) => {
      const server = await startRedis({ netns: ns, port: 6380, args: ['--protected-mode', 'no'] });
      try {
        const d = await diagnose(targetOf(ns.nsAddress, 6379), { timeoutMs: 1000 });
        expectDiagnosis(d, { primaryCause: 'connection-refused', verdict: 'unreachable' });
        const wrong = d.findings.find((f) => f.cause === 'wrong-port');
        expect(wrong).toMatchObject({ confidence: 'possible', details: { suggestedPort: 6380 } });
        expect(wrong?.evidence).toContain(`Redis answers on ${ns.nsAddress}:6380: +PONG`);
        expect(wrong?.remediations[0]?.title).toBe('Check which instance the client should use before moving it to port 6380');
      } finally {
        await server.stop();
      }
    });
  });

  it('remote client, no password → protected-mode', async () => {
    await inNetns(async (ns) => {
      const server = await startRedis({ netns: ns });
      try {
        const d = await diagnose(targetOf(ns.nsAddress, server.port), { timeoutMs: 1000 });
        expectDiagnosis(d, { primaryCause: 'protected-mode', verdict: 'unreachable', evidence: /-DENIED Redis is running in protected mode/ });
      } finally {
        await server.stop();
      }
    });
  });

  it('firewall DROP in front of Redis → connection-timeout', async () => {
    await inNetns(async (ns) => {
      const server = await startRedis({ netns: ns, args: ['--protected-mode', 'no'] });
      try {
        await ns.iptables(['-A', 'INPUT', '-p', 'tcp', '--dport', String(server.port), '-j', 'DROP']);
        const d = await diagnose(targetOf(ns.nsAddress, server.port), { timeoutMs: 500 });
        expectDiagnosis(d, { primaryCause: 'connection-timeout', verdict: 'unreachable', evidence: /got no answer within [\d.]+ ms \(ETIMEDOUT; bound 500 ms\)/ });
      } finally {
        await server.stop();
      }
    });
  });

  it('name that does not resolve → dns-resolution-failed', async () => {
    const dns = await createNxdomainNetns();
    try {
      const host = 'cache.redis-doctor-lab.invalid';
      const d = await diagnoseInNetns(dns.netns, targetOf(host, 6379), { timeoutMs: 1000 });
      expect(dns.responder.queries).toContain(host);
      expectDiagnosis(d, { primaryCause: 'dns-resolution-failed', verdict: 'unreachable', evidence: /lookup of "cache\.redis-doctor-lab\.invalid" failed .*ENOTFOUND/ });
    } finally {
      await dns.destroy();
    }
  });
});

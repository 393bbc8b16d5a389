/**
 * diagnose() end to end: real redis-server processes, namespaces with real
 * iptables rules for drops and ICMP rejects, and small servers for what Redis
 * cannot be. Asserts the checks the engine ran, what they saw, and the cause
 * the rules chose from it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import type { DiagnoseOptions, DiagnoseTarget, ProgressEvent } from '../../src/engine/model/options.js';
import type { Check, Diagnosis } from '../../src/engine/model/types.js';
import { describeLab, need } from '../lab/guard.js';
import { startRedis, type RedisOptions, type RedisServer } from '../lab/redis.js';
import { holdClients, startLoadingRedis } from '../lab/redis-states.js';
import { startFakeServer, startHttpServer } from '../lab/fake-servers.js';
import { startTlsPair, type TlsPair } from '../lab/tls-pair.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { createNxdomainNetns, type NxdomainNetns } from '../lab/dns.js';
import { diagnoseInNetns } from '../lab/diagnose-in-netns.js';
import { freePort, freePortWithFreeNeighbours } from '../lab/ports.js';

function target(host: string, port: number, tls = false): DiagnoseTarget {
  return { input: `${host}:${port}`, host, port, tls };
}

/** [id, status, detail] of every check, for exact comparisons. */
function checks(d: Diagnosis): [string, Check['status'], string][] {
  return d.checks.map((c) => [c.id, c.status, c.detail]);
}

function check(d: Diagnosis, id: string): Check | undefined {
  return d.checks.find((c) => c.id === id);
}

const REDIS = [need.binary('redis-server'), need.binary('redis-cli')] as const;

describeLab('diagnose() against loopback servers', [...REDIS], () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    while (cleanups.length) await Promise.resolve(cleanups.pop()!()).catch(() => {});
  });
  const redis = async (options: RedisOptions = {}): Promise<RedisServer> => {
    const server = await startRedis(options);
    cleanups.push(() => server.stop());
    return server;
  };

  it('healthy: every step passes, verdict healthy, no cause', async () => {
    const r = await redis();
    const d = await diagnose(target('127.0.0.1', r.port), { timeoutMs: 2000 });
    expect(d.verdict).toBe('healthy');
    expect(d.primaryCause).toBeNull();
    expect(d.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(checks(d)).toEqual([
      ['dns', 'skip', 'IP address, no lookup needed'],
      ['tcp-connect', 'pass', `connected to 127.0.0.1:${r.port}`],
      ['redis-handshake', 'pass', 'PING +PONG'],
      ['info', 'pass', '6 sections'],
      ['latency-sample', 'pass', expect.stringMatching(/^20 PINGs one at a time: p50 [0-9.]+ ms, p99 [0-9.]+ ms, max [0-9.]+ ms \(PING #\d+\)$/)],
      ['slowlog', 'pass', expect.stringMatching(/^(SLOWLOG is empty|\d+ entries; the slowest .+)$/)],
      ['latency-monitor', 'pass', expect.stringMatching(/^no latency event recorded/)],
      ['client-list', 'pass', expect.stringMatching(/^\d+ other clients?/)],
      ['connection-rate', 'pass', expect.stringMatching(/^\d+ connections? opened by other clients in \d+ ms/)],
      ['topology', 'pass', 'standalone primary (INFO redis_mode:standalone, role:master)'],
    ]);
    expect(d.target).toEqual({ input: `127.0.0.1:${r.port}`, host: '127.0.0.1', port: r.port, tls: false });
    expect(d.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(new Date(d.startedAt).toString()).not.toBe('Invalid Date');
    expect(d.durationMs).toBeGreaterThan(0);
  });

  it('a host name is resolved first', async () => {
    const r = await redis();
    const d = await diagnose({ input: `localhost:${r.port}`, host: 'localhost', port: r.port, tls: false });
    expect(check(d, 'dns')).toMatchObject({ status: 'pass' });
    expect(check(d, 'dns')?.detail).toContain('127.0.0.1');
    expect(d.verdict).toBe('healthy');
  });

  it('refused, Redis one port up: connection-refused first, wrong-port only possible (no host evidence)', async () => {
    const port = await freePortWithFreeNeighbours();
    await redis({ port: port + 1 });
    const d = await diagnose(target('127.0.0.1', port));
    expect(d.primaryCause).toBe('connection-refused');
    expect(d.verdict).toBe('unreachable');
    expect(d.findings.map((f) => [f.cause, f.confidence])).toEqual([['connection-refused', 'confirmed'], ['wrong-port', 'possible']]);
    expect(check(d, 'tcp-connect')).toMatchObject({ status: 'fail', detail: 'ECONNREFUSED' });
    expect(check(d, 'neighbour-scan')?.status).toBe('warn');
    expect(check(d, 'neighbour-scan')?.detail).toContain(String(port + 1));
    expect(d.findings[1]?.details?.suggestedPort).toBe(port + 1);
    expect(check(d, 'redis-handshake')).toBeUndefined();
  });

  it('refused with the scan disabled: connection-refused, the scan recorded as skipped', async () => {
    const port = await freePort();
    const d = await diagnose(target('127.0.0.1', port), { scanNeighbours: false });
    expect(checks(d)).toEqual([
      ['dns', 'skip', 'IP address, no lookup needed'],
      ['tcp-connect', 'fail', 'ECONNREFUSED'],
      ['neighbour-scan', 'skip', 'disabled'],
    ]);
    expect(d.primaryCause).toBe('connection-refused');
    expect(d.verdict).toBe('unreachable');
  });

  it('requirepass, no credentials: auth-required', async () => {
    const r = await redis({ password: 'diag-pass-1' });
    const d = await diagnose(target('127.0.0.1', r.port));
    expect(d.primaryCause).toBe('auth-required');
    expect(check(d, 'redis-handshake')).toMatchObject({ status: 'fail', detail: 'PING -NOAUTH Authentication required.' });
    expect(check(d, 'info')).toMatchObject({ status: 'fail', detail: '-NOAUTH Authentication required.' });
  });

  it('wrong password: auth-failed, and the password appears nowhere in the document', async () => {
    const r = await redis({ password: 'diag-pass-1' });
    const secret = 'Wr0ng-Secret-Value';
    const d = await diagnose({ input: `redis://:${secret}@127.0.0.1:${r.port}`, host: '127.0.0.1', port: r.port, tls: false }, { credentials: { password: secret } });
    expect(d.primaryCause).toBe('auth-failed');
    expect(check(d, 'redis-handshake')?.detail).toBe('AUTH -WRONGPASS invalid username-password pair or user is disabled.');
    expect(d.target.input).toBe(`redis://:<redacted>@127.0.0.1:${r.port}`);
    expect(JSON.stringify(d)).not.toContain(secret);
  });

  it('right password: healthy, AUTH shown as passed', async () => {
    const r = await redis({ password: 'diag-pass-1' });
    const d = await diagnose(target('127.0.0.1', r.port), { credentials: { password: 'diag-pass-1' } });
    expect(d.verdict).toBe('healthy');
    expect(check(d, 'redis-handshake')?.detail).toBe('AUTH +OK, PING +PONG');
    expect(JSON.stringify(d)).not.toContain('diag-pass-1');
  });

  it('maxclients reached: the greeting is the evidence', async () => {
    const r = await redis({ args: ['--maxclients', '1'] });
    const held = await holdClients(r, 1);
    cleanups.push(() => held.release());
    const d = await diagnose(target('127.0.0.1', r.port));
    expect(d.primaryCause).toBe('max-clients-reached');
    expect(check(d, 'redis-handshake')).toMatchObject({ status: 'fail', detail: '-ERR max number of clients reached' });
  });

  it('loading: loading-dataset, INFO still read', async () => {
    const r = await startLoadingRedis();
    cleanups.push(() => r.stop());
    const d = await diagnose(target('127.0.0.1', r.port));
    expect(d.primaryCause).toBe('loading-dataset');
    expect(check(d, 'redis-handshake')?.detail).toBe('PING -LOADING Redis is loading the dataset in memory');
    expect(check(d, 'info')?.status).toBe('pass');
  });

  it('an HTTP server on the port: not-redis', async () => {
    const s = await startHttpServer();
    cleanups.push(() => s.close());
    const d = await diagnose(target('127.0.0.1', s.port));
    expect(d.primaryCause).toBe('not-redis');
    expect(check(d, 'redis-handshake')?.detail).toMatch(/^not a RESP reply: HTTP\/1\.1 400 Bad Request/);
    expect(check(d, 'tls-sniff')).toBeUndefined();
  });

  it('a server answering every command with an -ERR no rule knows: unexpected-reply quoting it, never a bare verdict', async () => {
    const s = await startFakeServer({ reply: () => '-ERR proxy says no\r\n'.repeat(4) });
    cleanups.push(() => s.close());
    const d = await diagnose(target('127.0.0.1', s.port));
    expect(d).toMatchObject({ verdict: 'unreachable', primaryCause: 'unexpected-reply' });
    expect(d.findings[0]?.evidence).toContain('PING → -ERR proxy says no');
  });

  it('a server answering with bytes that are not UTF-8: unexpected-reply, the bytes shown as received', async () => {
    const s = await startFakeServer({ reply: () => '+\xff\xfe\x1b[2J\r\n'.repeat(4) });
    cleanups.push(() => s.close());
    const d = await diagnose(target('127.0.0.1', s.port));
    expect(d.verdict).toBe('unreachable');
    expect(d.findings.length).toBeGreaterThan(0);
    expect(d.findings[0]?.evidence.join(' ')).toMatch(/PING → \+/);
  });

  it('progress events: a start and a done per step, in order', async () => {
    const r = await redis();
    const events: ProgressEvent[] = [];
    const d = await diagnose(target('127.0.0.1', r.port), { onProgress: (e) => events.push(e) });
    const expected = d.checks.flatMap((c) => [
      { phase: 'start', step: c.id },
      { phase: 'done', step: c.id, detail: c.detail },
    ]);
    expect(events).toEqual(expected);
  });

  it('a throwing progress callback does not end the diagnosis', async () => {
    const r = await redis();
    const d = await diagnose(target('127.0.0.1', r.port), {
      onProgress: () => {
        throw new Error('terminal closed');
      },
    });
    expect(d.verdict).toBe('healthy');
  });

  it('an already aborted signal rejects before anything is probed', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled by user'));
    await expect(diagnose(target('127.0.0.1', 1), { signal: controller.signal })).rejects.toThrow('cancelled by user');
  });
});

describeLab('diagnose() over TLS', [...REDIS, need.binary('openssl')], () => {
  let pair: TlsPair;
  beforeAll(async () => {
    pair = await startTlsPair();
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it('healthy TLS: the handshake is verified against the CA', async () => {
    const d = await diagnose(target('127.0.0.1', pair.tlsRedis.port, true), { tls: { ca: pair.material.ca } });
    expect(d.verdict).toBe('healthy');
    // tls-variants runs beside the session: it lands wherever it finishes (before or after the latency sample).
    expect(checks(d).filter(([id]) => id !== 'tls-variants').map(([id, status]) => [id, status])).toEqual([
      ['dns', 'skip'],
      ['tcp-connect', 'pass'],
      ['tls-handshake', 'pass'],
      ['redis-handshake', 'pass'],
      ['info', 'pass'],
      ['latency-sample', 'pass'],
      ['slowlog', 'pass'],
      ['latency-monitor', 'pass'],
      ['client-list', 'pass'],
      ['connection-rate', 'pass'],
      ['topology', 'pass'],
    ]);
    // Would a TLS 1.2 client get in? (No SNI variant: the target is an IP address.)
    expect(check(d, 'tls-variants')?.status).toBe('pass');
    expect(check(d, 'tls-handshake')?.detail).toBe('TLSv1.3, certificate verified');
  });

  it('TLS to a plaintext port: the handshake times out, a plaintext PING answers: tls-mismatch', async () => {
    const d = await diagnose(target('127.0.0.1', pair.plainRedis.port, true), { timeoutMs: 300, tls: { insecure: true } });
    expect(d.primaryCause).toBe('tls-mismatch');
    expect(check(d, 'tls-handshake')).toMatchObject({ status: 'fail', detail: 'ETIMEDOUT' });
    expect(check(d, 'plaintext-ping')).toMatchObject({ status: 'warn', detail: 'the port answers plaintext RESP: +PONG' });
    expect(check(d, 'redis-handshake')).toBeUndefined();
  });

  it('plaintext to a TLS port: reset without a byte, a TLS handshake succeeds: tls-mismatch', async () => {
    const d = await diagnose(target('127.0.0.1', pair.tlsRedis.port));
    expect(d.primaryCause).toBe('tls-mismatch');
    expect(check(d, 'redis-handshake')).toMatchObject({ status: 'fail', detail: 'no reply (ECONNRESET)' });
    expect(check(d, 'tls-sniff')).toMatchObject({ status: 'warn', detail: 'the port speaks TLS' });
  });

  it('client certificate required (tls-auth-clients yes): the session is dropped, the alert probe names why', async () => {
    const mtls = await startRedis({ tls: pair.material, args: ['--tls-auth-clients', 'yes'] });
    try {
      const d = await diagnose(target('127.0.0.1', mtls.port, true), { tls: { ca: pair.material.ca } });
      expect(check(d, 'tls-handshake')?.status).toBe('pass');
      expect(check(d, 'redis-handshake')?.status).toBe('fail');
      expect(check(d, 'tls-alert')).toMatchObject({ status: 'warn', detail: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
      expect(d.verdict).toBe('unreachable');
    } finally {
      await mtls.stop();
    }
  });

  it('an untrusted certificate: the verification error, and no plaintext PING', async () => {
    const d = await diagnose(target('127.0.0.1', pair.tlsRedis.port, true), { credentials: { password: 'never-sent-in-clear' } });
    expect(check(d, 'tls-handshake')).toMatchObject({ status: 'fail', detail: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(check(d, 'plaintext-ping')).toBeUndefined();
    expect(d.verdict).toBe('unreachable');
  });
});

// A non-loopback address of this machine that stays on this machine: our end
// of a lab veth (198.18.0.0/15), never the machine's own uplink address.
describeLab('diagnose() of a Redis bound to loopback, reached on a local non-loopback address', [...REDIS, need.root(), need.netns()], () => {
  let ns: Netns;
  let r: RedisServer;
  beforeAll(async () => {
    ns = await createNetns();
    r = await startRedis();
  });
  afterAll(async () => {
    await r?.stop();
    await ns?.destroy();
  });

  it('refused on the local address, +PONG on loopback: bind-loopback-only', async () => {
    const d = await diagnose(target(ns.hostAddress, r.port), { scanNeighbours: false });
    expect(check(d, 'tcp-connect')).toMatchObject({ status: 'fail', detail: 'ECONNREFUSED' });
    expect(check(d, 'loopback-probe')).toMatchObject({ status: 'warn', detail: `Redis answers on 127.0.0.1:${r.port}: +PONG` });
    expect(d.primaryCause).toBe('bind-loopback-only');
  });
});

describeLab('diagnose() across a network namespace', [...REDIS, need.root(), need.netns(), need.binary('iptables')], () => {
  let ns: Netns;
  let r: RedisServer;
  beforeAll(async () => {
    ns = await createNetns();
    r = await startRedis({ netns: ns });
  });
  afterAll(async () => {
    await r?.stop();
    await ns?.destroy();
  });
  afterEach(async () => {
    await ns.iptables(['-F', 'INPUT']);
  });

  it('a client from another address without a password set: protected-mode', async () => {
    const d = await diagnose(target(ns.nsAddress, r.port));
    expect(d.primaryCause).toBe('protected-mode');
    expect(check(d, 'redis-handshake')?.detail).toMatch(/^-DENIED Redis is running in protected mode/);
  });

  it('SYNs dropped by iptables: ETIMEDOUT at the bound, connection-timeout, no neighbour scan', async () => {
    await ns.iptables(['-A', 'INPUT', '-p', 'tcp', '--dport', String(r.port), '-j', 'DROP']);
    const d = await diagnose(target(ns.nsAddress, r.port), { timeoutMs: 300 });
    expect(checks(d)).toEqual([
      ['dns', 'skip', 'IP address, no lookup needed'],
      ['tcp-connect', 'fail', 'ETIMEDOUT'],
    ]);
    expect(d.primaryCause).toBe('connection-timeout');
  });

  it('ICMP host-unreachable from iptables: EHOSTUNREACH, host-unreachable', async () => {
    await ns.iptables(['-A', 'INPUT', '-p', 'tcp', '--dport', String(r.port), '-j', 'REJECT', '--reject-with', 'icmp-host-unreachable']);
    const d = await diagnose(target(ns.nsAddress, r.port), { timeoutMs: 1000 });
    expect(check(d, 'tcp-connect')).toMatchObject({ status: 'fail', detail: 'EHOSTUNREACH' });
    expect(d.primaryCause).toBe('host-unreachable');
  });

  it('aborting mid-run rejects at once and leaves nothing running', async () => {
    await ns.iptables(['-A', 'INPUT', '-p', 'tcp', '--dport', String(r.port), '-j', 'DROP']);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop now')), 50);
    await expect(diagnose(target(ns.nsAddress, r.port), { timeoutMs: 20_000, signal: controller.signal })).rejects.toThrow('stop now');
  });
});

describeLab('diagnose() of a name that does not resolve', [need.root(), need.netns(), need.mountns()], () => {
  let nx: NxdomainNetns;
  beforeAll(async () => {
    nx = await createNxdomainNetns();
  });
  afterAll(async () => {
    await nx?.destroy();
  });

  it('NXDOMAIN: ENOTFOUND, dns-resolution-failed, nothing else probed', async () => {
    const d = await diagnoseInNetns(nx.netns, { input: 'cache.example.invalid:6379', host: 'cache.example.invalid', port: 6379, tls: false }, { timeoutMs: 2000 });
    expect(checks(d)).toEqual([['dns', 'fail', 'ENOTFOUND']]);
    expect(d.primaryCause).toBe('dns-resolution-failed');
  });
});

describe('diagnose() with SSH checks', () => {
  it('runs the remote checks next to the probes and reports an SSH failure as checks, not as an exception', async () => {
    const sshPort = await freePort();
    const redisPort = await freePort();
    const options: DiagnoseOptions = {
      timeoutMs: 1000,
      scanNeighbours: false,
      ssh: { host: '127.0.0.1', port: sshPort, user: 'doctor', knownHosts: '', privateKey: 'not a key' },
    };
    const d = await diagnose(target('127.0.0.1', redisPort), options);
    expect(check(d, 'tcp-connect')?.detail).toBe('ECONNREFUSED');
    const ssh = d.checks.filter((c) => c.id.startsWith('ssh'));
    expect(ssh.length).toBeGreaterThan(0);
    expect(ssh.some((c) => c.status === 'fail')).toBe(true);
  });
});

/**
 * The host key decides before anything else: with a wrong known_hosts entry
 * the client refuses the key during key exchange, so sshd never sees a
 * user-authentication request (its DEBUG1 log would say "userauth-request"),
 * no command runs, and the diagnosis carries on with the network evidence.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { runRemoteChecks } from '../../src/engine/remote/index.js';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';
import { startSshHost, type SshHost } from './ssh-lab.js';

describeLab('SSH checks: host key, authentication, reachability', [need.netns(), need.binary('redis-server'), need.binary('sshd'), need.binary('ssh-keygen'), need.binary('iptables')], () => {
  let ns: Netns;
  let host: SshHost;
  let server: RedisServer;

  beforeAll(async () => {
    ns = await createNetns();
    host = await startSshHost(ns);
    server = await startRedis({ netns: ns, args: ['--bind', '127.0.0.1'] });
  });
  afterAll(async () => {
    await server?.stop();
    await host?.stop();
    await ns?.destroy();
  });

  /**
   * The part of sshd's log written while `body` ran. sshd's preauth child
   * writes its disconnect line after our side has already closed, so wait
   * (bounded: 50 × 50 ms) until `until` shows up or give up and return what is there.
   */
  async function logOf(body: () => Promise<unknown>, until?: RegExp): Promise<string> {
    const before = host.log().length;
    await body();
    for (let i = 0; until && i < 50 && !until.test(host.log().slice(before)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return host.log().slice(before);
  }

  const ctx = () => ({ target: targetOf(ns.nsAddress, 6379), timeoutMs: 2000 });

  it('wrong known_hosts entry → remote-check-failed (host-key-mismatch), no authentication, network cause stays primary', async () => {
    let d: Awaited<ReturnType<typeof diagnose>> | undefined;
    const log = await logOf(async () => {
      d = await diagnose(targetOf(ns.nsAddress, 6379), { timeoutMs: 2000, ssh: host.ssh({ knownHosts: host.wrongKnownHosts }) });
    }, /Received disconnect from .* port \d+:3: /);
    expectDiagnosis(d!, { primaryCause: 'connection-refused', verdict: 'unreachable' });
    const f = d!.findings.find((x) => x.cause === 'remote-check-failed');
    expect(f).toMatchObject({ severity: 'warning', details: { reason: 'host-key-mismatch', hostKey: 'mismatch', host: ns.nsAddress, port: 22 } });
    expect(f?.evidence[1]).toBe('the host key was refused during key exchange: no credentials were offered and no command ran');
    expect(d!.checks.filter((c) => c.id.startsWith('ssh-')).map((c) => `${c.id} ${c.status}`)).toEqual(['ssh-connect fail']);
    // sshd saw the connection and the key exchange, and not one authentication request.
    expect(log).toMatch(new RegExp(`Connection from ${ns.hostAddress.replace(/\./g, '\\.')} port \\d+`));
    expect(log).toMatch(/Received disconnect from .* port \d+:3: .*\[preauth\]/); // 3 = key exchange failed (RFC 4253 §11.1)
    expect(log).not.toMatch(/userauth-request|Accepted publickey|Failed publickey|Postponed publickey/);
  });

  it('the observation says no authentication was attempted; an unlisted host is refused the same way', async () => {
    const wrong = await runRemoteChecks(host.ssh({ knownHosts: host.wrongKnownHosts }), ctx());
    expect(wrong.observation.session).toMatchObject({ ok: false, failureReason: 'host-key-mismatch', authAttempted: false, hostKey: { status: 'mismatch', type: 'ssh-ed25519', line: 1 } });
    expect(wrong.observation.commands).toEqual([]);
    const unknown = await runRemoteChecks(host.ssh({ knownHosts: '# empty\n' }), ctx());
    expect(unknown.observation.session).toMatchObject({ failureReason: 'host-key-mismatch', authAttempted: false, hostKey: { status: 'unknown-host' } });
    expect(unknown.checks[0]?.detail).toMatch(/host not listed in known_hosts \(host-key-mismatch\)$/);
  });

  it('known_hosts lists only a key type the server does not have → host-key-mismatch, no authentication', async () => {
    // A real ECDSA public key for this host; the lab sshd has only an ed25519 host key.
    const keyFile = join(host.dir, 'ecdsa_only');
    execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', keyFile], { stdio: 'ignore', timeout: 10_000 });
    const knownHosts = `${ns.nsAddress} ${readFileSync(`${keyFile}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')}\n`;
    const r = await runRemoteChecks(host.ssh({ knownHosts }), ctx());
    expect(r.observation.session).toMatchObject({ ok: false, failureReason: 'host-key-mismatch', authAttempted: false, hostKey: { status: 'mismatch', line: 1 } });
    expect(r.checks[0]?.detail).toMatch(/offers none of the host key types known_hosts lists for it \(ecdsa-sha2-nistp256\) \(host-key-mismatch\)$/);
    expect(r.observation.commands).toEqual([]);
  });

  it('a hashed known_hosts (ssh-keygen -H) is accepted', async () => {
    execFileSync('ssh-keygen', ['-H', '-f', host.knownHostsPath], { stdio: 'ignore', timeout: 10_000 });
    const hashed = readFileSync(host.knownHostsPath, 'utf8');
    expect(hashed).not.toContain(ns.nsAddress);
    const r = await runRemoteChecks(host.ssh({ knownHosts: hashed }), ctx());
    expect(r.observation.session).toMatchObject({ ok: true, hostKey: { status: 'match' } });
  });

  it('a key the server does not accept → auth-failed (the request was made, and refused)', async () => {
    let r: Awaited<ReturnType<typeof runRemoteChecks>> | undefined;
    const log = await logOf(async () => {
      r = await runRemoteChecks(host.ssh({ privateKey: host.strangerKey }), ctx());
    });
    expect(r!.observation.session).toMatchObject({ ok: false, failureReason: 'auth-failed', authAttempted: true });
    expect(log).toMatch(/userauth-request for user root service ssh-connection method publickey/);
    expect(log).not.toMatch(/Accepted publickey/);
    const d = await diagnose(targetOf(ns.nsAddress, 6379), { timeoutMs: 2000, ssh: host.ssh({ privateKey: host.strangerKey }) });
    expect(d.primaryCause).toBe('connection-refused');
    expect(d.findings.find((x) => x.cause === 'remote-check-failed')).toMatchObject({ severity: 'info', details: { reason: 'auth-failed' } });
  });

  it('SSH packets dropped → timeout within the step bound, and the diagnosis still ends', async () => {
    await ns.iptables(['-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'DROP']);
    try {
      const r = await runRemoteChecks(host.ssh(), { target: targetOf(ns.nsAddress, 6379), timeoutMs: 500 });
      expect(r.observation.session).toMatchObject({ ok: false, failureReason: 'timeout', authAttempted: false });
      const d = await diagnose(targetOf(ns.nsAddress, 6379), { timeoutMs: 500, ssh: host.ssh() });
      expect(d.primaryCause).toBe('connection-refused');
      expect(d.findings.find((x) => x.cause === 'remote-check-failed')?.details?.reason).toBe('timeout');
    } finally {
      await ns.iptables(['-F', 'INPUT']);
    }
  });

  it('no sshd on the port → unreachable', async () => {
    const r = await runRemoteChecks(host.ssh({ port: 2222 }), ctx());
    expect(r.observation.session).toMatchObject({ ok: false, failureReason: 'unreachable', authAttempted: false });
    expect(r.checks).toEqual([expect.objectContaining({ id: 'ssh-connect', status: 'fail' })]);
  });
});

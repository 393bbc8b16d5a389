/**
 * What the application's client meets and a short probe does not (issue #17):
 * a server that reaps idle clients, a server or proxy that refuses the modern
 * handshake, a managed service's quota proxy. Real redis-server processes in
 * each state, and small RESP servers on loopback for what Redis cannot be (a
 * quota proxy, a Redis before 6, a proxy that drops unknown commands).
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { describeLab, need } from '../lab/guard.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { redisLike, startFakeResp } from '../lab/fake-resp.js';
import { assertNoPlantedSecret, plantSecret } from '../lab/secrets.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';

describeLab('what the application\'s client meets', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  let reaping: RedisServer;
  let plain: RedisServer;
  let noHello: RedisServer;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    [reaping, plain, noHello] = await Promise.all([
      startRedis({ args: ['--timeout', '3'] }),
      startRedis(),
      // Redis 7.0 lets HELLO be renamed away like any command (a config-file line `rename-command HELLO ""`).
      startRedis({ args: ['--rename-command', 'HELLO', ''] }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([reaping?.stop(), plain?.stop(), noHello?.stop()]);
  });
  afterEach(async () => {
    while (closers.length) await closers.pop()!();
  });
  const fake = async (answer: Parameters<typeof startFakeResp>[0]) => {
    const server = await startFakeResp(answer);
    closers.push(() => server.close());
    return server;
  };

  it('redis-server --timeout 3 → idle-connections-closed (warning, degraded), the pool settings below 3 s', async () => {
    const d = await diagnose(targetOf(reaping.host, reaping.port), { timeoutMs: 2000 });
    expectDiagnosis(d, { primaryCause: 'idle-connections-closed', verdict: 'degraded', evidence: /CONFIG GET timeout → 3 / });
    expect(d.findings[0]).toMatchObject({ severity: 'warning', confidence: 'likely', details: { timeout: 3, tcpKeepalive: 300 } });
    expect(d.findings[0]?.remediations.map((r) => r.id)).toEqual(['keep-idle-connections-alive', 'disable-idle-timeout']);
  });

  it('timeout 0 (the default) on Redis 7.0 → healthy: no idle finding, and SETINFO unknown to 7.0 is no finding either', async () => {
    const d = await diagnose(targetOf(plain.host, plain.port), { timeoutMs: 2000 });
    expectDiagnosis(d, { primaryCause: null, verdict: 'healthy' });
    expect(d.findings.map((f) => f.cause)).toEqual([]);
  });

  it('HELLO renamed away → handshake-incompatible (warning: RESP3 clients fail, PING still works)', async () => {
    const d = await diagnose(targetOf(noHello.host, noHello.port), { timeoutMs: 2000 });
    expectDiagnosis(d, { primaryCause: 'handshake-incompatible', verdict: 'degraded', evidence: /HELLO 3 → -ERR unknown command 'HELLO'/ });
    expect(d.findings[0]).toMatchObject({ severity: 'warning', confidence: 'confirmed', details: { kinds: 'hello-unknown' } });
  });

  it('an ACL user given AUTH user pass on Redis 7 → healthy, no handshake finding', async () => {
    const password = plantSecret('acl-user-pass-8c1f');
    await plain.cli('ACL', 'SETUSER', 'app', 'on', `>${password}`, '~*', '+@all');
    const d = await diagnose(targetOf(plain.host, plain.port), { timeoutMs: 2000, credentials: { user: 'app', password } });
    expectDiagnosis(d, { primaryCause: null, verdict: 'healthy' });
    expect(d.findings.map((f) => f.cause)).not.toContain('handshake-incompatible');
    assertNoPlantedSecret('diagnosis', JSON.stringify(d));
  });

  it('a quota proxy (-ERR max concurrent connections exceeded) → provider-limit-reached, not unexpected-reply; an echoed password never shows', async () => {
    const password = plantSecret('quota-proxy-pw-41d7');
    // Upstash's replies carry the command ("command was: [...]"): a proxy that echoes AUTH's arguments.
    const proxy = await fake((args) => `-ERR max concurrent connections exceeded, command was: ${JSON.stringify(args)}\r\n`);
    const d = await diagnose(targetOf(proxy.host, proxy.port), { timeoutMs: 2000, credentials: { password } });
    expectDiagnosis(d, { primaryCause: 'provider-limit-reached', verdict: 'unreachable', evidence: /-ERR max concurrent connections exceeded/ });
    expect(d.findings[0]).toMatchObject({ severity: 'critical', confidence: 'confirmed' });
    expect(d.findings.map((f) => f.cause)).not.toContain('unexpected-reply');
    assertNoPlantedSecret('diagnosis', JSON.stringify(d));
  });

  it('a Redis before 6 given AUTH user pass (-ERR wrong number of arguments) → handshake-incompatible, critical, not auth-required', async () => {
    // Redis 5.0's replies: AUTH takes one argument, HELLO does not exist, nothing runs before AUTH.
    const old = await fake((args) => {
      const name = (args[0] ?? '').toUpperCase();
      if (name === 'AUTH') return args.length === 2 ? '+OK\r\n' : "-ERR wrong number of arguments for 'auth' command\r\n";
      if (name === 'HELLO') return `-ERR unknown command \`HELLO\`, with args beginning with: \`${args[1]}\`, \r\n`;
      return '-NOAUTH Authentication required.\r\n';
    });
    const d = await diagnose(targetOf(old.host, old.port), { timeoutMs: 2000, credentials: { user: 'app', password: 'old-redis-pw-1' } });
    expectDiagnosis(d, { primaryCause: 'handshake-incompatible', verdict: 'unreachable', evidence: /AUTH app <redacted> → -ERR wrong number of arguments for 'auth' command/ });
    expect(d.findings[0]).toMatchObject({ severity: 'critical', details: { kinds: 'auth-user' } });
    expect(d.findings.map((f) => f.cause)).not.toContain('auth-required');
  });

  it('a proxy that closes the connection on CLIENT SETINFO (as twemproxy does on unknown commands) → handshake-incompatible, critical, likely', async () => {
    const proxy = await fake((args) => redisLike(args) ?? 'close');
    const d = await diagnose(targetOf(proxy.host, proxy.port), { timeoutMs: 2000 });
    expectDiagnosis(d, { primaryCause: 'handshake-incompatible', verdict: 'degraded', evidence: /closed before a reply to CLIENT SETINFO/ });
    expect(d.findings[0]).toMatchObject({ severity: 'critical', confidence: 'likely', details: { kinds: 'closed' } });
  });
});

/**
 * Issue #18, slow-commands and the latency sample against real redis-server:
 * a server whose SLOWLOG holds a DEBUG SLEEP 0.2 (--enable-debug-command) and
 * a KEYS over a populated keyspace; one with SLOWLOG renamed away; a healthy
 * one. Then a fake server whose SLOWLOG entries are hostile.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { renderJson } from '../../src/cli/render-json.js';
import { renderText } from '../../src/cli/render-text.js';
import { makeStyle } from '../../src/cli/style.js';
import { renderResult } from '../../src/slack/views/diagnosis.js';
import { describeLab, need } from '../lab/guard.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { array, bulk, infoReply, startFakeRedis, type FakeRedis } from '../lab/fake-redis.js';
import { assertNoPlantedSecret, plantSecret } from '../lab/secrets.js';
import { targetOf } from './expect-diagnosis.js';

describeLab('slow-commands on a real redis-server', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedis({ args: ['--enable-debug-command', 'yes'] });
  });
  afterAll(() => server?.stop());

  it('a healthy server: the latency-sample check, an empty SLOWLOG, no finding', async () => {
    await server.cli('SLOWLOG', 'RESET');
    const d = await diagnose(targetOf(server.host, server.port), { timeoutMs: 2000 });
    expect(d.verdict).toBe('healthy');
    expect(d.findings.map((f) => f.cause)).not.toContain('slow-commands');
    const latency = d.checks.find((c) => c.id === 'latency-sample');
    expect(latency).toMatchObject({ status: 'pass' });
    expect(latency?.detail).toMatch(/^20 PINGs one at a time: p50 [0-9.]+ ms, p99 [0-9.]+ ms, max [0-9.]+ ms \(PING #\d+\)$/);
    expect(d.checks.find((c) => c.id === 'slowlog')).toMatchObject({ status: 'pass', detail: 'SLOWLOG is empty' });
    expect(JSON.parse(renderJson(d)).checks.map((c: { id: string }) => c.id)).toContain('latency-sample');
    expect(renderText(d, makeStyle(false))).toMatch(/pass {2}latency-sample +[0-9.]+ ms +20 PINGs one at a time: p50/);
    expect(JSON.stringify(renderResult(d))).toMatch(/latency-sample \(20 PINGs one at a time: p50 [0-9.]+ ms, p99/);
  });

  it('DEBUG SLEEP 0.2 and KEYS * over a million keys → slow-commands names them, their durations and the client address', async () => {
    await server.cli('SLOWLOG', 'RESET');
    await server.cli('DEBUG', 'POPULATE', '1000000');
    await server.cli('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    await server.cli('DEBUG', 'SLEEP', '0.2');
    // Three KEYS: a pattern (one or two past stalls with a quiet server now are a note, not a warning).
    for (let i = 0; i < 3; i++) await server.cli('KEYS', '*');
    const d = await diagnose(targetOf(server.host, server.port), { timeoutMs: 3000 });
    const f = d.findings.find((x) => x.cause === 'slow-commands');
    expect(f, JSON.stringify(d.findings)).toBeDefined();
    expect(d.verdict).toBe('degraded');
    const text = f!.evidence.join('\n');
    expect(text).toMatch(/SLOWLOG #\d+: DEBUG SLEEP took (19\d|2\d\d) ms, \d+ s ago, from /);
    // redis-cli talks over the server's Unix socket: SLOWLOG records the socket path as the address.
    expect(text).toMatch(new RegExp(`from ${server.socket.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:0`));
    expect(f!.details).toMatchObject({ clock: 'server' });
    expect(String(f!.details?.commands)).toContain('DEBUG SLEEP');
    // KEYS walks all million keys: well over 100 ms even on a fast machine.
    expect(text).toMatch(/SLOWLOG #\d+: KEYS \* \(every key\) took \d{3,} ms/);
    expect(renderText(d, makeStyle(false))).toContain('DEBUG SLEEP');
  });

  it('a client over TCP: SLOWLOG names its address and client name', async () => {
    await server.cli('SLOWLOG', 'RESET');
    const net = await import('node:net');
    const sock = net.connect(server.port, server.host);
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    const local = `${sock.localAddress}:${sock.localPort}`;
    sock.write('*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$14\r\nbilling-worker\r\n*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$4\r\n0.15\r\n');
    await new Promise<void>((resolve) => {
      let got = '';
      sock.on('data', (c: Buffer) => {
        got += c.toString();
        if (got.split('\r\n').length >= 3) resolve();
      });
    });
    sock.destroy();
    const d = await diagnose(targetOf(server.host, server.port), { timeoutMs: 3000 });
    const f = d.findings.find((x) => x.cause === 'slow-commands');
    expect(f?.evidence.join('\n')).toContain(`DEBUG SLEEP took`);
    expect(f?.evidence.join('\n')).toContain(`from ${local} (client name "billing-worker")`);
    expect(f?.confidence).toBe('possible');
  });
});

describeLab('SLOWLOG denied by an ACL', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  let server: RedisServer;
  const password = plantSecret('acl-limited-pass-7731');
  beforeAll(async () => {
    server = await startRedis({ args: ['--enable-debug-command', 'yes'] });
    await server.cli('ACL', 'SETUSER', 'limited', 'on', `>${password}`, '~*', '&*', '+@all', '-slowlog');
    await server.cli('DEBUG', 'SLEEP', '0.2');
  });
  afterAll(() => server?.stop());

  it('-NOPERM for SLOWLOG: no slow-commands finding (nothing was read), commands-restricted names SLOWLOG GET', async () => {
    const d = await diagnose(targetOf(server.host, server.port), { timeoutMs: 2000, credentials: { user: 'limited', password } });
    expect(d.findings.map((f) => f.cause)).not.toContain('slow-commands');
    expect(d.findings.find((f) => f.cause === 'commands-restricted')).toMatchObject({ details: { commands: 'SLOWLOG GET' } });
    expect(d.checks.find((c) => c.id === 'slowlog')).toMatchObject({ status: 'skip', detail: expect.stringMatching(/^SLOWLOG GET → -NOPERM/) });
    assertNoPlantedSecret('json', renderJson(d));
  });
});

describeLab('SLOWLOG renamed away', [need.binary('redis-server')], () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({ args: ['--rename-command', 'SLOWLOG', '""'] });
  });
  afterAll(() => server?.stop());

  it('no slow-commands finding; commands-restricted says the slow log could not be read', async () => {
    const d = await diagnose(targetOf(server.host, server.port), { timeoutMs: 2000 });
    expect(d.findings.map((f) => f.cause)).not.toContain('slow-commands');
    const r = d.findings.find((f) => f.cause === 'commands-restricted');
    expect(r?.details).toMatchObject({ commands: 'SLOWLOG' });
    expect(r?.title).toContain('the slow log');
    expect(d.checks.find((c) => c.id === 'slowlog')).toMatchObject({ status: 'skip' });
    expect(d.checks.find((c) => c.id === 'latency-sample')?.status).toBe('pass');
    expect(d.verdict).toBe('healthy');
  });
});

describe('hostile SLOWLOG entries (fake server)', () => {
  let fake: FakeRedis | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('arguments never shown, client names bounded and escaped, no secret in text, JSON or Slack', async () => {
    const secret = plantSecret('s3cr3t-token-0f-the-slowlog-4242');
    const nowSec = Math.floor(Date.now() / 1000);
    const entry = (id: number, args: string[], client: string, name: string) =>
      array([`:${id}\r\n`, `:${nowSec - 5}\r\n`, `:${400_000 + id}\r\n`, array(args.map(bulk)), bulk(client), bulk(name)]);
    const slowlog = array([
      entry(1, ['SET', `session:${secret}`, secret], '10.1.2.3:5555', `<!channel> <https://evil.example|click> \u202eevil\u202c ${'x'.repeat(5000)}`),
      entry(2, ['KEYS', `user:${secret}:*`], '10.1.2.4:6666\r\n<@U123>', 'w\x1b[31mred'),
      entry(3, [`EVIL${'A'.repeat(100_000)}`, secret], 'x'.repeat(10_000), ''),
      entry(4, ['CONFIG', 'SET', 'masterauth', secret], '10.1.2.5:7777', 'ops'),
    ]);
    fake = await startFakeRedis({
      reply: (argv) => {
        const cmd = argv[0]?.toUpperCase();
        if (cmd === 'PING') return '+PONG\r\n';
        if (cmd === 'INFO') return infoReply({ redis_version: '7.2.4', redis_mode: 'standalone', role: 'master', server_time_usec: nowSec * 1e6 });
        if (cmd === 'SLOWLOG') return slowlog;
        return undefined;
      },
    });
    const d = await diagnose(targetOf(fake.host, fake.port), { timeoutMs: 2000 });
    const f = d.findings.find((x) => x.cause === 'slow-commands');
    expect(f, JSON.stringify(d.findings)).toBeDefined();
    const evidence = f!.evidence.join('\n');
    expect(evidence).toContain('SET took 400 ms');
    expect(evidence).toContain('KEYS <pattern> took 400 ms');
    expect(evidence).toContain('<unreadable command> took 400 ms');
    expect(evidence).toContain('CONFIG SET took 400 ms');
    expect(evidence).toContain('\\u202e');
    expect(evidence).not.toContain('\u202e');
    expect(evidence).not.toContain('\x1b');
    expect(evidence).not.toContain('session:');
    for (const line of f!.evidence) expect(line.length).toBeLessThanOrEqual(240);
    for (const [where, text] of [['json', renderJson(d)], ['text', renderText(d, makeStyle(false))], ['slack', JSON.stringify(renderResult(d))]] as const) {
      assertNoPlantedSecret(where, text);
      expect(text).not.toContain('AAAAAAAAAA');
      expect(text.length).toBeLessThan(200_000);
    }
    const slack = JSON.stringify(renderResult(d));
    expect(slack).not.toContain('<!channel>');
    expect(slack).not.toContain('<https://evil');
  });

  it('a server that stops answering PING mid-sample: the sample ends within its bound, check warn with what was measured', async () => {
    let pings = 0;
    fake = await startFakeRedis({
      reply: (argv) => {
        const cmd = argv[0]?.toUpperCase();
        if (cmd === 'PING') return ++pings <= 6 ? '+PONG\r\n' : 'ignore';
        if (cmd === 'INFO') return infoReply({ redis_version: '7.2.4', redis_mode: 'standalone', role: 'master' });
        if (cmd === 'SLOWLOG') return '*0\r\n';
        return undefined;
      },
    });
    const started = Date.now();
    const d = await diagnose(targetOf(fake.host, fake.port), { timeoutMs: 400 });
    expect(Date.now() - started).toBeLessThan(3000);
    // The handshake's PING, the uncounted warm-up, then four counted before the silence.
    expect(d.checks.find((c) => c.id === 'latency-sample')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^4 PINGs one at a time: .*; stopped after 4: a PING went unanswered$/) });
    expect(d.checks.find((c) => c.id === 'slowlog')).toMatchObject({ status: 'pass', detail: 'SLOWLOG is empty' });
    expect(d.findings.map((f) => f.cause)).not.toContain('slow-commands');
  });
});

/**
 * Issue #18, the slow-path causes against real redis-server processes:
 *  - latency-spikes: latency-monitor-threshold + DEBUG SLEEP (a `command`
 *    event), and a real fork of a populated server (BGSAVE);
 *  - output-buffer-disconnects: a SIGSTOPped subscriber behind a small
 *    pub/sub soft limit and a bounded publisher flood, then a hard limit
 *    that closes it;
 *  - connection-churn: a loop of short connections from another process
 *    (bounded in count and time), and a pool leaking idle connections near
 *    a small maxclients;
 *  - restart-loop: a supervisor script restarting a real redis-server
 *    (bounded), seen through the run_ids a monitor would pass in.
 * Then hostile LATENCY LATEST / CLIENT LIST replies and refused commands
 * from a fake server.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { renderJson } from '../../src/cli/render-json.js';
import { renderText } from '../../src/cli/render-text.js';
import { makeStyle } from '../../src/cli/style.js';
import { renderResult } from '../../src/slack/views/diagnosis.js';
import { describeLab, need } from '../lab/guard.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { freePort } from '../lab/ports.js';
import { pollUntil } from '../lab/poll.js';
import { spawnTracked, stopProcess } from '../lab/procs.js';
import { array, bulk, infoReply, startFakeRedis, type FakeRedis } from '../lab/fake-redis.js';
import { assertNoPlantedSecret, plantSecret } from '../lab/secrets.js';
import { targetOf } from './expect-diagnosis.js';

const field = (info: string, name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();

/** Sends one RESP command on a fresh connection and closes it (the publisher, the churn). */
function resp(args: string[]): Buffer {
  return Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
}

describeLab('latency-spikes on a real redis-server', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({ args: ['--enable-debug-command', 'yes'] });
  });
  afterAll(() => server?.stop());

  it('a healthy server: latency-monitor, client-list, connection-rate checks pass; no new finding', async () => {
    const d = await diagnose(targetOf(server.host, server.port), { timeoutMs: 2000 });
    expect(d.verdict).toBe('healthy');
    for (const c of ['latency-spikes', 'output-buffer-disconnects', 'connection-churn', 'restart-loop']) expect(d.findings.map((f) => f.cause)).not.toContain(c);
    expect(d.checks.find((c) => c.id === 'latency-monitor')).toMatchObject({ status: 'pass', detail: expect.stringContaining('latency-monitor-threshold 0: the monitor is off') });
    expect(d.checks.find((c) => c.id === 'client-list')?.status).toBe('pass');
    expect(d.checks.find((c) => c.id === 'connection-rate')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^\d+ connections? opened by other clients in \d+ ms \(total_connections_received \d+ → \d+\)$/) });
  });

  it('latency-monitor-threshold 50 and DEBUG SLEEP 0.3: LATENCY LATEST and HISTORY name the command stall', async () => {
    await server.cli('CONFIG', 'SET', 'latency-monitor-threshold', '50');
    await server.cli('DEBUG', 'SLEEP', '0.3');
    const d = await diagnose(targetOf(server.host, server.port), { timeoutMs: 3000 });
    const f = d.findings.find((x) => x.cause === 'latency-spikes');
    expect(f, JSON.stringify(d.findings)).toBeDefined();
    expect(f!.severity).toBe('warning');
    const text = f!.evidence.join('\n');
    expect(text).toMatch(/LATENCY LATEST: command \(slow commands\) latest (29\d|[3-9]\d\d) ms, \d+ s ago/);
    expect(d.checks.find((c) => c.id === 'latency-monitor')?.detail).toMatch(/command latest \d+ ms.*latency-monitor-threshold 50 ms/);
    expect(f!.remediations.map((r) => r.id)).toContain('watch-latency-events');
    for (const [where, out] of [['text', renderText(d, makeStyle(false))], ['json', renderJson(d)], ['slack', JSON.stringify(renderResult(d))]] as const) expect(out, where).toContain('latency-spikes');
  });

  it('a forked BGSAVE of a populated server: the fork event and latest_fork_usec (a finding when the fork took 100 ms or more)', async () => {
    await server.cli('CONFIG', 'SET', 'latency-monitor-threshold', '1');
    await server.cli('DEBUG', 'POPULATE', '1000000');
    await server.cli('LATENCY', 'RESET');
    await server.cli('BGSAVE');
    await pollUntil(async () => (field(await server.cli('INFO', 'persistence'), 'rdb_bgsave_in_progress') === '0' ? true : undefined), { what: 'BGSAVE done', timeoutMs: 60_000, intervalMs: 200 });
    const forkUsec = Number(field(await server.cli('INFO', 'stats'), 'latest_fork_usec'));
    expect(forkUsec).toBeGreaterThan(0);
    const d = await diagnose(targetOf(server.host, server.port), { timeoutMs: 3000 });
    expect(d.checks.find((c) => c.id === 'latency-monitor')?.detail).toMatch(/fork latest \d+ ms/);
    const f = d.findings.find((x) => x.cause === 'latency-spikes');
    if (forkUsec >= 100_000) {
      expect(f?.evidence.join('\n')).toContain(`INFO latest_fork_usec:${forkUsec}`);
      expect(f?.remediations.map((r) => r.id)).toContain('tune-fork-and-persistence');
    } else {
      expect(f?.evidence.join('\n') ?? '').not.toContain('latest_fork_usec');
    }
    await server.cli('FLUSHALL');
  }, 120_000);
});

describeLab('output-buffer-disconnects: a stopped subscriber', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  let server: RedisServer;
  beforeAll(async () => {
    // Soft limit 256 kB for 60 s, no hard limit: the stopped subscriber stays over it, not yet closed.
    server = await startRedis({ args: ['--client-output-buffer-limit', 'pubsub 0 262144 60'] });
  });
  afterAll(() => server?.stop());

  it('a SIGSTOPped subscriber over its soft limit is named; then a hard limit closes it (log line; INFO counter where the server has one)', async () => {
    const sub = spawnTracked(['redis-cli', '-p', String(server.port), '-h', server.host, 'SUBSCRIBE', 'events']);
    try {
      await pollUntil(async () => (/flags=P/.test(await server.cli('CLIENT', 'LIST')) ? true : undefined), { what: 'subscriber connected', timeoutMs: 10_000 });
      process.kill(sub.pid!, 'SIGSTOP');
      const payload = 'x'.repeat(64 * 1024);
      const pub = net.connect(server.port, server.host);
      await new Promise<void>((resolve, reject) => pub.once('connect', resolve).once('error', reject));
      pub.on('data', () => {});
      // Bounded flood: at most 400 × 64 kB, until the subscriber's omem passes the soft limit.
      let sent = 0;
      await pollUntil(async () => {
        if (sent < 400) {
          pub.write(Buffer.concat(Array.from({ length: 20 }, () => resp(['PUBLISH', 'events', payload]))));
          sent += 20;
        }
        const list = await server.cli('CLIENT', 'LIST');
        const omem = Number(/flags=P .*?omem=(\d+)/.exec(list)?.[1] ?? 0);
        return omem > 262_144 ? omem : undefined;
      }, { what: 'subscriber omem over the soft limit', timeoutMs: 20_000, intervalMs: 100 });
      const d = await diagnose(targetOf(server.host, server.port), { timeoutMs: 3000 });
      const f = d.findings.find((x) => x.cause === 'output-buffer-disconnects');
      expect(f, JSON.stringify(d.findings)).toMatchObject({ severity: 'warning', confidence: 'likely' });
      expect(f!.evidence.join('\n')).toMatch(/CLIENT LIST: pub\/sub subscriber 127\.0\.0\.1:\d+ has [0-9.]+[KM] waiting in its output buffer \(omem=\d+ oll=\d+\); limit pubsub hard none, soft 256[.0]*K for 60 s/);
      expect(f!.remediations.map((r) => r.id)).toEqual(['fix-slow-subscribers']);
      expect(d.verdict).toBe('degraded');

      // A hard limit below what is queued: Redis closes the subscriber at the next write to it.
      await server.cli('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 262144 131072 60');
      pub.write(resp(['PUBLISH', 'events', 'one more']));
      await pollUntil(async () => (/flags=P/.test(await server.cli('CLIENT', 'LIST')) ? undefined : true), { what: 'subscriber closed', timeoutMs: 10_000 });
      // networking.c closeClientOnOutputBufferLimitReached: "scheduled to be closed ASAP" (async) or "closed" for overcoming …
      const line = await pollUntil(async () => /Client .{0,2000}(scheduled to be closed ASAP|closed) for overcoming of output buffer limits/.exec(await server.log())?.[0], { what: 'the log line', timeoutMs: 5000, intervalMs: 100 });
      expect(line).toContain('flags=P');
      pub.destroy();
      const after = await diagnose(targetOf(server.host, server.port), { timeoutMs: 3000 });
      const counter = field(await server.cli('INFO', 'stats'), 'client_output_buffer_limit_disconnections');
      const g = after.findings.find((x) => x.cause === 'output-buffer-disconnects');
      if (counter !== undefined) expect(g).toMatchObject({ confidence: 'confirmed' });
      // Redis 7.0 keeps no counter: once closed, only the log says so (not read without SSH).
      else expect(g).toBeUndefined();
    } finally {
      try {
        process.kill(sub.pid!, 'SIGCONT');
      } catch {
        /* gone */
      }
      await stopProcess(sub, 500);
    }
  }, 60_000);
});

describeLab('connection-churn: short connections and a leaking pool', [need.binary('redis-server'), need.binary('redis-cli'), need.binary('node')], () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({ args: ['--maxclients', '60'] });
  });
  afterAll(() => server?.stop());

  it('a loop of short connections from another process: the rate over the sample, the remediation', async () => {
    // 8 loops, each connect → PING → close, at most 30,000 connections or 15 s.
    const script = `
      const net = require('node:net');
      const [port, host] = [Number(process.argv[1]), process.argv[2]];
      const until = Date.now() + 15000; let left = 30000;
      const one = () => { if (left-- <= 0 || Date.now() > until) return; const s = net.connect(port, host);
        s.on('connect', () => s.write('*1\\r\\n$4\\r\\nPING\\r\\n')); s.on('data', () => s.destroy()); s.on('error', () => {}); s.on('close', one); };
      for (let i = 0; i < 8; i++) one();`;
    const churn = spawnTracked(['node', '-e', script, String(server.port), server.host]);
    try {
      await pollUntil(async () => (Number(field(await server.cli('INFO', 'stats'), 'total_connections_received')) > 2000 ? true : undefined), { what: 'churn under way', timeoutMs: 15_000, intervalMs: 100 });
      const d = await diagnose(targetOf(server.host, server.port), { timeoutMs: 3000 });
      const f = d.findings.find((x) => x.cause === 'connection-churn');
      expect(f, JSON.stringify(d.findings)).toMatchObject({ severity: 'warning' });
      // Seen during the sample: likely; only as the lifetime average: possible.
      expect(f!.confidence).toBe(/while the latency sample ran/.test(f!.evidence.join('\n')) ? 'likely' : 'possible');
      expect(f!.evidence.join('\n')).toMatch(/since the server started: \d+ connections in \d+ s|new connections in \d+ ms while the latency sample ran/);
      expect(f!.remediations.map((r) => r.id)).toContain('reuse-connections');
      expect(d.checks.find((c) => c.id === 'connection-rate')?.detail).toMatch(/^\d+ connections? opened by other clients/);
    } finally {
      await stopProcess(churn, 500);
    }
  }, 60_000);

  it('a pool leaking idle connections near maxclients 60: the leak, by source address', async () => {
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < 52; i++) {
        const s = net.connect(server.port, server.host);
        s.on('error', () => {});
        held.push(s);
      }
      await pollUntil(async () => (Number(field(await server.cli('INFO', 'clients'), 'connected_clients')) >= 50 ? true : undefined), { what: 'leaked connections', timeoutMs: 10_000 });
      const d = await diagnose(targetOf(server.host, server.port), { timeoutMs: 3000 });
      const f = d.findings.find((x) => x.cause === 'connection-churn');
      expect(f, JSON.stringify(d.findings)).toBeDefined();
      expect(f!.details).toMatchObject({ maxclients: 60 });
      expect(String(f!.details?.kind)).toContain('leak');
      expect(f!.evidence.join('\n')).toMatch(/CLIENT LIST: \d+ connections from 127\.0\.0\.1/);
      expect(f!.remediations.map((r) => r.id)).toContain('fix-connection-leak');
    } finally {
      for (const s of held) s.destroy();
    }
  }, 60_000);
});

describeLab('restart-loop: a supervisor restarting redis-server', [need.binary('redis-server'), need.binary('redis-cli'), need.binary('sh')], () => {
  it('three run_ids seen by the monitor and a small uptime: a likely loop; the first diagnosis alone says nothing', async () => {
    const port = await freePort();
    // At most 12 starts, each server killed after 1.5 s: bounded in count and time.
    const supervisor = spawnTracked(['sh', '-c', `i=0; while [ $i -lt 12 ]; do i=$((i+1)); timeout -s KILL 1.5 redis-server --port ${port} --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1; sleep 0.2; done`]);
    try {
      const runIds: string[] = [];
      await pollUntil(async () => {
        const out = await new Promise<string>((resolve) => {
          const s = net.connect(port, '127.0.0.1');
          let got = '';
          s.on('connect', () => s.write(resp(['INFO', 'server'])));
          s.on('data', (c: Buffer) => {
            got += c.toString();
            if (got.includes('run_id:') && got.includes('uptime_in_seconds')) s.destroy();
          });
          s.on('error', () => resolve(''));
          s.on('close', () => resolve(got));
        });
        const id = field(out, 'run_id');
        if (id && !runIds.includes(id)) runIds.push(id);
        return runIds.length >= 3 ? true : undefined;
      }, { what: 'three server processes', timeoutMs: 20_000, intervalMs: 100 });
      const target = targetOf('127.0.0.1', port);
      const d = await pollUntil(async () => {
        const r = await diagnose(target, { timeoutMs: 1000, history: { runIdChanges: runIds.slice(0, 2).map((runId, i) => ({ at: Date.now() - (2 - i) * 1000, runId })) } });
        return r.findings.some((f) => f.cause === 'restart-loop' && f.severity === 'warning') ? r : undefined;
      }, { what: 'a diagnosis that sees the loop', timeoutMs: 15_000, intervalMs: 100 });
      const f = d.findings.find((x) => x.cause === 'restart-loop')!;
      expect(f).toMatchObject({ confidence: 'confirmed', details: { loop: true } });
      expect(f.evidence.join('\n')).toMatch(/uptime_in_seconds[: ]\d+/);
      const first = await pollUntil(async () => {
        const r = await diagnose(target, { timeoutMs: 1000 });
        return r.verdict === 'healthy' ? r : undefined;
      }, { what: 'a diagnosis that reaches a server', timeoutMs: 15_000, intervalMs: 100 });
      expect(first.findings.map((x) => x.cause)).not.toContain('restart-loop');
    } finally {
      await stopProcess(supervisor, 500);
    }
  }, 60_000);
});

describeLab('LATENCY renamed away', [need.binary('redis-server')], () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({ args: ['--rename-command', 'LATENCY', '""'] });
  });
  afterAll(() => server?.stop());

  it('commands-restricted names LATENCY and what it would have shown; the check is skipped; still healthy', async () => {
    const d = await diagnose(targetOf(server.host, server.port), { timeoutMs: 2000 });
    const r = d.findings.find((f) => f.cause === 'commands-restricted');
    expect(r?.details?.commands).toBe('LATENCY');
    expect(r?.title).toContain('the latency monitor');
    expect(d.checks.find((c) => c.id === 'latency-monitor')).toMatchObject({ status: 'skip', detail: expect.stringMatching(/^LATENCY LATEST → -ERR unknown command/) });
    expect(d.verdict).toBe('healthy');
  });
});

describe('hostile LATENCY LATEST and CLIENT LIST (fake server)', () => {
  let fake: FakeRedis | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('event names and client names bounded, escaped, secrets never shown in text, JSON or Slack', async () => {
    const secret = plantSecret('s3cr3t-in-a-client-name-9911');
    const nowSec = Math.floor(Date.now() / 1000);
    const ev = (name: string, ms: number) => array([bulk(name), `:${nowSec - 3}\r\n`, `:${ms}\r\n`, `:${ms}\r\n`]);
    const latest = array([ev('fork', 700), ev(`<!channel> ${secret}`, 900), ev('x'.repeat(100_000), 800), ev('\u202eevil', 650)]);
    const evil = `<@U123> <https://evil.example|click> \u202e${secret}`;
    const lines = [
      `id=1 addr=10.9.9.9:5000 fd=8 name=${evil} age=9 idle=0 flags=P sub=1 oll=40 omem=99999999 cmd=subscribe`,
      ...Array.from({ length: 8000 }, (_, i) => `id=${i + 2} addr=10.1.1.${i % 3}:${1000 + i} fd=9 name=${secret} age=1 idle=99 flags=N oll=0 omem=0 cmd=get`),
    ];
    fake = await startFakeRedis({
      reply: (argv) => {
        const cmd = argv.map((a) => a.toUpperCase()).join(' ');
        if (cmd === 'PING') return '+PONG\r\n';
        if (cmd.startsWith('INFO')) return infoReply({ redis_version: '7.2.4', redis_mode: 'standalone', role: 'master', server_time_usec: nowSec * 1e6, connected_clients: 4000, maxclients: 10000, total_connections_received: 9000 });
        if (cmd === 'LATENCY LATEST') return latest;
        if (cmd.startsWith('LATENCY HISTORY')) return array([array([`:${nowSec - 3}\r\n`, ':700\r\n'])]);
        if (cmd === 'CLIENT LIST') return bulk(lines.join('\n'));
        if (cmd === 'CONFIG GET CLIENT-OUTPUT-BUFFER-LIMIT') return array([bulk('client-output-buffer-limit'), bulk('normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60')]);
        if (cmd === 'SLOWLOG GET 32') return '*0\r\n';
        return undefined;
      },
    });
    const d = await diagnose(targetOf(fake.host, fake.port), { timeoutMs: 3000 });
    const spikes = d.findings.find((x) => x.cause === 'latency-spikes');
    expect(spikes?.evidence.join('\n')).toContain('<unreadable event> latest 900 ms');
    const buffers = d.findings.find((x) => x.cause === 'output-buffer-disconnects');
    expect(buffers?.evidence.join('\n')).toContain('pub/sub subscriber 10.9.9.9:5000');
    expect(d.checks.find((c) => c.id === 'client-list')?.detail).toMatch(/^5000\+ other clients/);
    for (const [where, text] of [['json', renderJson(d)], ['text', renderText(d, makeStyle(false))], ['slack', JSON.stringify(renderResult(d))]] as const) {
      assertNoPlantedSecret(where, text);
      expect(text).not.toContain('\u202e');
      expect(text).not.toContain('xxxxxxxxxxxxxxxxxxxx');
      expect(text.length).toBeLessThan(200_000);
    }
    const slack = JSON.stringify(renderResult(d));
    expect(slack).not.toContain('<!channel>');
    expect(slack).not.toContain('<@U123>');
    expect(slack).not.toContain('<https://evil');
  });

  it('more clients than the list is read for: CLIENT LIST is not asked, the check says why', async () => {
    fake = await startFakeRedis({
      reply: (argv) => {
        const cmd = argv.map((a) => a.toUpperCase()).join(' ');
        if (cmd === 'PING') return '+PONG\r\n';
        if (cmd.startsWith('INFO')) return infoReply({ redis_version: '7.2.4', redis_mode: 'standalone', role: 'master', connected_clients: 40000 });
        if (cmd === 'SLOWLOG GET 32' || cmd === 'LATENCY LATEST') return '*0\r\n';
        return undefined;
      },
    });
    const d = await diagnose(targetOf(fake.host, fake.port), { timeoutMs: 2000 });
    expect(fake.commands().some((c) => c[0]?.toUpperCase() === 'CLIENT' && c[1]?.toUpperCase() === 'LIST')).toBe(false);
    expect(d.checks.find((c) => c.id === 'client-list')).toMatchObject({ status: 'skip', detail: 'connected_clients 40000: CLIENT LIST not asked (more than 5000 clients)' });
  });

  it('LATENCY and CLIENT LIST refused (-NOPERM, unknown command): commands-restricted says what could not be read', async () => {
    fake = await startFakeRedis({
      reply: (argv) => {
        const cmd = argv.map((a) => a.toUpperCase()).join(' ');
        if (cmd === 'PING') return '+PONG\r\n';
        if (cmd.startsWith('INFO')) return infoReply({ redis_version: '7.2.4', redis_mode: 'standalone', role: 'master' });
        if (cmd === 'LATENCY LATEST') return "-ERR unknown command 'LATENCY', with args beginning with: 'LATEST'\r\n";
        if (cmd === 'CLIENT LIST') return "-NOPERM User app has no permissions to run the 'client|list' command\r\n";
        if (cmd === 'SLOWLOG GET 32') return '*0\r\n';
        return undefined;
      },
    });
    const d = await diagnose(targetOf(fake.host, fake.port), { timeoutMs: 2000 });
    const r = d.findings.find((f) => f.cause === 'commands-restricted');
    expect(String(r?.details?.commands)).toContain('LATENCY');
    expect(String(r?.details?.commands)).toContain('CLIENT LIST');
    expect(d.checks.find((c) => c.id === 'client-list')).toMatchObject({ status: 'skip', detail: expect.stringMatching(/^CLIENT LIST → -NOPERM/) });
  });
});

/**
 * The queue Redis over TLS (issue #20: locations reach it across networks):
 * REDIS_URL=rediss://… with a password and REDIS_TLS_CA_FILE for a private
 * CA. The bot answers commands and runs the monitor over a TLS-only queue
 * Redis; without the CA it does not trust the certificate (verification is
 * never turned off), and says the queue is unreachable instead of trusting it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, need } from '../lab/guard.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { createTlsMaterial, type TlsMaterial } from '../lab/tls.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { alertsOf, Switchable } from '../monitor/helpers.js';

const PASSWORD = 'queue-tls-pass-7f3a';

describeLab('the queue Redis over TLS', [need.binary('redis-server'), need.binary('openssl')], () => {
  let tls: TlsMaterial;
  let queue: RedisServer;
  let watched: Switchable;
  const harnesses: Harness[] = [];

  beforeAll(async () => {
    tls = await createTlsMaterial();
    queue = await startRedis({ tls, password: PASSWORD });
    watched = await Switchable.start();
  }, 60_000);

  afterAll(async () => {
    for (const h of harnesses) await h.stop().catch(() => undefined);
    await watched?.stop();
    await queue?.stop();
    await tls?.remove();
  });

  function config(channel: string): string {
    return [
      'targets:',
      `  - { name: watched, url: "redis://127.0.0.1:${watched.port}" }`,
      'alerts:',
      `  channel: ${channel}`,
      '  intervalSeconds: 5',
    ].join('\n');
  }

  it('diagnoses and monitor ticks go through a TLS-only queue Redis with a private CA', async () => {
    const web = await startHarness({
      config: config('C0TLSALERT'),
      redisUrl: `rediss://:${PASSWORD}@127.0.0.1:${queue.port}`,
      env: { REDIS_TLS_CA_FILE: tls.caFile },
    });
    harnesses.push(web);
    const r = await web.command({ text: 'watched', channel: 'C0TLS' });
    expect(r.status).toBe(200);
    await web.double.waitFor('the diagnosis', () => web.double.ok('chat.postMessage').some((c) => c.body.channel === 'C0TLS' && !c.body.thread_ts), 30_000);
    // The job went through the TLS queue: its keys are there (read over the server's own socket).
    expect(Number(await queue.cli('EVAL', `return #redis.call('KEYS', ARGV[1])`, '0', `${web.prefix}:diagnose:*`))).toBeGreaterThan(0);
    expect(web.logs.join('\n')).not.toContain('diagnosing in process');

    await watched.down();
    await web.double.waitFor('the alert', () => alertsOf(web.double, 'watched').length > 0, 60_000);
    await watched.restart();
  }, 120_000);

  it('without the CA the certificate is not trusted: nothing is sent in the clear, diagnoses run in process', async () => {
    const web = await startHarness({
      config: config('C0TLSALERT2'),
      redisUrl: `rediss://:${PASSWORD}@127.0.0.1:${queue.port}`,
    });
    harnesses.push(web);
    const r = await web.command({ text: 'watched', channel: 'C0TLSNOCA' });
    expect(r.status).toBe(200);
    await web.double.waitFor('the in-process diagnosis', () => web.double.ok('chat.postMessage').some((c) => c.body.channel === 'C0TLSNOCA' && !c.body.thread_ts), 30_000);
    expect(web.logs.join('\n')).toMatch(/self[- ]signed|unable to verify|certificate/i);
    expect(Number(await queue.cli('EVAL', `return #redis.call('KEYS', ARGV[1])`, '0', `${web.prefix}:*`))).toBe(0);
  }, 60_000);
});

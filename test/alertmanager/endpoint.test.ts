/**
 * POST /alertmanager on the real bot (Bolt's HTTP receiver, the Slack Web API
 * double), driven directly with what a hostile or broken sender can send:
 * no or a wrong token, malformed and truncated JSON, a 50 MB body, label
 * values carrying Slack mentions, links and bidi controls; and an alert for a
 * target the monitor also watches (one incident, not two).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeLab, need } from '../lab/guard.js';
import { startWorkerChild, type WorkerChild } from '../faults/helpers/worker-child.js';
import { freePort } from '../lab/ports.js';
import { stopProcess } from '../lab/procs.js';
import { alertsOf, readState, replyWithBlock, Switchable } from '../monitor/helpers.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { textOf } from '../slack/helpers/slack-double.js';
import { botOutcome, payload, postAlertmanager } from './helpers.js';

const CHANNEL = 'C0ALERTS';
const TOKEN = `am-token-${process.pid}-0123456789`;

/** Sends a body of `declared` bytes (chunked when undefined) until the bot answers; returns the answer's status line and the bytes sent by then. */
function pushBody(port: number, total: number, declared: number | undefined): Promise<{ statusLine: string; sent: number; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let sent = 0;
    let answer = '';
    let done = false;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ statusLine: answer.split('\r\n')[0] ?? '', sent, closed });
    };
    const timer = setTimeout(() => { done = true; sock.destroy(); reject(new Error(`no answer; sent ${sent}`)); }, 60_000);
    sock.on('data', (d) => { answer += d.toString('latin1'); if (answer.includes('\r\n\r\n')) finish(false); });
    sock.on('error', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('connect', () => {
      sock.write(`POST /alertmanager HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n${declared !== undefined ? `Content-Length: ${declared}` : 'Transfer-Encoding: chunked'}\r\n\r\n`);
      const pump = () => {
        while (!done && sent < total) {
          const piece = declared !== undefined ? chunk : Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
          sent += chunk.length;
          if (!sock.write(piece)) {
            sock.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  });
}

describeLab('POST /alertmanager, direct', [need.binary('redis-server')], () => {
  let h: Harness;
  let watched: Switchable;
  let downPort: number;
  let twinPort: number;
  let second: WorkerChild | undefined;

  beforeAll(async () => {
    [watched, downPort, twinPort] = await Promise.all([Switchable.start(), freePort(), freePort()]);
    h = await startHarness({
      config: [
        'targets:',
        `  - { name: cache, url: "redis://127.0.0.1:${downPort}" }`,
        `  - { name: watched, url: "redis://127.0.0.1:${watched.port}" }`,
        `  - { name: twin, url: "redis://127.0.0.1:${twinPort}" }`,
        'alerts:',
        `  channel: ${CHANNEL}`,
        '  intervalSeconds: 5',
        '  targets: [watched]',
        'alertmanager:',
        '  targetLabel: redis_doctor_target',
      ].join('\n'),
      env: { ALERTMANAGER_WEBHOOK_TOKEN: TOKEN },
    });
  }, 60_000);
  afterAll(async () => {
    if (second) await stopProcess(second.child, 0).catch(() => undefined);
    await h?.stop();
    await watched?.stop();
  });

  const posts = () => h.double.ok('chat.postMessage').length;

  it('refuses a missing or wrong token with 401 and posts nothing', async () => {
    const before = posts();
    const body = payload([{ labels: { alertname: 'RedisDown', redis_doctor_target: 'cache' } }]);
    expect((await postAlertmanager(h.url, body, undefined)).status).toBe(401);
    expect((await postAlertmanager(h.url, body, `${TOKEN}x`)).status).toBe(401);
    expect((await postAlertmanager(h.url, body, '')).status).toBe(401);
    const basic = await fetch(`${h.url}/alertmanager`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }, body });
    expect(basic.status).toBe(401);
    await new Promise((r) => setTimeout(r, 1500));
    expect(posts()).toBe(before);
    expect(await botOutcome(h.url, 'opened')).toBe(0);
  });

  it('answers malformed, truncated and non-v4 JSON with 400', async () => {
    const good = payload([{ labels: { alertname: 'RedisDown', redis_doctor_target: 'cache' } }]);
    for (const body of ['{', good.slice(0, good.length / 2), 'null', '[]', JSON.stringify({ ...JSON.parse(good) as object, version: '3' }), JSON.stringify({ version: '4', status: 'firing', alerts: [{ status: 'weird', labels: {}, startsAt: 'x' }] })]) {
      const r = await postAlertmanager(h.url, body, TOKEN);
      expect(r.status, body.slice(0, 40)).toBe(400);
      expect(r.text).not.toContain('weird');
    }
    expect(await botOutcome(h.url, 'opened')).toBe(0);
  });

  it('refuses a 50 MB body early with 413, declared or chunked, and stays alive', async () => {
    const total = 50 * 1024 * 1024;
    const declared = await pushBody(h.bot.port, total, total);
    expect(declared.statusLine).toContain('413');
    expect(declared.sent).toBeLessThan(total);
    const chunked = await pushBody(h.bot.port, total, undefined);
    // Refused once 4 MB arrived: answered 413 (or the socket closed right after it) long before 50 MB.
    if (!chunked.closed || chunked.statusLine) expect(chunked.statusLine).toContain('413');
    expect(chunked.sent).toBeLessThan(total);
    const health = await fetch(`${h.url}/healthz`);
    expect(health.status).toBe(200);
  }, 120_000);

  it('opens one incident for a firing alert, with the diagnosed cause; label values are never posted unescaped', async () => {
    const hostile = '<!channel> <@U0BOSS> <https://evil.example|click> \u202Egnp.exe <#C0OTHER>';
    const body = payload([{ labels: { alertname: `RedisDown${hostile}`, redis_doctor_target: 'cache', severity: hostile, summary: hostile }, fingerprint: 'aa00000000000001' }]);
    const r = await postAlertmanager(h.url, body, TOKEN);
    expect(r.status).toBe(200);
    await h.double.waitFor('the alert of cache', () => alertsOf(h.double, 'cache').length > 0, 30_000);
    const parent = alertsOf(h.double, 'cache')[0]!;
    await h.double.waitFor('its findings', () => replyWithBlock(h.double, parent.ts, 'finding:connection-refused').length > 0, 30_000);
    expect(textOf(parent)).toContain('connection-refused');
    expect(textOf(parent)).toContain('Alertmanager');
    const everything = JSON.stringify(h.double.calls.map((c) => c.body));
    for (const bad of ['<!channel>', '<@U0BOSS>', '<https://evil', '\\u202e', '\u202E', '<#C0OTHER>']) expect(everything.toLowerCase()).not.toContain(bad.toLowerCase());
    // The same alert again (a repeat): nothing new.
    expect((await postAlertmanager(h.url, body, TOKEN)).status).toBe(200);
    await new Promise((res) => setTimeout(res, 1500));
    expect(alertsOf(h.double, 'cache')).toHaveLength(1);
    expect(await botOutcome(h.url, 'duplicate')).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('answers an alert for no configured target 200 and counts it', async () => {
    const before = posts();
    const body = payload([
      { labels: { alertname: 'RedisDown', redis_doctor_target: 'nope' } },
      { labels: { alertname: 'RedisDown', instance: '198.18.9.9:6379' } },
    ]);
    const r = await postAlertmanager(h.url, body, TOKEN);
    expect(r.status).toBe(200);
    expect(await botOutcome(h.url, 'unknown-target')).toBe(2);
    await new Promise((res) => setTimeout(res, 1000));
    expect(posts()).toBe(before);
  });

  it('the same alert to two bot processes at once, again and again: one incident, one post', async () => {
    second = await startWorkerChild(h.env, { env: { ALERTMANAGER_WEBHOOK_TOKEN: TOKEN } });
    const urls = [h.url, `http://127.0.0.1:${second.port}`];
    const body = payload([{ labels: { alertname: 'RedisDown', redis_doctor_target: 'twin' }, fingerprint: 'cc00000000000001' }]);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => postAlertmanager(urls[i % 2]!, body, TOKEN)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    await h.double.waitFor('the alert of twin', () => alertsOf(h.double, 'twin').length > 0, 30_000);
    await new Promise((res) => setTimeout(res, 3000));
    expect(alertsOf(h.double, 'twin')).toHaveLength(1);
    const s = await readState(h.redis, h.prefix, 'twin');
    expect(s?.alerts).toHaveLength(1);
  }, 90_000);

  it('an alert for a target the monitor watches and has an incident open for: one incident, joined', async () => {
    await watched.down();
    await h.double.waitFor('the monitor alert of watched', () => alertsOf(h.double, 'watched').length > 0, 40_000);
    // Matched by its instance label this time (host:port of the configured url).
    const r = await postAlertmanager(h.url, payload([{ labels: { alertname: 'RedisDown', instance: `127.0.0.1:${watched.port}` }, fingerprint: 'bb00000000000001' }]), TOKEN);
    expect(r.status).toBe(200);
    await expect.poll(() => botOutcome(h.url, 'joined'), { timeout: 10_000 }).toBe(1);
    const s = await readState(h.redis, h.prefix, 'watched');
    expect(s?.alerts).toHaveLength(1);
    expect(alertsOf(h.double, 'watched')).toHaveLength(1);
    // Resolved in Alertmanager while the probe still fails: the incident stays open (the probe resolves it).
    await postAlertmanager(h.url, payload([{ status: 'resolved', labels: { alertname: 'RedisDown', instance: `127.0.0.1:${watched.port}` }, fingerprint: 'bb00000000000001', endsAt: new Date().toISOString() }], 'resolved'), TOKEN);
    await expect.poll(() => botOutcome(h.url, 'ended'), { timeout: 10_000 }).toBe(1);
    expect((await readState(h.redis, h.prefix, 'watched'))?.incident).toBeDefined();
    await watched.restart();
    const parent = alertsOf(h.double, 'watched')[0]!;
    await h.double.waitFor('the recovery in the same thread', () => replyWithBlock(h.double, parent.ts, 'recovered').length > 0, 40_000);
    expect(alertsOf(h.double, 'watched')).toHaveLength(1);
  }, 120_000);
});

describe('POST /alertmanager without ALERTMANAGER_WEBHOOK_TOKEN', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: ['targets:', '  - { name: cache, url: "redis://127.0.0.1:1" }', 'alertmanager:', `  channel: ${CHANNEL}`].join('\n') });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers 404', async () => {
    const r = await postAlertmanager(h.url, payload([{ labels: { alertname: 'RedisDown', instance: '127.0.0.1:1' } }]), 'anything');
    expect(r.status).toBe(404);
  });
});

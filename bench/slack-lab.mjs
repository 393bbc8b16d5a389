// Shared parts of the Slack benchmarks (bench/slack.mjs, bench/load.mjs; the
// double and the bot for bench/monitor.mjs too): a Slack Web API double, a
// redis-server that requires a password, the built bot, and signed slash commands.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath, URLSearchParams } from 'node:url';
import { Redis } from 'ioredis';
import { freePort } from './lab.mjs';

export const SECRET = 'bench-signing-secret-0123456789';
const argv = process.argv.slice(2);

export const fmt = (ms) => `${ms.toFixed(1)} ms`;

/**
 * Slack double: answers the Web API and response_url, notes when each channel got its first
 * thread reply; `onCall(method, body)` sees every call (e.g. to count alerts).
 */
export async function startDouble({ onCall } = {}) {
  let ts = 0;
  const firstReply = new Map();
  const waiters = new Map();
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8').on('data', (c) => (raw += c)).on('end', () => {
      const method = req.url.startsWith('/api/') ? req.url.slice(5) : 'response_url';
      const body = Object.fromEntries(new URLSearchParams(raw));
      onCall?.(method, body);
      let answer = { ok: true };
      if (method === 'auth.test') answer = { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0BENCH' };
      if (method === 'chat.postMessage') {
        ts += 1;
        answer = { ok: true, channel: body.channel, ts: `1700000000.${String(ts).padStart(6, '0')}` };
        if (body.thread_ts && body.blocks?.includes('finding:') && !firstReply.has(body.channel)) {
          firstReply.set(body.channel, performance.now());
          waiters.get(body.channel)?.();
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    firstReply,
    waitFirst: (channel, ms) => new Promise((resolve, reject) => {
      if (firstReply.has(channel)) return resolve(firstReply.get(channel));
      const timer = setTimeout(() => reject(new Error(`no finding for ${channel} within ${ms} ms`)), ms);
      waiters.set(channel, () => { clearTimeout(timer); resolve(firstReply.get(channel)); });
    }),
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

export async function startLockedRedis(dir) {
  const port = await freePort();
  const child = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--requirepass', 'bench-pw-never-shown'], { stdio: 'ignore' });
  const up = () => new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('error', () => resolve(false));
    s.on('connect', () => { s.destroy(); resolve(true); });
  });
  for (let i = 0; i < 100; i++) {
    if (await up()) return { port, stop: () => child.kill('SIGKILL') };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not start');
}

// Kept-alive connections, opened by the warm-up: a proxy or load balancer in
// front of the bot keeps its connections too, and TCP set-up on this shared
// sandbox would otherwise dominate what is measured.
// `--cold` opens a new connection per request instead.
export const COLD = argv.includes('--cold');
export const agent = new Agent({ keepAlive: !COLD, maxSockets: 256 });

export function post(url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let counter = 0;
export async function command(botUrl, doubleUrl, text, channel) {
  counter += 1;
  const body = new URLSearchParams({
    token: 'x', team_id: 'T0BENCH', team_domain: 'bench', channel_id: channel, channel_name: 'bench', user_id: 'U0BENCH', user_name: 'bench',
    command: '/redis-diagnose', text, api_app_id: 'A0BENCH', is_enterprise_install: 'false',
    response_url: `${doubleUrl}/response/${counter}`, trigger_id: `${process.pid}.${counter}`,
  }).toString();
  const t = Math.floor(Date.now() / 1000);
  const sig = `v0=${createHmac('sha256', SECRET).update(`v0:${t}:${body}`).digest('hex')}`;
  const start = performance.now();
  const status = await post(`${botUrl}/slack/events`, { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(t), 'x-slack-signature': sig }, body);
  const end = performance.now();
  if (status !== 200) throw new Error(`HTTP ${status}`);
  return { ms: end - start, ackedAt: end };
}


const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');

/** /proc/<pid>/status VmRSS in bytes (Linux). */
export function rssOf(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * The bot as `npm start` runs it (web front end and worker in one process), against the double,
 * on the machine's queue Redis unless `env` says otherwise; resolved once /readyz answers 200
 * (within `readyMs`).
 */
export async function startBot({ doubleUrl, configPath, prefix, env = {}, readyMs = 10_000 }) {
  const port = await freePort();
  const bot = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), MAIN], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH, SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: `${doubleUrl}/api/`, PORT: String(port),
      REDIS_URL: 'redis://127.0.0.1:6379', REDIS_DOCTOR_CONFIG: configPath, REDIS_DOCTOR_QUEUE_PREFIX: prefix, LOG_LEVEL: 'error', ...env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = () => new Promise((resolve) => {
    if (bot.exitCode !== null) return resolve();
    bot.once('exit', resolve);
    bot.kill('SIGTERM');
    setTimeout(() => bot.kill('SIGKILL'), 15_000).unref();
  });
  const deadline = Date.now() + readyMs;
  while (bot.exitCode === null) {
    const ready = await new Promise((resolve) => {
      const req = request(`${url}/readyz`, (r) => { r.resume(); resolve(r.statusCode === 200); });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (ready) return { url, child: bot, pid: bot.pid, stop };
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error('the bot did not start');
}

/** Deletes the benchmark's keys from the shared queue Redis (SCAN + DEL, never FLUSHALL). */
async function deleteKeys(redis, prefix) {
  let cursor = '0';
  for (let i = 0; i < 1000; i++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
}

/**
 * What bench/slack.mjs and bench/load.mjs measure against: a temp dir, the Slack
 * double, a redis-server requiring a password as the one target (`locked`), and
 * the bot on the machine's queue Redis under `prefix` (`env` added to its
 * environment). Runs `measure({ double, bot })`, then stops and removes all of
 * it, the prefix's keys included, however `measure` ended.
 */
export async function withLockedBot({ name, prefix, env }, measure) {
  const dir = mkdtempSync(join(tmpdir(), `rd-bench-${name}-${process.pid}-`));
  let double;
  let target;
  let bot;
  try {
    double = await startDouble();
    target = await startLockedRedis(dir);
    const configPath = join(dir, 'redis-doctor.yaml');
    writeFileSync(configPath, `targets:\n  - name: locked\n    url: redis://127.0.0.1:${target.port}\n`);
    bot = await startBot({ doubleUrl: double.url, configPath, prefix, env });
    return await measure({ double, bot });
  } finally {
    agent.destroy();
    await bot?.stop();
    const redis = new Redis('redis://127.0.0.1:6379');
    await deleteKeys(redis, prefix);
    redis.disconnect();
    target?.stop();
    await double?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

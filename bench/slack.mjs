// Slack bot benchmark (`npm run bench:slack` builds first). See bench/README.md.
//
// Measures, against the built bot (dist/bot.js) in HTTP mode with a real
// BullMQ queue on 127.0.0.1:6379 and a local Slack Web API double:
//   - ack latency: send → HTTP answer for 50 concurrent signed
//     `/redis-diagnose` commands (each for its own channel, so 50 jobs are
//     queued and run while later acks are measured), over several rounds;
//   - ack → first finding: HTTP answer → the first threaded finding reply
//     reaching the Slack double, for a local redis-server that requires a
//     password (auth-required), one command at a time.
// Targets: ack p99 ≤ 100 ms, first finding ≤ 500 ms. Exit status 0 even when
// a target is missed (a report, not a gate on a shared 2-core box).
//
//   node bench/slack.mjs [--concurrency 50] [--rounds 5] [--first 20] [--cold]
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { freePort, numberOpt, stats } from './lab.mjs';
import { COLD, command, fmt, post, withLockedBot } from './slack-lab.mjs';

const CONCURRENCY = numberOpt('--concurrency', 50, 1, 200);
const ROUNDS = numberOpt('--rounds', 5, 1, 20);
const FIRST = numberOpt('--first', 20, 3, 100);

/** The same client against a Node HTTP server that answers at once: what the machine itself costs. */
async function baseline() {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => { s.writeHead(200, { 'content-type': 'application/json' }); s.end('{}'); }); }).listen(${port}, '127.0.0.1')`], { stdio: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (await post(`${url}/`, {}, '').then(() => true, () => false)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const times = [];
    for (let round = 0; round < ROUNDS + 3; round++) {
      const rs = await Promise.all(Array.from({ length: CONCURRENCY }, () => command(url, url, 'locked', 'C0BASE')));
      if (round >= 3) times.push(...rs.map((r) => r.ms));
      await new Promise((r) => setTimeout(r, 200));
    }
    return stats(times);
  } finally {
    child.kill('SIGKILL');
  }
}

// The bot runs as `npm start` would run it: its own process, web front end and worker together.
const env = process.env.BENCH_WEB_ONLY ? { REDIS_DOCTOR_INLINE_WORKER: 'false' } : {};
await withLockedBot({ name: 'slack', prefix: `{rdbench-${process.pid}}`, env }, async ({ double, bot }) => {
  const botUrl = bot.url;
  // Warm-up: first request pays auth.test and JIT compilation; not measured.
  for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: CONCURRENCY }, () => command(botUrl, double.url, 'help', 'C0WARM')));
  const WEB_ONLY = Boolean(process.env.BENCH_WEB_ONLY);
  if (!WEB_ONLY) {
    await command(botUrl, double.url, 'locked', 'C0WARMUP');
    await double.waitFirst('C0WARMUP', 10_000);
  }

  const acks = [];
  for (let round = 0; round < ROUNDS; round++) {
    const channels = Array.from({ length: CONCURRENCY }, (_, i) => `C0R${round}N${i}`);
    const results = await Promise.all(channels.map((c) => command(botUrl, double.url, 'locked', c)));
    acks.push(...results.map((r) => r.ms));
    // Let this round's diagnoses finish before the next round starts.
    if (!WEB_ONLY) await Promise.all(channels.map((c) => double.waitFirst(c, 60_000)));
    else await new Promise((r) => setTimeout(r, 500));
  }

  const first = [];
  for (let i = 0; i < (WEB_ONLY ? 0 : FIRST); i++) {
    const channel = `C0FIRST${i}`;
    const { ackedAt } = await command(botUrl, double.url, 'locked', channel);
    first.push((await double.waitFirst(channel, 10_000)) - ackedAt);
  }

  const a = stats(acks);
  const b = await baseline();
  const f = first.length ? stats(first) : { n: 0, median: NaN, p90: NaN, p99: NaN, max: NaN };
  const verdict = (ok) => (ok ? 'met' : 'MISSED');
  console.log(`redis-doctor Slack benchmark — node ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${new Date().toISOString()}`);
  console.log('');
  console.log('| measure | n | p50 | p90 | p99 | max | target |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  console.log(`| ack latency, ${CONCURRENCY} concurrent commands × ${ROUNDS} rounds${COLD ? ', new connection each' : ''} | ${a.n} | ${fmt(a.median)} | ${fmt(a.p90)} | ${fmt(a.p99)} | ${fmt(a.max)} | p99 ≤ 100 ms: ${verdict(a.p99 <= 100)} |`);
  console.log(`| same requests to a Node server that answers at once (the machine's own cost) | ${b.n} | ${fmt(b.median)} | ${fmt(b.p90)} | ${fmt(b.p99)} | ${fmt(b.max)} | — |`);
  console.log(`| ack → first finding (local auth-required) | ${f.n} | ${fmt(f.median)} | ${fmt(f.p90)} | ${fmt(f.p99)} | ${fmt(f.max)} | ≤ 500 ms: ${verdict(f.max <= 500)} |`);
});

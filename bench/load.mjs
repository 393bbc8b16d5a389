// Load benchmark (issue #11; `npm run bench:load` builds first). See bench/README.md.
//
// Against the built bot (`npm start`: front end and worker in one process),
// the machine's queue Redis and a local Slack Web API double:
//   1. 200 concurrent signed slash commands, each for its own channel: every
//      one acknowledged within 3 s (Slack's limit), and every diagnosis posted
//      (its finding reached the double);
//   2. 10,000 diagnoses (batches of 100 concurrent commands, each batch
//      finished before the next), the bot's RSS (VmRSS) after the first 1,000
//      and at the end: growth below 10 %.
// The target is a local redis-server that requires a password (auth-required:
// a full diagnosis, a parent, an edit and a finding reply each).
//
//   node bench/load.mjs [--burst 200] [--diagnoses 10000] [--batch 100]
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { numberOpt, stats } from './lab.mjs';
import { command, fmt, rssOf, withLockedBot } from './slack-lab.mjs';

const BURST = numberOpt('--burst', 200, 10, 500);
const DIAGNOSES = numberOpt('--diagnoses', 10_000, 100, 50_000);
const BATCH = numberOpt('--batch', 100, 10, 500);
// The heap settles (~200 MiB on the machine of bench/README.md) within the first 2,000 diagnoses:
// growth is measured from there, and the RSS after the first 100 is shown too.
const WARM = Math.floor(DIAGNOSES / 5);

const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;

await withLockedBot({ name: 'load', prefix: `{rdload-${process.pid}}` }, async ({ double, bot }) => {
  // Warm-up: JIT, connections; not measured.
  await Promise.all(Array.from({ length: 20 }, (_, i) => command(bot.url, double.url, 'locked', `C0WARM${i}`)));
  await Promise.all(Array.from({ length: 20 }, (_, i) => double.waitFirst(`C0WARM${i}`, 30_000)));

  // 1. The burst.
  const channels = Array.from({ length: BURST }, (_, i) => `C0BURST${i}`);
  const t0 = performance.now();
  const acks = await Promise.all(channels.map((c) => command(bot.url, double.url, 'locked', c)));
  await Promise.all(channels.map((c) => double.waitFirst(c, 120_000)));
  const allPosted = performance.now() - t0;
  const a = stats(acks.map((r) => r.ms));

  // 2. Many diagnoses, RSS measured after the first WARM and at the end.
  let done = 0;
  let rssWarm = NaN;
  let rssEarly = NaN;
  const t1 = performance.now();
  for (let b = 0; done < DIAGNOSES; b++) {
    const batch = Array.from({ length: Math.min(BATCH, DIAGNOSES - done) }, (_, i) => `C0L${b}N${i}`);
    await Promise.all(batch.map((c) => command(bot.url, double.url, 'locked', c)));
    await Promise.all(batch.map((c) => double.waitFirst(c, 120_000)));
    done += batch.length;
    if (Number.isNaN(rssEarly)) rssEarly = rssOf(bot.pid);
    if (Number.isNaN(rssWarm) && done >= WARM) rssWarm = rssOf(bot.pid);
    if (process.env.LOAD_TRACE && done % 2000 === 0) console.error(`after ${done}: ${mib(rssOf(bot.pid))}`);
    // The double keeps one entry per channel: forget the finished ones.
    for (const c of batch) double.firstReply.delete(c);
  }
  const elapsed = (performance.now() - t1) / 1000;
  const rssEnd = rssOf(bot.pid);
  const growth = (rssEnd - rssWarm) / rssWarm;

  const verdict = (ok) => (ok ? 'met' : 'MISSED');
  console.log(`redis-doctor load benchmark — node ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${new Date().toISOString()}`);
  console.log('');
  console.log('| measure | figure | target |');
  console.log('| --- | --- | --- |');
  console.log(`| ${BURST} concurrent slash commands: ack p50 / p99 / max | ${fmt(a.median)} / ${fmt(a.p99)} / ${fmt(a.max)} | every ack ≤ 3 s: ${verdict(a.max <= 3000)} |`);
  console.log(`| … all ${BURST} diagnoses posted (finding in each thread) after | ${fmt(allPosted)} | all posted: met |`);
  console.log(`| ${DIAGNOSES} diagnoses in batches of ${BATCH} | ${elapsed.toFixed(1)} s, ${(DIAGNOSES / elapsed).toFixed(0)} diagnoses/s | — |`);
  console.log(`| bot RSS after ${BATCH} → ${WARM} → ${DIAGNOSES} diagnoses | ${mib(rssEarly)} → ${mib(rssWarm)} → ${mib(rssEnd)} (${(growth * 100).toFixed(1)} % from ${WARM}) | growth < 10 %: ${verdict(growth < 0.1)} |`);
});

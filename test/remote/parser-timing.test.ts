/**
 * Everything an SSH-checked host prints is hostile: a local user names a process
 * (`exec -a redis-server perl -e 'sleep 60' "$(printf '%130000s')x"`), a unit, a
 * container or a firewall comment. Every remote parser is fed adversarial lines —
 * long runs of spaces and of the characters its patterns look for, behind the
 * prefixes that get a line past its first test — and 8 MiB outputs (the session's
 * stdout cap). Issue #16: no line may hold the event loop more than 50 ms; each
 * parser call is timed directly (the RESP side measures event-loop delay:
 * test/engine/probes/resp-timing.test.ts). Before the fix, the `ps` line alone took 23–30 s.
 * LINE_CHARS shortens the lines (e.g. to run this against an old parser without waiting minutes).
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/engine/remote/catalogue.js';
import { outcomeOf } from '../../src/engine/remote/outcome.js';
import { redactCommandLine } from '../../src/engine/remote/parsers/ps.js';
import { looksDenied, splitSections } from '../../src/engine/remote/parsers/sections.js';
import type { ExecResult } from '../../src/engine/remote/session.js';
import type { RemoteObservation } from '../../src/engine/remote/types.js';

const BUDGET_MS = 50;
const LINE_CHARS = Number(process.env.LINE_CHARS ?? 130_000);
const OUTPUT_BYTES = 8 * 1024 * 1024;

const emptyObs = (): RemoteObservation => ({ session: { ok: true, host: 'h', port: 22, durationMs: 0 }, commands: [] });
const result = (r: Partial<ExecResult>): ExecResult => ({ stdout: '', stderr: '', exitCode: 0, timedOut: false, openFailed: false, truncated: false, durationMs: 3, ...r });

// What gets a line past each parser's first test (headers of the multi-part scripts included).
const PREFIXES = [
  '', '1 nobody redis-server ', '1 nobody S redis-server x ', '1 nobody ', 'LISTEN 0 128 ', 'LISTEN 0 128 127.0.0.1:6379 0.0.0.0:* users:(("',
  'tcp 0 0 ', 'Id=redis.service\nExecStart={ path=/x ; argv[]=/usr/bin/redis-server ', '### process-cwd 1 /srv\n', '### process-cwd 1 /srv\ndev 1 1 1 1% /',
  '              total        used        free\nMem: ', '### source dmesg\nKilled process 1 (', '### source dmesg\noom-kill:constraint=x,task=',
  '### iptables\n-A INPUT ', '### iptables\n-P INPUT ', 'table ip filter {\nchain INPUT {\ntype filter hook input priority 0; policy drop;\ntcp dport ',
  'table ip filter {\nchain INPUT {\n', 'Status: active\nDefault: deny (incoming)\n', 'Status: active\n6379/tcp', 'public (active)\n  ports: ',
  'public (active)\n  rich rules:\n\trule ', 'public (active)\n  rich rules:\n\trule port port="6379" protocol="tcp" ', '### file /etc/redis/redis.conf process\n1: ',
  '### file /etc/redis/redis.conf process\n1: include ', '### pid 1\nMax open files ', '{"ID":"0123456789ab","Command":"', '{"ID":"0123456789ab","Ports":"',
  '{"items":[{"kind":"Service","metadata":{"name":"', 'redis-server --requirepass ', 'redis-server --user a on >', 'redis-cli -a ', '### ',
  '### log file /var/log/redis.log\nc 1:M 07 Dec 2026 03:00:00.000 flags=P addr=', '### log file /var/log/redis.log\na 1 ', '### log journal redis.service\n',
];
// Runs of what the patterns repeat or look for.
const FILLERS = [' ', '\t', ' \t', '-', '--a', 'a', '0 ', ':', '"', '\\"', "'", '{', '(', ',', '=', '/', '>', '@', 'pass', '(v6)', '  ALLOW IN', 'redis://:', '%', '\r'];
const SUFFIXES = ['x', '  ALLOW IN    Anywhere', ' reject"'];

/** Built one at a time: thousands of 130 KB strings at once would only test the collector. */
function* runs(): Generator<{ name: string; text: string }> {
  for (const prefix of PREFIXES)
    for (const filler of FILLERS)
      for (const suffix of SUFFIXES) yield { name: `${JSON.stringify(prefix.slice(-24))} + ${JSON.stringify(filler)} × ${LINE_CHARS / filler.length | 0} + ${JSON.stringify(suffix)}`, text: `${prefix}${filler.repeat(Math.ceil(LINE_CHARS / filler.length))}${suffix}` };
}

/** Every parser the catalogue runs, through outcomeOf (stdout on success; stdout and stderr on a failure), plus the shared helpers. */
const PARSERS: { name: string; run(text: string): unknown }[] = [
  ...CATALOGUE.map((entry) => ({ name: entry.id, run: (text: string) => outcomeOf(entry, result({ stdout: text }), emptyObs()) })),
  ...CATALOGUE.slice(0, 3).map((entry) => ({ name: `${entry.id} (failed)`, run: (text: string) => outcomeOf(entry, result({ stdout: text, stderr: text, exitCode: 1 }), emptyObs()) })),
  { name: 'redactCommandLine', run: redactCommandLine },
  { name: 'splitSections', run: splitSections },
  { name: 'looksDenied', run: looksDenied },
];

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The call's CPU time (this process, user + system), not its wall time: a parser holds the loop for
 * as long as it computes, and on a loaded 2-core box the wall clock also counts the time the process
 * waited for a core (a 40 ms parse read 100 ms at load 30). A backtracking parser burns CPU whatever
 * the load. The forks pool runs one test file per process, so nothing else computes in it meanwhile.
 */
function timed(run: () => unknown): number {
  const t = process.cpuUsage();
  run();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
}

/**
 * Each call timed directly; one over the budget is tried up to four times more and the fastest try counts:
 * a call preempted on a loaded 2-core box is fast the next time, a quadratic one never is.
 */
async function worstOf(cases: Iterable<{ name: string; text: string }>, budgetMs: number): Promise<{ worstMs: number; worst: string }> {
  let worstMs = 0;
  let worst = '';
  for (const c of cases) {
    for (const p of PARSERS) {
      let ms = timed(() => p.run(c.text));
      for (let retry = 0; retry < 4 && ms >= budgetMs; retry++) ms = Math.min(ms, timed(() => p.run(c.text)));
      if (ms > worstMs) [worstMs, worst] = [ms, `${p.name}: ${c.name}`];
      // Let the loop run between two parser calls.
      await tick();
    }
  }
  return { worstMs, worst };
}

describe('remote parsers on adversarial host output (issue #16)', () => {
  it(`the issue's ps line (130,000 spaces) is parsed within ${BUDGET_MS} ms, cut and marked`, () => {
    const ps = CATALOGUE.find((e) => e.id === 'ps')!;
    const stdout = `  4242 nobody   S    redis-server ${' '.repeat(LINE_CHARS)}x\n`;
    let obs = emptyObs();
    // As worstOf: the first call also pays for compiling the parser, and a loaded box may preempt
    // one; the fastest of five counts (a quadratic parser is slow on every try: 23–30 s).
    let ms = Infinity;
    for (let attempt = 0; attempt < 5 && ms >= BUDGET_MS; attempt++) {
      obs = emptyObs();
      ms = Math.min(ms, timed(() => outcomeOf(ps, result({ stdout }), obs)));
    }
    expect(ms).toBeLessThan(BUDGET_MS);
    expect(obs.processes).toHaveLength(1);
    expect(obs.processes![0]).toMatchObject({ pid: 4242, user: 'nobody', stat: 'S' });
    expect(obs.processes![0]!.line!.length).toBeLessThan(4200);
    expect(obs.processes![0]!.args).toMatch(/…\[cut\]$/);
  });

  it(`no line holds the event loop more than ${BUDGET_MS} ms, in any parser`, async () => {
    const { worstMs, worst } = await worstOf(runs(), BUDGET_MS);
    console.log(`adversarial lines: slowest ${worstMs.toFixed(1)} ms (${worst})`);
    expect({ worstMs, worst }).toSatisfy((w: { worstMs: number }) => w.worstMs < BUDGET_MS);
  }, 600_000);

  it('8 MiB outputs (the stdout cap) of adversarial lines stay linear', async () => {
    const lines = ['1 nobody redis-server' + ' '.repeat(4090), '-A INPUT ' + '-'.repeat(4000), '\trule ' + '"'.repeat(4000) + ' reject', ' '.repeat(4000) + 'x', '', 'a'];
    const cases = lines.map((l) => ({ name: `${JSON.stringify(l.slice(0, 20))}… × ${OUTPUT_BYTES / (l.length + 1) | 0}`, text: `${l}\n`.repeat(Math.ceil(OUTPUT_BYTES / (l.length + 1))) }));
    cases.push({ name: 'one 8 MiB line of spaces', text: `1 nobody redis-server ${' '.repeat(OUTPUT_BYTES)}x` });
    const started = performance.now();
    const { worstMs, worst } = await worstOf(cases, 1000);
    // A whole 8 MiB output is parsed in one call: linear, but not free. Generous: a loaded 2-core box.
    expect({ worstMs, worst }).toSatisfy((w: { worstMs: number }) => w.worstMs < 1000);
    console.log(`8 MiB outputs: slowest parse ${worstMs.toFixed(0)} ms (${worst}); all ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }, 600_000);
});

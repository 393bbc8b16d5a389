/**
 * The catalogue as two scripts with delimited sections (issue #10): the
 * section reader on literal streams (banners, forged headers, any chunking),
 * and the real scripts run here through /bin/sh -s the way the SSH session
 * feeds them — every section comes back with the status its command has when
 * run alone, a hung command is cut by timeout(1) without holding the rest,
 * and values read from the host (redis.conf `dir` lines) stay data.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchScript, newMarker, shellWord } from '../../src/engine/remote/batch.js';
import { CATALOGUE, type Plan } from '../../src/engine/remote/catalogue.js';
import { batchSections, FIRST, FOLLOW_UP } from '../../src/engine/remote/catalogue-run.js';
import { outcomeOf } from '../../src/engine/remote/outcome.js';
import { SectionReader, type SectionResult } from '../../src/engine/remote/stream.js';
import type { RemoteObservation } from '../../src/engine/remote/types.js';
import { which } from '../lab/exec.js';
import { labRequirement } from '../lab/guard.js';
import { runLocally } from './run-script.js';

const noUnshare = labRequirement('root and unshare (a mount namespace)', process.getuid?.() === 0 && which('unshare') !== undefined);

const emptyObs = (): RemoteObservation => ({ session: { ok: true, host: 'h', port: 22, durationMs: 0 }, commands: [] });
const PLAN: Plan = { pids: [], conf: [], confDirs: [], containerIds: [], timeoutSec: 2 };
const M = '0123456789abcdef';

function read(stream: string, chunk = stream.length, marker = M): { sections: SectionResult[]; reader: SectionReader } {
  const sections: SectionResult[] = [];
  const reader = new SectionReader(marker, (s) => sections.push(s));
  for (let i = 0; i < stream.length; i += chunk) reader.feed(stream.slice(i, i + chunk));
  return { sections, reader };
}

/** `/bin/sh -s` (or `argv`) with the script on stdin, stdout read by a SectionReader as it comes. */
function runBatch(script: string, marker: string, argv = ['/bin/sh', '-s']): Promise<{ sections: SectionResult[]; reader: SectionReader; code: number | null; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const sections: SectionResult[] = [];
    const reader = new SectionReader(marker, (s) => sections.push(s));
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'ignore'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => reader.feed(d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ sections, reader, code, ms: performance.now() - started });
    });
    child.stdin.end(`${script}\n`);
  });
}

describe('section reader', () => {
  const stream = [
    'Welcome to host-1! (motd from ~/.bashrc)\n',
    '### ps\n### fedcba9876543210 begin ps\n### rc 0\n',
    `\n### ${M} host-timeout yes\n`,
    `\n### ${M} begin ps\n  812 redis Ssl redis-server *:6379\n### ${M}x end ps 0\n### 0123456789abcdee end ps 0\n`,
    `\n### ${M} end ps 0\n`,
    'echo from a background job\n',
    `\n### ${M} begin free\nno trailing newline`,
    `\n### ${M} stderr free\nfree: warning\n`,
    `\n### ${M} end free 1\n`,
    `\n### ${M} begin nft\n`,
    `\n### ${M} end nft 127\n`,
    'bye from an EXIT trap\n### ps\n',
  ].join('');

  it('hands over each section with its stdout, stderr and exit status; text outside and forged headers are ignored', () => {
    const { sections, reader } = read(stream);
    expect(reader.hostTimeout).toBe(true);
    expect(sections.map(({ durationMs: _d, ...s }) => s)).toEqual([
      { id: 'ps', stdout: `  812 redis Ssl redis-server *:6379\n### ${M}x end ps 0\n### 0123456789abcdee end ps 0\n`, stderr: '', rc: 0 },
      { id: 'free', stdout: 'no trailing newline', stderr: 'free: warning\n', rc: 1 },
      { id: 'nft', stdout: '', stderr: '', rc: 127 },
    ]);
  });

  it('reads the same whatever the chunks (one byte at a time, odd sizes)', () => {
    const whole = read(stream).sections.map(({ durationMs: _d, ...s }) => s);
    for (const chunk of [1, 2, 7, 33]) expect(read(stream, chunk).sections.map(({ durationMs: _d, ...s }) => s), `chunk ${chunk}`).toEqual(whole);
  });

  it('durations: from the host clock (/proc/uptime before and after) when the end header has it', () => {
    const { sections } = read(`\n### ${M} begin ps\nx\n### ${M} end ps 0 1200.25 1200.31\n\n### ${M} begin ss\n\n### ${M} end ss 0 - -\n`);
    expect(sections.map((s) => [s.id, s.durationMs < 1000])).toEqual([['ps', true], ['ss', true]]);
    expect(sections[0]!.durationMs).toBe(60);
  });

  it('a section cut before its end header is never handed over, and another marker opens nothing', () => {
    const cut = read(`\n### ${M} begin ps\n812 redis S redis-server *:6379\n### ${M} end p`);
    expect(cut.sections).toEqual([]);
    expect(cut.reader.inProgress).toBe('ps');
    expect(read(stream, 5, 'fedcba9876543210').sections).toEqual([]);
  });
});

describe('the combined scripts, run here through /bin/sh -s', () => {
  it('markers are fresh 16-hex-digit values, and a script never takes another', () => {
    const a = newMarker();
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(newMarker()).not.toBe(a);
    expect(() => batchScript('$(id)', 2, false, [])).toThrow();
    expect(shellWord("it's")).toBe("'it'\\''s'");
  });

  it('the first script: one section per command, each with the status it has when run alone', async () => {
    const marker = newMarker();
    const script = batchScript(marker, 2, false, batchSections(FIRST, PLAN));
    const run = await runBatch(script, marker);
    expect(run.code).toBe(0);
    expect(run.reader.hostTimeout).toBe(existsSync('/usr/bin/timeout'));
    expect(run.sections.map((s) => s.id)).toEqual(FIRST.map((e) => e.id));
    for (const s of run.sections) {
      const entry = CATALOGUE.find((e) => e.id === s.id)!;
      const alone = await runLocally(entry.script(PLAN)!);
      expect(s.rc, s.id).toBe(alone.code);
      const status = (r: { stdout: string; stderr: string; code: number | null }) => outcomeOf(entry, { stdout: r.stdout, stderr: r.stderr, exitCode: r.code, timedOut: false, openFailed: false, truncated: false, durationMs: 1 }, emptyObs()).status;
      expect(status({ stdout: s.stdout, stderr: s.stderr, code: s.rc }), s.id).toBe(status(alone));
    }
    const ps = run.sections.find((s) => s.id === 'ps')!;
    // Our own section shells and timeout(1) are not taken for redis-server processes.
    expect(ps.stdout).not.toMatch(/\/bin\/sh -c|timeout -k/);
  });

  it('a hung command is stopped by timeout(1) at the step bound; the next section still runs', async () => {
    const marker = newMarker();
    const script = batchScript(marker, 1, false, [
      { id: 'kubectl', script: 'sleep 30' },
      { id: 'free', script: 'echo after' },
    ]);
    const run = await runBatch(script, marker);
    expect(run.sections.map((s) => [s.id, s.rc, s.stdout])).toEqual([
      ['kubectl', 124, ''],
      ['free', 0, 'after\n'],
    ]);
    expect(run.ms).toBeLessThan(5000);
  });

  it.skipIf(noUnshare)('without a usable timeout(1) the sections still run, unbounded on the host', async () => {
    const marker = newMarker();
    const script = batchScript(marker, 1, false, [{ id: 'nft', script: 'exit 127' }, { id: 'free', script: 'echo ok >&2; echo out' }]);
    // In a mount namespace of its own, /usr/bin/timeout (and /bin/timeout) is /dev/null: not there to run.
    const hide = ['/usr/bin/timeout', '/bin/timeout'].filter((p) => existsSync(p)).map((p) => `mount --bind /dev/null ${p}`).join(' && ');
    const run = await runBatch(script, marker, ['unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c', `${hide || 'true'} && exec /bin/sh -s`]);
    expect(run.reader.hostTimeout).toBe(false);
    expect(run.sections.map((s) => [s.id, s.rc, s.stdout, s.stderr])).toEqual([
      ['nft', 127, '', ''],
      ['free', 0, 'out\n', 'ok\n'],
    ]);
  });

  it('the follow-up: df measures the dir lines redis-conf printed, redis-log reads its logfile lines, as data; a value with shell text is neither run nor measured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-batch-'));
    const pwned = join(dir, 'pwned');
    try {
      const conf = join(dir, 'redis.conf');
      const inc = join(dir, 'net.conf');
      const log = join(dir, 'redis.log');
      writeFileSync(log, '7:M 07 Dec 2026 03:00:00.000 # Client id=3 addr=10.0.0.8:1 name= flags=P cmd=subscribe scheduled to be closed ASAP for overcoming of output buffer limits.\n');
      writeFileSync(inc, `dir "${dir}"\nlogfile "${log}"\n`);
      writeFileSync(conf, [`dir /nonexistent/$(touch ${pwned})`, `dir \`touch ${pwned}\``, 'dir ../relative', `logfile /nonexistent/$(touch ${pwned})`, 'logfile ""', `include ${inc}`, ''].join('\n'));
      const plan: Plan = { ...PLAN, conf: [{ path: conf, source: 'process' }] };
      const sections = batchSections(FOLLOW_UP, plan);
      expect(sections.map((s) => s.id)).toEqual(['redis-conf', 'df', 'redis-log']);
      const marker = newMarker();
      const run = await runBatch(batchScript(marker, 2, false, sections), marker);
      expect(run.sections.map((s) => [s.id, s.rc])).toEqual([
        ['redis-conf', 0],
        ['df', 0],
        ['redis-log', 0],
      ]);
      const obs = emptyObs();
      for (const s of run.sections) {
        const entry = CATALOGUE.find((e) => e.id === s.id)!;
        expect(outcomeOf(entry, { stdout: s.stdout, stderr: s.stderr, exitCode: s.rc, timedOut: false, openFailed: false, truncated: false, durationMs: 1 }, obs).status, s.id).toBe('ok');
      }
      expect(obs.redisConf?.[0]).toMatchObject({ path: conf, dir, included: [inc] });
      // The measured directory is attributed to the file whose last dir (includes read in place) it is.
      expect(obs.disks).toEqual([expect.objectContaining({ origin: 'config-dir', configPath: conf, path: dir })]);
      expect(run.sections[1]!.stdout).not.toContain('nonexistent');
      expect(obs.redisConf?.[0]?.logfile).toBe(log);
      expect(obs.serverLogs).toEqual([expect.objectContaining({ source: 'file', path: log, status: 'read', bufferClosures: 1 })]);
      expect(run.sections[2]!.stdout).not.toContain('nonexistent');
      expect(existsSync(pwned)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

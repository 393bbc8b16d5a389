/**
 * The progress line: on a terminal stderr it names the step being waited on
 * and is erased before the report; on a pipe nothing is written. The slow
 * step is a local listener that accepts and never answers, so the Redis
 * handshake waits for its whole --timeout.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, baseEnv, ensureBuilt, runCli } from './helpers.js';

const SCRIPT = '/usr/bin/script';
const mustRun = process.env.CI === 'true' || process.env.REQUIRE_LAB === '1';

let server: Server;
let port: number;
const sockets = new Set<Socket>();

beforeAll(async () => {
  ensureBuilt();
  server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server?.close(() => r()) ?? r());
});

/** Runs the CLI with a pseudo-terminal as stdout and stderr (util-linux `script`); returns what the terminal received. */
function runInPty(args: string[]): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve, reject) => {
    // `script -c` takes one command string: every part here is ours (paths and numbers), none is user text.
    const command = [process.execPath, CLI, ...args].join(' ');
    const child = spawn(SCRIPT, ['-qfec', command, '/dev/null'], { env: baseEnv({ TERM: 'xterm', NO_COLOR: '1' }), stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (screen += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

describe('progress line', () => {
  it.skipIf(!existsSync(SCRIPT) && !mustRun)('on a terminal: names the slow step, then is erased before the report', async () => {
    const { code, screen } = await runInPty(['diagnose', `127.0.0.1:${port}`, '--timeout', '800']);
    expect(code).toBe(1);
    const reportAt = screen.indexOf('redis-doctor 0.');
    expect(reportAt).toBeGreaterThan(0);
    const before = screen.slice(0, reportAt);
    expect(before).toMatch(/diagnosing 127\.0\.0\.1:\d+: \S+ … \d+\.\d s/);
    // The last thing before the report is the erase sequence, so no progress text is left on the line.
    expect(before.endsWith('\r\x1b[2K')).toBe(true);
  });

  it('on a pipe: nothing on stderr', async () => {
    const r = await runCli(['diagnose', `127.0.0.1:${port}`, '--timeout', '300'], { env: baseEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('verdict  ');
  });
});

/**
 * Real runs of the built CLI against a redis-server started here (healthy)
 * and a closed port (refused): exit status, one JSON document with the
 * fields of INTERFACES.md section 2, and readable text without ANSI escapes
 * unless colour is forced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, ensureBuilt, freePort, runCli, startRedis, type RedisServer } from './helpers.js';

let redis: RedisServer;
let closedPort: number;

beforeAll(async () => {
  ensureBuilt();
  redis = await startRedis();
  closedPort = await freePort();
});
afterAll(async () => {
  await redis?.stop();
});

const ANSI = /\x1b\[/;

function expectDocument(stdout: string): Record<string, unknown> {
  // JSON.parse refuses two concatenated documents, so a successful parse means exactly one.
  const doc = JSON.parse(stdout) as Record<string, unknown>;
  expect(stdout.endsWith('}\n')).toBe(true);
  for (const field of ['target', 'verdict', 'primaryCause', 'findings', 'checks', 'durationMs']) expect(doc).toHaveProperty(field);
  expect(Array.isArray(doc.findings)).toBe(true);
  expect(Array.isArray(doc.checks)).toBe(true);
  expect(typeof doc.durationMs).toBe('number');
  for (const check of doc.checks as Record<string, unknown>[]) {
    expect(Object.keys(check).sort()).toEqual(['detail', 'durationMs', 'id', 'status']);
    expect(['pass', 'fail', 'warn', 'skip']).toContain(check.status);
  }
  return doc;
}

describe('--json', () => {
  it('healthy server: exit 0, one document, verdict healthy, nothing on stderr', async () => {
    const r = await runCli(['diagnose', `127.0.0.1:${redis.port}`, '--json', '--timeout', '1000']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = expectDocument(r.stdout);
    expect(doc.target).toMatchObject({ input: `127.0.0.1:${redis.port}`, host: '127.0.0.1', port: redis.port, tls: false });
    expect(doc.verdict).toBe('healthy');
    expect(doc.primaryCause).toBeNull();
    expect((doc.checks as unknown[]).length).toBeGreaterThan(0);
  });

  it('refused port: exit 1, verdict unreachable, primaryCause is findings[0].cause', async () => {
    const r = await runCli(['diagnose', `redis://127.0.0.1:${closedPort}`, '--json', '--timeout', '1000']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const doc = expectDocument(r.stdout);
    expect(doc.verdict).toBe('unreachable');
    const findings = doc.findings as { cause: string; severity: string; title: string; evidence: string[]; remediations: unknown[] }[];
    expect(findings.length).toBeGreaterThan(0);
    expect(doc.primaryCause).toBe(findings[0]!.cause);
    // Nothing listens on that port; the queue Redis on 6379 may make this "wrong-port".
    expect(['connection-refused', 'wrong-port', 'server-not-running']).toContain(doc.primaryCause);
    const tcp = (doc.checks as { id: string; status: string; detail: string }[]).find((c) => c.status === 'fail');
    expect(tcp?.detail).toContain('ECONNREFUSED');
  });
});

describe('text output', () => {
  it('piped: readable report with no ANSI escapes, summary last', async () => {
    const r = await runCli(['diagnose', `127.0.0.1:${closedPort}`, '--timeout', '1000']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(ANSI);
    expect(r.stdout).toContain(`target   127.0.0.1:${closedPort} (plaintext)`);
    expect(r.stdout).toContain('verdict  UNREACHABLE');
    expect(r.stdout).toContain('What was checked');
    expect(r.stdout).toMatch(/FAIL {2}\S+ +\d+ ms {2}.*ECONNREFUSED/);
    expect(r.stdout).toContain('evidence:');
    expect(r.stdout).toContain('what to do:');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^unreachable — [a-z-]+: \d+ findings? \(/);
  });

  it('healthy: exit 0 and a healthy summary', async () => {
    const r = await runCli(['diagnose', `127.0.0.1:${redis.port}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('verdict  HEALTHY');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^healthy: /);
  });

  it('FORCE_COLOR colours even a pipe, and NO_COLOR wins over it', async () => {
    const forced = await runCli(['diagnose', `127.0.0.1:${redis.port}`], { env: baseEnv({ FORCE_COLOR: '1' }) });
    expect(forced.stdout).toMatch(ANSI);
    const both = await runCli(['diagnose', `127.0.0.1:${redis.port}`], { env: baseEnv({ FORCE_COLOR: '1', NO_COLOR: '1' }) });
    expect(both.stdout).not.toMatch(ANSI);
    expect(both.stdout).toContain('verdict  HEALTHY');
  });
});

describe('--brief', () => {
  it('refused port: the verdict, the primary cause, its evidence and first fix in a few lines', async () => {
    const r = await runCli(['diagnose', `127.0.0.1:${closedPort}`, '--brief', '--timeout', '1000']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(7);
    expect(lines[0]).toMatch(new RegExp(`^127\\.0\\.0\\.1:${closedPort} \\(plaintext\\) {2}UNREACHABLE {2}[a-z-]+$`));
    expect(r.stdout).toMatch(/evidence: .*ECONNREFUSED|evidence: .*refused/);
    expect(r.stdout).toMatch(/\n {2}do: .+\[[a-z-]+ · (guided|automatic)\]/);
    expect(lines.at(-1)).toMatch(/checks? in \d+ ms; without --brief for the whole report$/);
  });

  it('healthy: two lines and exit 0', async () => {
    const r = await runCli(['diagnose', `127.0.0.1:${redis.port}`, '--brief']);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual([`127.0.0.1:${redis.port} (plaintext)  HEALTHY`, expect.stringMatching(/^\d+ checks in \d+ ms$/)]);
  });
});

describe('a report that cannot be written', () => {
  it('exits 2 with one line on stderr when stdout is full (> /dev/full), never 0', async () => {
    const { spawnSync } = await import('node:child_process');
    const { openSync, closeSync, existsSync } = await import('node:fs');
    if (!existsSync('/dev/full')) throw new Error('/dev/full is missing on this machine');
    const { CLI } = await import('./helpers.js');
    const full = openSync('/dev/full', 'w');
    try {
      for (const args of [['diagnose', `127.0.0.1:${redis.port}`, '--json'], ['diagnose', `127.0.0.1:${redis.port}`], ['--version']]) {
        const r = spawnSync(process.execPath, [CLI, ...args], { env: baseEnv(), stdio: ['ignore', full, 'pipe'], timeout: 20_000, encoding: 'utf8' });
        expect(r.status, args.join(' ')).toBe(2);
        expect(r.stderr).toBe('redis-doctor: cannot write the report to stdout: ENOSPC\n');
      }
    } finally {
      closeSync(full);
    }
  });
});

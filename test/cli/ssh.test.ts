/**
 * --ssh wiring from the command line to the engine: the key and known_hosts
 * files are read, the remote checks run (here against a closed port, so the
 * session fails fast and says why), and ssh2 is loaded only for such a run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, ensureBuilt, freePort, RECORD_MODULES, readLog, runCli, startRedis, uniqueName, type RedisServer } from './helpers.js';

const KEYGEN = '/usr/bin/ssh-keygen';
const mustRun = process.env.CI === 'true' || process.env.REQUIRE_LAB === '1';

let redis: RedisServer;
let dir: string;
let sshPort: number;

beforeAll(async () => {
  ensureBuilt();
  redis = await startRedis();
  sshPort = await freePort();
  dir = mkdtempSync(join(tmpdir(), `${uniqueName('rd-cli-ssh')}-`));
  if (existsSync(KEYGEN)) execFileSync(KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')], { timeout: 10_000 });
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${sshPort} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhSMHhSMHhSMHhSMHhSMHhSMHhSMHhSMHhSMHhS\n`);
});
afterAll(async () => {
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('--ssh', () => {
  it.skipIf(!existsSync(KEYGEN) && !mustRun)('runs the remote checks and reports why they could not log in', async () => {
    const log = join(dir, `${uniqueName('modules')}.log`);
    const r = await runCli([
      'diagnose', `127.0.0.1:${redis.port}`, '--json', '--timeout', '1000',
      '--ssh', `doctor@127.0.0.1:${sshPort}`, '--ssh-key', join(dir, 'key'), '--ssh-known-hosts', join(dir, 'known_hosts'),
    ], { env: baseEnv({ RD_MODULE_LOG: log }), nodeArgs: ['--import', RECORD_MODULES] });
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as { verdict: string; findings: { cause: string; details?: Record<string, unknown> }[]; checks: { id: string; status: string }[] };
    // The Redis itself is fine; the failed SSH session is reported, not fatal.
    expect(doc.verdict).toBe('healthy');
    expect(r.code).toBe(0);
    expect(doc.findings.map((f) => f.cause)).toContain('remote-check-failed');
    expect(doc.checks.some((c) => c.id.startsWith('ssh') && c.status === 'fail')).toBe(true);
    expect(readLog(log).some((m) => /node_modules\/ssh2\//.test(m))).toBe(true);
  });

  it('an unreadable key file is an input error that names the file', async () => {
    const r = await runCli(['diagnose', `127.0.0.1:${redis.port}`, '--ssh', 'doctor@127.0.0.1', '--ssh-key', join(dir, 'nope'), '--ssh-known-hosts', join(dir, 'known_hosts')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`redis-doctor: cannot read SSH private key ${join(dir, 'nope')}: ENOENT\n`);
  });

  it('a malformed --ssh is an input error', async () => {
    const r = await runCli(['diagnose', `127.0.0.1:${redis.port}`, '--ssh', 'doctor@host;id', '--ssh-known-hosts', join(dir, 'known_hosts')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('redis-doctor: invalid --ssh "doctor@host;id": expected user@host[:port]\n');
  });
});

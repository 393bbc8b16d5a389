/**
 * Bad input exits 2 with one clear line on stderr, prints nothing on stdout
 * and probes nothing: a listener on the would-be port sees no connection, and
 * the engine's code is never even loaded.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, countingListener, ENGINE_MODULE, ensureBuilt, RECORD_MODULES, readLog, ROOT, runCli, uniqueName } from './helpers.js';

let listener: Awaited<ReturnType<typeof countingListener>>;
let dir: string;
let configPath: string;

beforeAll(async () => {
  ensureBuilt();
  listener = await countingListener();
  dir = mkdtempSync(join(tmpdir(), `${uniqueName('rd-cli-usage')}-`));
  configPath = join(dir, 'redis-doctor.yaml');
  writeFileSync(configPath, `targets:\n  - name: known\n    url: redis://127.0.0.1:${listener.port}\n`);
});
afterAll(async () => {
  await listener?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectUsageError(r: { code: number | null; stdout: string; stderr: string }, message: RegExp | string): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]!.startsWith('redis-doctor: ')).toBe(true);
  if (typeof message === 'string') expect(lines[0]).toContain(message);
  else expect(lines[0]).toMatch(message);
}

describe('usage and input errors', () => {
  const L = () => listener.port;
  const cases: [string, () => string[], RegExp | string][] = [
    ['shell metacharacters ;', () => ['diagnose', 'localhost;rm -rf /'], 'not allowed'],
    ['command substitution $()', () => ['diagnose', '$(id)'], 'not allowed: "$"'],
    ['backticks', () => ['diagnose', '`id`'], 'not allowed: "`"'],
    ['a pipe', () => ['diagnose', 'a|b'], 'not allowed: "|"'],
    ['a semicolon after a good target', () => ['diagnose', `127.0.0.1:${L()};id`], 'not allowed: ";"'],
    ['a space inside the target', () => ['diagnose', `127.0.0.1 :${L()}`], 'not allowed: " "'],
    ['a space inside a URL', () => ['diagnose', `redis://127.0.0.1:${L()}/ 0`], 'spaces or control characters'],
    ['a second word after the target', () => ['diagnose', `127.0.0.1:${L()}`, 'extra'], 'exactly one target'],
    ['an empty host', () => ['diagnose', ':6379'], 'empty host'],
    ['an empty host in a URL', () => ['diagnose', 'redis://:6379'], /empty host|malformed URL target "redis:\/\/:6379"/],
    ['port 0', () => ['diagnose', 'localhost:0'], 'invalid port 0'],
    ['port 65536', () => ['diagnose', 'localhost:65536'], 'invalid port 65536'],
    ['port abc', () => ['diagnose', 'localhost:abc'], 'invalid port "abc"'],
    ['an empty target', () => ['diagnose', ''], 'empty target'],
    ['an unknown option', () => ['diagnose', `127.0.0.1:${L()}`, '--frobnicate'], 'unknown option --frobnicate'],
    ['a missing option value', () => ['diagnose', `127.0.0.1:${L()}`, '--timeout'], '--timeout needs a value'],
    ['a timeout below 50 ms', () => ['diagnose', `127.0.0.1:${L()}`, '--timeout', '10'], 'between 50 and 600000'],
    ['an unset --password-env', () => ['diagnose', `127.0.0.1:${L()}`, '--password-env', 'RD_UNSET_VAR'], 'RD_UNSET_VAR is not set'],
    ['an unreadable --tls-ca', () => ['diagnose', `127.0.0.1:${L()}`, '--tls-ca', '/nonexistent/ca.pem'], 'cannot read TLS CA file /nonexistent/ca.pem: ENOENT'],
    ['--ssh without known_hosts', () => ['diagnose', `127.0.0.1:${L()}`, '--ssh', 'doc@127.0.0.1'], '--ssh needs --ssh-known-hosts'],
    ['a missing command', () => [], 'missing command'],
    ['redis-cli -h/-p habits', () => ['diagnose', '-h', '127.0.0.1', '-p', String(L()), '--json'], /the address is the target, not redis-cli's -h\/-p: redis-doctor diagnose 127\.0\.0\.1:\d+$/],
    ['redis-cli -u habit with a password', () => ['diagnose', '-u', `redis://:cli-habit-pw@127.0.0.1:${L()}`], /redis-doctor diagnose redis:\/\/:<redacted>@127\.0\.0\.1:\d+$/],
    ['--help under --json', () => ['diagnose', `127.0.0.1:${L()}`, '--json', '--help'], '--help prints text, not a diagnosis document'],
    ['--brief with --json', () => ['diagnose', `127.0.0.1:${L()}`, '--json', '--brief'], 'two output formats'],
    ['a malformed %-escape in a URL password', () => ['diagnose', `redis://:50%off@127.0.0.1:${L()}`], 'malformed percent-encoding in the password of target "redis://:<redacted>@127.0.0.1:'],
  ];

  it.each(cases)('%s → exit 2, one line, nothing probed', async (_label, argv, message) => {
    const log = join(dir, `${uniqueName('modules')}.log`);
    const before = listener.connections();
    const r = await runCli(argv(), { env: baseEnv({ RD_MODULE_LOG: log }), nodeArgs: ['--import', RECORD_MODULES], cwd: dir });
    expectUsageError(r, message);
    expect(listener.connections()).toBe(before);
    const modules = readLog(log);
    expect(modules.some((m) => m.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(modules.filter((m) => ENGINE_MODULE.test(m) || /\/dist\/engine\/probes\//.test(m))).toEqual([]);
  });

  it('an unknown config name names the config file', async () => {
    const r = await runCli(['diagnose', 'no-such-target', '--config', configPath]);
    expectUsageError(r, `unknown target name "no-such-target" (not in ${configPath})`);
    expect(listener.connections()).toBe(0);
  });

  it('a name with no config file says the file is missing', async () => {
    const r = await runCli(['diagnose', 'no-such-target'], { cwd: dir + '/..' });
    expectUsageError(r, 'unknown target name "no-such-target" (not in ./redis-doctor.yaml: no such file); for a host called no-such-target, write no-such-target:6379');
  });

  it('an empty REDIS_DOCTOR_CONFIG counts as unset: the default file is named', async () => {
    const r = await runCli(['diagnose', 'no-such-target'], { cwd: dir + '/..', env: baseEnv({ REDIS_DOCTOR_CONFIG: '' }) });
    expectUsageError(r, 'unknown target name "no-such-target" (not in ./redis-doctor.yaml: no such file)');
  });

  it('config-file errors name the field', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'targets:\n  - name: Bad_Name\n    url: redis://127.0.0.1:1\n  - name: ok\n    url: http://x\n    pasword: x\n');
    const r = await runCli(['diagnose', '127.0.0.1:1', '--config', bad]);
    expectUsageError(r, 'targets[0].name: must match');
    expect(r.stderr).toContain('targets[1].url: must be a redis:// or rediss:// URL');
    expect(r.stderr).toContain('pasword');
  });

  it('REDIS_DOCTOR_CONFIG is honoured and a missing explicit file is an input error', async () => {
    const r = await runCli(['diagnose', 'known'], { env: baseEnv({ REDIS_DOCTOR_CONFIG: join(dir, 'absent.yaml') }) });
    expectUsageError(r, `config file ${join(dir, 'absent.yaml')} does not exist`);
  });
});

describe('--help and --version', () => {
  it('--help prints usage on stdout and exits 0', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('redis-doctor diagnose <target> [options]');
      for (const option of ['--json', '--timeout', '--tls-ca', '--tls-insecure', '--user', '--password-env', '--ssh-key', '--ssh-known-hosts', '--config']) {
        expect(r.stdout).toContain(option);
      }
    }
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r).toEqual({ code: 0, stdout: `redis-doctor ${version}\n`, stderr: '' });
    }
  });
});

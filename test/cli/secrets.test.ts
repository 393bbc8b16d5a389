/**
 * A password never appears in stdout or stderr, whichever way it was given:
 * URL, --password-env, REDISCLI_AUTH or the config's passwordEnv; right or
 * wrong; text or JSON; and in usage errors.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, ensureBuilt, runCli, startRedis, uniqueName, type CliResult, type RedisServer } from './helpers.js';

// The distinctive part is random so a match can only come from a leak; "@:/" force URL encoding.
const RIGHT_MARK = randomBytes(8).toString('hex');
const WRONG_MARK = randomBytes(8).toString('hex');
const RIGHT = `Rt@:/${RIGHT_MARK}`;
const WRONG = `Wr@:/${WRONG_MARK}`;

let redis: RedisServer;
let dir: string;
let configPath: string;

beforeAll(async () => {
  ensureBuilt();
  redis = await startRedis({ password: RIGHT });
  dir = mkdtempSync(join(tmpdir(), `${uniqueName('rd-cli-secrets')}-`));
  configPath = join(dir, 'redis-doctor.yaml');
  writeFileSync(configPath, `targets:\n  - name: secured\n    url: redis://127.0.0.1:${redis.port}\n    passwordEnv: RD_SECURED_PW\n`);
});
afterAll(async () => {
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectNoSecret(r: CliResult): void {
  const all = r.stdout + r.stderr;
  for (const mark of [RIGHT_MARK, WRONG_MARK]) expect(all).not.toContain(mark);
}

type Way = (password: string) => { argv: string[]; env: Record<string, string> };
const ways: [string, Way][] = [
  ['URL', (pw) => ({ argv: [`redis://:${encodeURIComponent(pw)}@127.0.0.1:${redis.port}`], env: {} })],
  ['URL with a user', (pw) => ({ argv: [`redis://default:${encodeURIComponent(pw)}@127.0.0.1:${redis.port}`], env: {} })],
  ['--password-env', (pw) => ({ argv: [`127.0.0.1:${redis.port}`, '--password-env', 'RD_TEST_PW'], env: { RD_TEST_PW: pw } })],
  ['REDISCLI_AUTH', (pw) => ({ argv: [`127.0.0.1:${redis.port}`], env: { REDISCLI_AUTH: pw } })],
  ['config passwordEnv', (pw) => ({ argv: ['secured', '--config', configPath], env: { RD_SECURED_PW: pw } })],
];

describe.each(ways)('password given by %s', (_name, way) => {
  it.each([['json', ['--json']], ['text', []]])('right password, %s output: healthy and not printed', async (_mode, extra) => {
    const { argv, env } = way(RIGHT);
    const r = await runCli(['diagnose', ...argv, '--timeout', '1000', ...extra], { env: baseEnv(env) });
    expectNoSecret(r);
    expect(r.code).toBe(0);
    if (extra.length) expect(JSON.parse(r.stdout).verdict).toBe('healthy');
  });

  it.each([['json', ['--json']], ['text', []]])('wrong password, %s output: auth-failed and not printed', async (_mode, extra) => {
    const { argv, env } = way(WRONG);
    const r = await runCli(['diagnose', ...argv, '--timeout', '1000', ...extra], { env: baseEnv(env) });
    expectNoSecret(r);
    expect(r.code).toBe(1);
    if (extra.length) expect(JSON.parse(r.stdout).primaryCause).toBe('auth-failed');
    else expect(r.stdout).toContain('auth-failed');
  });
});

describe('passwords in bad input', () => {
  it.each([
    ['a URL with a bad port', ['diagnose', `redis://:${RIGHT_MARK}@127.0.0.1:0`]],
    ['a URL with a bad host', ['diagnose', `redis://u:${RIGHT_MARK}@bad_host:1`]],
    ['a URL in place of the command', [`redis://:${RIGHT_MARK}@127.0.0.1:1`]],
    ['a URL after the target', ['diagnose', '127.0.0.1:1', `redis://:${RIGHT_MARK}@127.0.0.1:1`]],
    ['--password=value', ['diagnose', '127.0.0.1:1', `--password=${RIGHT_MARK}`]],
    ['a URL whose password holds a literal "/"', ['diagnose', `redis://:x/${RIGHT_MARK}@127.0.0.1:1`]],
  ])('%s: exit 2, not printed', async (_label, argv) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expectNoSecret(r);
  });

  it('a password written into the config file url: exit 2 naming the field, not printed', async () => {
    const bad = join(dir, 'with-password.yaml');
    writeFileSync(bad, `targets:\n  - name: leaky\n    url: redis://:${RIGHT_MARK}@127.0.0.1:${redis.port}\n`);
    const r = await runCli(['diagnose', 'leaky', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('targets[0].url: must not contain a password');
    expectNoSecret(r);
  });

  it('a literal "@" in a URL password: all of it hidden, in the target input too', async () => {
    const r = await runCli(['diagnose', `redis://:x@${WRONG_MARK}@127.0.0.1:${redis.port}`, '--json']);
    expect(r.code).toBe(1);
    expectNoSecret(r);
    expect(JSON.parse(r.stdout).target.input).toBe(`redis://:<redacted>@127.0.0.1:${redis.port}`);
  });

  it('no password at all: auth-required', async () => {
    const r = await runCli(['diagnose', `127.0.0.1:${redis.port}`, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).primaryCause).toBe('auth-required');
  });
});

/**
 * Redaction replaces a password where outside text quotes it (a reply, host output), never in the
 * tool's own words: a password that is also an ordinary word or number must leave them alone.
 * It still appears nowhere as the password: the tool's texts never carry it (the AUTH it sent is
 * shown as `AUTH <redacted>`, the URL as `:<password>@`).
 */
describe('a password that is also a word the tool prints', () => {
  it.each([['redis'], ['6379']])('wrong password %j: auth-failed, redis-cli, ports and URLs printed as written', async (pw) => {
    const text = await runCli(['diagnose', `127.0.0.1:${redis.port}`, '--password-env', 'RD_TEST_PW', '--timeout', '1000'], { env: baseEnv({ RD_TEST_PW: pw }) });
    const json = await runCli(['diagnose', `127.0.0.1:${redis.port}`, '--password-env', 'RD_TEST_PW', '--timeout', '1000', '--json'], { env: baseEnv({ RD_TEST_PW: pw }) });
    expect(text.code).toBe(1);
    expect(JSON.parse(json.stdout).primaryCause).toBe('auth-failed');
    for (const out of [text.stdout + text.stderr, json.stdout + json.stderr]) {
      expect(out).toContain('redis-cli -h 127.0.0.1');
      expect(out).toContain('redis://');
      expect(out).not.toMatch(/<redacted>-|-<redacted>|:\/\/<redacted>|<redacted>:\/\//);
      // The one <redacted> is the password the probe sent (no INFO is quoted: the AUTH failed).
      expect(out.replace(/AUTH <redacted>/g, '')).not.toContain('<redacted>');
    }
    expect(text.stdout).toContain('redis-doctor');
  });

  it('a password equal to the port: the port is printed wherever the tool names it', async () => {
    const pw = String(redis.port);
    const r = await runCli(['diagnose', `127.0.0.1:${redis.port}`, '--password-env', 'RD_TEST_PW', '--timeout', '1000'], { env: baseEnv({ RD_TEST_PW: pw }) });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`127.0.0.1:${redis.port}`);
    expect(r.stdout).toContain(`-p ${redis.port}`);
  });
});

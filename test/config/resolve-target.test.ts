import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSshSpec, ResolveError, resolveTarget, type ResolveContext } from '../../src/config/resolve-target.js';
import { configSchema, type Config } from '../../src/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), `rd-resolve-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const caPath = file('ca.pem', 'CA-PEM');
const keyPath = file('key', 'KEY-PEM');
const khPath = file('known_hosts', 'db1 ssh-ed25519 AAAA');

const config: Config = configSchema.parse({
  targets: [
    { name: 'cache-prod', url: 'redis://10.0.0.5:6380/2', passwordEnv: 'CACHE_PW', user: 'app' },
    { name: 'tls-one', url: 'rediss://cache.example.com', tlsCaPath: caPath },
    { name: 'with-ssh', url: 'redis://10.0.0.6', ssh: { host: '10.0.0.6', user: 'doctor', privateKeyPath: keyPath, knownHostsPath: khPath } },
    { name: 'slow-ssh', url: 'redis://10.0.0.7', ssh: { host: '10.0.0.7', user: 'doctor', privateKeyPath: keyPath, knownHostsPath: khPath, timeoutMs: 20000 } },
    { name: 'sentinels', url: 'redis://10.0.0.9:26379', sentinelMaster: 'mymaster', clientAccess: 'write' },
    { name: 'cluster-a', url: 'redis://10.0.0.7:7000', cluster: true },
  ],
});

const ctx = (over: Partial<ResolveContext> = {}): ResolveContext => ({ config, configPath: '/etc/rd.yaml', env: {}, ...over });

describe('resolveTarget', () => {
  it('resolves host:port with no credentials', () => {
    expect(resolveTarget('127.0.0.1:6390', ctx())).toEqual({
      target: { input: '127.0.0.1:6390', host: '127.0.0.1', port: 6390, tls: false },
      options: { followPolicy: { kind: 'configured' } },
    });
  });

  it('a config target\'s sentinelMaster, cluster and clientAccess flow into DiagnoseOptions.topology; flags win', () => {
    expect(resolveTarget('sentinels', ctx()).options.topology).toEqual({ sentinelMaster: 'mymaster', access: 'write' });
    expect(resolveTarget('cluster-a', ctx()).options.topology).toEqual({ cluster: true });
    expect(resolveTarget('sentinels', ctx({ flags: { sentinelMaster: 'other', clientAccess: 'read' } })).options.topology).toEqual({ sentinelMaster: 'other', access: 'read' });
    expect(resolveTarget('10.0.0.9:26379', ctx({ flags: { sentinelMaster: 'mymaster', cluster: true } })).options.topology).toEqual({ sentinelMaster: 'mymaster', cluster: true });
    expect(resolveTarget('127.0.0.1:6390', ctx()).options.topology).toBeUndefined();
    expect(() => resolveTarget('10.0.0.9:26379', ctx({ flags: { sentinelMaster: 'my master' } }))).toThrow(/invalid --sentinel-master "my master"/);
  });

  it('keeps a long target input whole (a host name may have 253 characters)', () => {
    const host = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.example`;
    expect(resolveTarget(`redis://u:pw123@${host}:6379`, ctx()).target.input).toBe(`redis://u:<redacted>@${host}:6379`);
  });

  it('keeps the URL password in credentials only', () => {
    const r = resolveTarget('redis://bob:s3cretpw@localhost:7000/1', ctx({ env: { REDISCLI_AUTH: 'other' } }));
    expect(r.target).toEqual({ input: 'redis://bob:<redacted>@localhost:7000/1', host: 'localhost', port: 7000, tls: false, user: 'bob', db: 1 });
    expect(r.options.credentials).toEqual({ user: 'bob', password: 's3cretpw' });
    expect(JSON.stringify(r.target)).not.toContain('s3cretpw');
  });

  it('follows the password precedence: URL, --password-env, REDISCLI_AUTH, config passwordEnv', () => {
    const env = { FLAG_PW: 'from-flag', REDISCLI_AUTH: 'from-cli-auth', CACHE_PW: 'from-config' };
    expect(resolveTarget('cache-prod', ctx({ env, flags: { passwordEnv: 'FLAG_PW' } })).options.credentials?.password).toBe('from-flag');
    expect(resolveTarget('cache-prod', ctx({ env })).options.credentials?.password).toBe('from-cli-auth');
    expect(resolveTarget('cache-prod', ctx({ env: { CACHE_PW: 'from-config' } })).options.credentials).toEqual({ user: 'app', password: 'from-config' });
    expect(resolveTarget('cache-prod', ctx({ env: { CACHE_PW: 'from-config', REDISCLI_AUTH: '' } })).options.credentials?.password).toBe('from-config');
  });

  it('refuses an unset or empty --password-env variable and an unset config passwordEnv', () => {
    expect(() => resolveTarget('localhost', ctx({ flags: { passwordEnv: 'NOPE' } }))).toThrow('--password-env: environment variable NOPE is not set');
    expect(() => resolveTarget('localhost', ctx({ env: { E: '' }, flags: { passwordEnv: 'E' } }))).toThrow(/E is empty/);
    expect(() => resolveTarget('localhost', ctx({ flags: { passwordEnv: 'A;B' } }))).toThrow(/not an environment variable name/);
    expect(() => resolveTarget('cache-prod', ctx())).toThrow('target "cache-prod" passwordEnv: environment variable CACHE_PW is not set');
  });

  it('resolves a config name with its user, db and port; --user wins', () => {
    const r = resolveTarget('cache-prod', ctx({ env: { CACHE_PW: 'x1y2z3' }, flags: { user: 'ops' } }));
    expect(r.target).toEqual({ input: 'cache-prod', name: 'cache-prod', host: '10.0.0.5', port: 6380, tls: false, db: 2, user: 'ops' });
  });

  it('names the config file for an unknown target name, loading it lazily', () => {
    let loads = 0;
    const lazy = { env: {}, configPath: '/etc/rd.yaml', loadConfig: () => { loads++; return config; } };
    expect(() => resolveTarget('nosuch', lazy)).toThrow(new ResolveError('unknown target name "nosuch" (not in /etc/rd.yaml); for a host called nosuch, write nosuch:6379'));
    expect(loads).toBe(1);
    resolveTarget('localhost:1', lazy);
    expect(loads).toBe(1);
  });

  it('turns TLS on from rediss://, --tls, --tls-ca, --tls-insecure and the config', () => {
    expect(resolveTarget('rediss://h.example', ctx()).options.tls).toEqual({});
    expect(resolveTarget('h.example', ctx({ flags: { tls: true } })).target.tls).toBe(true);
    expect(resolveTarget('h.example', ctx({ flags: { tlsCa: caPath } })).options.tls).toEqual({ ca: 'CA-PEM' });
    expect(resolveTarget('h.example', ctx({ flags: { tlsInsecure: true } })).options.tls).toEqual({ insecure: true });
    const named = resolveTarget('tls-one', ctx());
    expect(named.target).toMatchObject({ host: 'cache.example.com', port: 6379, tls: true });
    expect(named.options.tls).toEqual({ ca: 'CA-PEM' });
  });

  it('reports an unreadable CA file by name and errno', () => {
    expect(() => resolveTarget('h.example', ctx({ flags: { tlsCa: join(dir, 'missing.pem') } }))).toThrow(/cannot read TLS CA file .*missing\.pem: ENOENT/);
  });

  it('builds SSH options from flags and requires known_hosts', () => {
    const r = resolveTarget('10.0.0.9', ctx({ flags: { ssh: 'doctor@10.0.0.9:2222', sshKey: keyPath, sshKnownHosts: khPath } }));
    expect(r.options.ssh).toEqual({ host: '10.0.0.9', port: 2222, user: 'doctor', privateKey: 'KEY-PEM', privateKeyPath: keyPath, knownHosts: 'db1 ssh-ed25519 AAAA', knownHostsPath: khPath });
    expect(() => resolveTarget('10.0.0.9', ctx({ flags: { ssh: 'doctor@10.0.0.9', sshKey: keyPath } }))).toThrow(/--ssh needs --ssh-known-hosts/);
    expect(() => resolveTarget('10.0.0.9', ctx({ flags: { sshKey: keyPath } }))).toThrow(/--ssh-key is only meaningful with --ssh/);
    expect(() => resolveTarget('10.0.0.9', ctx({ flags: { ssh: 'doctor@10.0.0.9', sshKnownHosts: khPath } }))).toThrow(/need a key/);
    const agent = resolveTarget('10.0.0.9', ctx({ env: { SSH_AUTH_SOCK: '/tmp/agent' }, flags: { ssh: 'doctor@10.0.0.9', sshKnownHosts: khPath } }));
    expect(agent.options.ssh).toMatchObject({ useAgent: true, port: 22 });
  });

  it('builds SSH options from the config ssh block', () => {
    const r = resolveTarget('with-ssh', ctx());
    expect(r.options.ssh).toEqual({ host: '10.0.0.6', port: 22, user: 'doctor', privateKey: 'KEY-PEM', privateKeyPath: keyPath, knownHosts: 'db1 ssh-ed25519 AAAA', knownHostsPath: khPath });
  });

  it('the SSH phase bound: ssh.timeoutMs of the block (what the Slack worker resolves), --ssh-timeout over it', () => {
    expect(resolveTarget('slow-ssh', ctx()).options.ssh?.timeoutMs).toBe(20000);
    expect(resolveTarget('slow-ssh', ctx({ flags: { sshTimeoutMs: 3000 } })).options.ssh?.timeoutMs).toBe(3000);
    expect(resolveTarget('with-ssh', ctx({ flags: { sshTimeoutMs: 3000 } })).options.ssh?.timeoutMs).toBe(3000);
    expect(resolveTarget('10.0.0.9', ctx({ flags: { ssh: 'doctor@10.0.0.9', sshKey: keyPath, sshKnownHosts: khPath, sshTimeoutMs: 12000 } })).options.ssh?.timeoutMs).toBe(12000);
    expect(() => resolveTarget('10.0.0.9', ctx({ flags: { sshTimeoutMs: 3000 } }))).toThrow(/--ssh-timeout is only meaningful with SSH checks/);
    expect(() => resolveTarget('cache-prod', ctx({ flags: { sshTimeoutMs: 3000 } }))).toThrow(ResolveError);
  });

  it.each([
    'localhost;rm -rf /', '$(id)', '`id`', 'a|b', 'local host', ':6379', 'redis://:6379', 'localhost:0', 'localhost:65536', 'localhost:abc', '',
  ])('refuses %j as a ResolveError', (input) => {
    expect(() => resolveTarget(input, ctx())).toThrow(ResolveError);
  });
});

describe('parseSshSpec', () => {
  it('parses user@host, user@host:port and user@[ipv6]:port', () => {
    expect(parseSshSpec('doc@db1')).toEqual({ user: 'doc', host: 'db1', port: 22 });
    expect(parseSshSpec('doc@db1.example.com:2200')).toEqual({ user: 'doc', host: 'db1.example.com', port: 2200 });
    expect(parseSshSpec('doc@[::1]:22')).toEqual({ user: 'doc', host: '::1', port: 22 });
  });
  it.each(['db1', 'doc@', '@db1', 'doc@db1:0', 'doc@db1:99999', 'doc@db;1', 'd o@db1', 'doc@-x'])('refuses %j', (spec) => {
    expect(() => parseSshSpec(spec)).toThrow(ResolveError);
  });
});

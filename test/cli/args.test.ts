import { describe, expect, it } from 'vitest';
import { ArgsError, parseArgs } from '../../src/cli/args.js';

describe('parseArgs', () => {
  it('parses diagnose with every option, in both value forms', () => {
    const args = parseArgs([
      'diagnose', 'cache-prod', '--json', '--timeout', '500', '--tls', '--tls-ca=/ca.pem', '--tls-insecure',
      '--user', 'alice', '--password-env', 'PW', '--ssh', 'doc@db1:2222', '--ssh-key', '/k', '--ssh-known-hosts=/kh', '--ssh-timeout', '15000', '--config', '/c.yaml',
    ]);
    expect(args).toEqual({
      command: 'diagnose', target: 'cache-prod', json: true, brief: false, timeoutMs: 500, config: '/c.yaml',
      flags: { user: 'alice', passwordEnv: 'PW', tls: true, tlsCa: '/ca.pem', tlsInsecure: true, ssh: 'doc@db1:2222', sshKey: '/k', sshKnownHosts: '/kh', sshTimeoutMs: 15000 },
    });
  });

  it('parses the topology options (additions)', () => {
    expect(parseArgs(['diagnose', 'sentinel:26379', '--sentinel-master', 'mymaster', '--cluster', '--client-access=write'])).toMatchObject({ flags: { sentinelMaster: 'mymaster', cluster: true, clientAccess: 'write' } });
    expect(() => parseArgs(['diagnose', 'x', '--client-access', 'both'])).toThrow(/--client-access is read or write, got "both"/);
    expect(() => parseArgs(['diagnose', 'x', '--cluster=yes'])).toThrow(/--cluster takes no value/);
  });

  it('accepts options before the target and -- before a target', () => {
    expect(parseArgs(['diagnose', '--json', '--', 'localhost'])).toMatchObject({ target: 'localhost', json: true });
  });

  it('recognises help and version', () => {
    expect(parseArgs(['--help'])).toEqual({ command: 'help' });
    expect(parseArgs(['diagnose', 'x', '-h'])).toEqual({ command: 'help' });
    expect(parseArgs(['help'])).toEqual({ command: 'help' });
    expect(parseArgs(['-V'])).toEqual({ command: 'version' });
    expect(parseArgs(['--version'])).toEqual({ command: 'version' });
  });

  it.each([
    [['diagnose', 'x', '--timeout', '49'], /between 50 and 600000/],
    [['diagnose', 'x', '--timeout', '600001'], /between 50 and 600000/],
    [['diagnose', 'x', '--timeout', '1.5'], /whole number/],
    [['diagnose', 'x', '--timeout', 'abc'], /whole number/],
    [['diagnose', 'x', '--timeout'], /--timeout needs a value/],
    [['diagnose', 'x', '--ssh-timeout', '49'], /--ssh-timeout must be between 50 and 600000/],
    [['diagnose', 'x', '--ssh-timeout=600001'], /--ssh-timeout must be between 50 and 600000/],
    [['diagnose', 'x', '--ssh-timeout', '10s'], /--ssh-timeout expects a whole number/],
    [['diagnose', 'x', '--ssh-timeout'], /--ssh-timeout needs a value/],
    [['diagnose', 'x', '--user', '--json'], /--user needs a value/],
    [['diagnose', 'x', '--user='], /non-empty/],
    [['diagnose', 'x', '--json=yes'], /takes no value/],
    [['diagnose', 'x', '--user', 'a', '--user', 'b'], /more than once/],
    [['diagnose', 'x', '--frobnicate'], /unknown option --frobnicate/],
    [['diagnose', 'x', '-z'], /unknown option -z/],
    // Object's own property names are options like any other, with no "hint" borrowed from Object.prototype.
    [['diagnose', 'x', '--constructor'], /^unknown option --constructor \(see redis-doctor --help\)$/],
    [['diagnose', 'x', '--toString'], /^unknown option --toString \(see redis-doctor --help\)$/],
    [['diagnose'], /missing target/],
    [[], /missing command/],
    [['probe', 'x'], /unknown command "probe"/],
    [['diagnose', 'a', 'b'], /exactly one target/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(ArgsError);
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it('never echoes the value of an unknown option and points password habits elsewhere', () => {
    let message = '';
    try {
      parseArgs(['diagnose', 'x', '--password=hunter2secret']);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('unknown option --password');
    expect(message).toContain('--password-env');
    expect(message).not.toContain('hunter2secret');
    expect(() => parseArgs(['diagnose', 'x', '-a', 'pw'])).toThrow(/REDISCLI_AUTH/);
  });

  it('turns redis-cli habits into the target they meant', () => {
    const message = (argv: string[]) => {
      try {
        parseArgs(argv);
      } catch (err) {
        expect(err).toBeInstanceOf(ArgsError);
        return (err as Error).message;
      }
      return 'parsed';
    };
    expect(message(['diagnose', '-h', '10.0.0.5', '-p', '7000'])).toBe("the address is the target, not redis-cli's -h/-p: redis-doctor diagnose 10.0.0.5:7000");
    expect(message(['diagnose', '-h', '127.0.0.1', '--json'])).toContain('redis-doctor diagnose 127.0.0.1:6379');
    expect(message(['diagnose', 'cache.local', '-p', '6380'])).toContain('redis-doctor diagnose cache.local:6380');
    expect(message(['diagnose', '-h', '::1', '-n', '2'])).toContain('redis-doctor diagnose redis://[::1]:6379/2');
    expect(message(['diagnose', '-u', 'redis://10.0.0.5:6380/1'])).toContain('redis-doctor diagnose redis://10.0.0.5:6380/1');
    expect(message(['diagnose', '-p'])).toContain("not redis-cli's -p: redis-doctor diagnose <host>:<port>");
    // A value that is not a host or a port is not repeated (it could be anything, even a password).
    const odd = message(['diagnose', '-h', 'a;rm -rf /', '-p', '1']);
    expect(odd).toContain('redis-doctor diagnose <host>:<port>');
    expect(odd).not.toContain('rm -rf');
    // -a takes its value whatever it looks like, and never shows it.
    const pw = message(['diagnose', 'x', '-a', '-s3cret-pw', '-h', '10.0.0.1']);
    expect(pw).toContain('REDISCLI_AUTH');
    expect(pw).toContain('redis-doctor diagnose 10.0.0.1:6379');
    expect(pw).not.toContain('s3cret');
  });

  it('never gives help or a version line under --json', () => {
    expect(() => parseArgs(['diagnose', 'x', '--json', '-h'])).toThrow(/--help prints text, not a diagnosis document/);
    expect(() => parseArgs(['--help', '--json'])).toThrow(ArgsError);
    expect(() => parseArgs(['--json', '--version'])).toThrow(/--version prints text/);
    expect(parseArgs(['diagnose', '-h'])).toEqual({ command: 'help' });
    expect(parseArgs(['-h', 'diagnose'])).toEqual({ command: 'help' });
  });

  it('takes --brief, but not with --json', () => {
    expect(parseArgs(['diagnose', 'x', '--brief'])).toMatchObject({ brief: true, json: false });
    expect(parseArgs(['diagnose', 'x'])).toMatchObject({ brief: false });
    expect(() => parseArgs(['diagnose', 'x', '--brief', '--json'])).toThrow(/two output formats/);
  });
});

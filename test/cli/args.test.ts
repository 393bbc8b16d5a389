import { describe, expect, it } from 'vitest';
import { ArgsError, parseArgs } from '../../src/cli/args.js';

describe('parseArgs', () => {
  it('parses diagnose with every option, in both value forms', () => {
    const args = parseArgs([
      'diagnose', 'cache-prod', '--json', '--timeout', '500', '--tls', '--tls-ca=/ca.pem', '--tls-insecure',
      '--user', 'alice', '--password-env', 'PW', '--ssh', 'doc@db1:2222', '--ssh-key', '/k', '--ssh-known-hosts=/kh', '--ssh-timeout', '15000', '--config', '/c.yaml',
    ]);
    expect(args).toEqual({
      command: 'diagnose', target: 'cache-prod', json: true, timeoutMs: 500, config: '/c.yaml',
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
});

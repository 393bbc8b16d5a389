import { describe, expect, it } from 'vitest';
import { parseTarget, TargetError, redactUrl } from '../../src/engine/model/target.js';

describe('parseTarget: accepted forms', () => {
  it.each([
    ['127.0.0.1', { host: '127.0.0.1', port: 6379, tls: false }],
    ['127.0.0.1:6380', { host: '127.0.0.1', port: 6380, tls: false }],
    ['localhost', { host: 'localhost', port: 6379, tls: false }],
    ['Cache.Example.COM:7000', { host: 'cache.example.com', port: 7000, tls: false }],
    ['redis:6379', { host: 'redis', port: 6379, tls: false }],
    ['[::1]:6390', { host: '::1', port: 6390, tls: false }],
    ['[2001:db8::5]', { host: '2001:db8::5', port: 6379, tls: false }],
    ['::1', { host: '::1', port: 6379, tls: false }],
    // A bare IPv6 literal is never split at its last colon: write [addr]:port for a port.
    ['1::2:6379', { host: '1::2:6379', port: 6379, tls: false }],
    ['redis://10.0.0.5', { host: '10.0.0.5', port: 6379, tls: false }],
    ['rediss://cache.example.com:6380', { host: 'cache.example.com', port: 6380, tls: true }],
    ['redis://[::1]:6381/2', { host: '::1', port: 6381, tls: false, db: 2 }],
  ])('%s', (input, expected) => {
    expect(parseTarget(input)).toEqual({ kind: 'address', ...expected });
  });

  it('takes user and password from a URL, percent-decoded', () => {
    expect(parseTarget('redis://alice:p%40ss@10.0.0.5:6379/0')).toEqual({
      kind: 'address', host: '10.0.0.5', port: 6379, tls: false, user: 'alice', password: 'p@ss', db: 0,
    });
    expect(parseTarget('redis://:s3cret@h.example')).toMatchObject({ password: 's3cret', host: 'h.example' });
  });

  it('treats a single label as a config name, except localhost', () => {
    expect(parseTarget('cache-prod')).toEqual({ kind: 'name', name: 'cache-prod' });
    expect(parseTarget('localhost')).toMatchObject({ kind: 'address' });
  });
});

describe('parseTarget: refused input', () => {
  it.each([
    ['', /empty target/],
    ['   ', /empty target/],
    ['localhost;rm -rf /', /not allowed: ";"/],
    ['$(id)', /not allowed: "\$"/],
    ['`id`:6379', /not allowed: "`"/],
    ['a|b', /not allowed: "\|"/],
    ['cache prod', /not allowed: " "/],
    ['host\n:6379', /not allowed/],
    [':6379', /empty host/],
    ['redis://:6379', /empty host|malformed/],
    ['localhost:0', /invalid port 0/],
    ['localhost:65536', /invalid port 65536/],
    ['localhost:abc', /invalid port "abc"/],
    ['localhost:', /invalid port ""/],
    ['-host.example:6379', /invalid host/],
    ['http://example.com', /unsupported scheme/],
    ['redis://h.example/x', /invalid database/],
    ['redis://h.example?x=1', /query strings/],
    ['::ffff:198.18.0.1%lo', /IPv6 zone id/],
    ['[fe80::1%eth0]:6379', /IPv6 zone id/],
    ['fe80::1%25lo', /IPv6 zone id/],
    ['h.example:1:2', /write IPv6 addresses as \[address\]:port/],
    ['Cache_Prod', /invalid target/],
    // A lone "%" is bad input (exit 2), not a URIError from decodeURIComponent (exit 3).
    ['redis://:50%off@h.example', /malformed percent-encoding in the password of target "redis:\/\/:<redacted>@h.example"/],
    ['redis://u%zz@h.example', /malformed percent-encoding in the user name/],
    ['redis://h%zz.example', /malformed percent-encoding in the host/],
  ])('%j', (input, message) => {
    expect(() => parseTarget(input)).toThrow(TargetError);
    expect(() => parseTarget(input)).toThrow(message);
  });

  it('never repeats a query string (which may hold ?password=…) in its error', () => {
    expect(() => parseTarget('redis://h.example:6379?password=Qs-Secret-9')).toThrow(/^query strings and fragments are not supported in target "redis:\/\/h\.example:6379\?…"$/);
    expect(() => parseTarget('redis://h.example#password=Qs-Secret-9')).toThrow(/target "redis:\/\/h\.example\?…"$/);
  });

  it('never repeats a URL password in its error', () => {
    let message = '';
    try {
      parseTarget('redis://u:topsecret@bad_host:6379');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/invalid host/);
    expect(message).not.toContain('topsecret');
    expect(redactUrl('redis://u:topsecret@h:1')).toBe('redis://u:<redacted>@h:1');
  });

  it('hides all of a password holding a literal "@" or "/", and nothing of a URL without one', () => {
    // WHATWG URL: the user info ends at the last "@", so "abc@defgh" is the password.
    expect(parseTarget('redis://:abc@defgh@h.example')).toMatchObject({ host: 'h.example', password: 'abc@defgh' });
    expect(redactUrl('redis://:abc@defgh@h.example')).toBe('redis://:<redacted>@h.example');
    expect(redactUrl('redis://me@corp:topsecret@h:1/2')).toBe('redis://me@corp:<redacted>@h:1/2');
    expect(() => parseTarget('redis://:abc/defgh@h.example')).toThrow(/^malformed URL target "redis:\/\/:<redacted>@h.example"$/);
    expect(redactUrl('redis://app@h.example:6380/2')).toBe('redis://app@h.example:6380/2');
    expect(redactUrl('redis://[::1]:6379')).toBe('redis://[::1]:6379');
  });
});

import { describe, expect, it } from 'vitest';
import { Redactor, redactRedisConfigText, REDACTED } from '../../src/engine/shared/redact.js';

describe('Redactor', () => {
  it('replaces every occurrence, also percent-encoded', () => {
    const r = new Redactor().add('p@ss word');
    expect(r.redact('AUTH p@ss word; url redis://:p%40ss%20word@h')).toBe(`AUTH ${REDACTED}; url redis://:${REDACTED}@h`);
  });

  it('walks values, so quotes and backslashes in a secret cannot hide it', () => {
    const secret = 'a"b\\c';
    const doc = { evidence: [`said ${secret}`], nested: { [secret]: 1 }, n: 3, ok: true, none: null };
    const out = new Redactor().add(secret).redactDeep(doc);
    expect(JSON.stringify(out)).not.toContain('a\\"b');
    expect(out).toEqual({ evidence: [`said ${REDACTED}`], nested: { [REDACTED]: 1 }, n: 3, ok: true, none: null });
  });

  it('leaves values alone when it knows no secret', () => {
    const doc = { a: 'x' };
    expect(new Redactor().add(undefined).add('').redactDeep(doc)).toBe(doc);
  });
});

describe('redactRedisConfigText', () => {
  it('redacts requirepass, masterauth, ACL passwords, flags and URLs', () => {
    const text = [
      'requirepass "s3 cret"',
      'masterauth hunter22',
      'user alice on >alicepw #abc123 ~* +@all',
      '/usr/bin/redis-server 127.0.0.1:6379 --requirepass clisecret',
      'primary redis://u:urlpw@10.0.0.1:6379',
      'bind 127.0.0.1 -::1',
    ].join('\n');
    const out = redactRedisConfigText(text);
    for (const secret of ['s3 cret', 'hunter22', 'alicepw', 'abc123', 'clisecret', 'urlpw']) expect(out).not.toContain(secret);
    expect(out).toContain('bind 127.0.0.1 -::1');
    expect(out).toContain(`requirepass ${REDACTED}`);
  });
});

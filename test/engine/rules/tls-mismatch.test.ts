import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/tls-mismatch.js';
import type { Observations } from '../../../src/engine/model/types.js';
import { healthy, session, TEXT, err } from '../fixtures.js';

/** rediss:// to a plaintext Redis port: the handshake hangs (observed on 7.0.15). */
function tlsToPlain(): Observations {
  const obs = healthy();
  obs.target = { input: 'rediss://10.0.0.5:6379', host: '10.0.0.5', port: 6379, tls: true };
  obs.tls = {
    ok: false,
    durationMs: 2000,
    code: 'ETIMEDOUT',
    message: 'no TLS handshake answer within 2000 ms (no bytes); a plaintext Redis waits for a newline after a ClientHello',
  };
  delete obs.resp;
  delete obs.info;
  return obs;
}

/** redis:// to a Redis tls-port: reset without a byte (observed on 7.0.15), TLS sniff succeeds. */
function plainToTls(): Observations {
  const obs = healthy();
  obs.resp = session([['PING', undefined]], { closedByServer: true, noReply: true, socketError: 'ECONNRESET' });
  obs.tlsSniff = { speaksTls: true, durationMs: 4 };
  delete obs.info;
  return obs;
}

describe('tls-mismatch', () => {
  it('fires for a TLS client when a plaintext PING on the same port answers', () => {
    const obs = tlsToPlain();
    obs.plaintextPing = { redis: true, reply: '+PONG', durationMs: 1 };
    const f = rule.evaluate(obs);
    expect(f?.cause).toBe('tls-mismatch');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('The client uses TLS but 10.0.0.5:6379 speaks plaintext RESP');
    expect(f?.evidence[0]).toContain('TLS handshake with 10.0.0.5:6379 failed after 2000 ms: ETIMEDOUT');
    expect(f?.evidence[1]).toBe('without TLS the same port answers PING: +PONG');
    expect(f?.remediations.map((r) => r.id)).toEqual(['use-plaintext', 'enable-tls-port']);
    expect(f?.details).toEqual({ direction: 'tls-to-plaintext' });
  });

  it('fires for a TLS client that got a plaintext RESP error back', () => {
    const obs = tlsToPlain();
    obs.tls = { ok: false, durationMs: 3, code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'wrong version number', plaintextReply: "-ERR unknown command '\\x16\\x03\\x01'" };
    const f = rule.evaluate(obs);
    expect(f?.evidence[1]).toBe("the server answered the ClientHello in plaintext: -ERR unknown command '\\x16\\x03\\x01'");
  });

  it('fires for a plaintext client on a TLS port', () => {
    const f = rule.evaluate(plainToTls());
    expect(f?.title).toBe('10.0.0.5:6379 expects TLS but the client spoke plaintext');
    expect(f?.evidence).toEqual([
      'PING to 10.0.0.5:6379 got no reply: the server reset the connection (ECONNRESET)',
      'a TLS handshake on the same port succeeded in 4 ms',
    ]);
    expect(f?.remediations.map((r) => r.id)).toEqual(['use-tls']);
    expect(f?.remediations[0]?.steps.join('\n')).toContain('rediss://10.0.0.5:6379');
  });

  it('does not fire on a bare TLS timeout, a non-TLS port that reset, or an SSH banner', () => {
    expect(rule.evaluate(tlsToPlain())).toBeUndefined();
    const notTls = plainToTls();
    notTls.tlsSniff = { speaksTls: false, durationMs: 2 };
    expect(rule.evaluate(notTls)).toBeUndefined();
    const ssh = tlsToPlain();
    ssh.tls = { ok: false, durationMs: 3, code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'wrong version number', plaintextReply: 'SSH-2.0-OpenSSH_9.6\\r\\n' };
    expect(rule.evaluate(ssh)).toBeUndefined();
  });

  it('does not fire when the plaintext port answered RESP', () => {
    const obs = healthy();
    obs.resp = session([['PING', err(TEXT.noauth)]]);
    obs.tlsSniff = { speaksTls: true, durationMs: 1 };
    expect(rule.evaluate(obs)).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/not-redis.js';
import type { Observations } from '../../../src/engine/model/types.js';
import { healthy, session } from '../fixtures.js';

function answered(excerpt: string, http = false): Observations {
  const obs = healthy();
  obs.target.port = 22;
  obs.tcp = { ...obs.tcp!, port: 22 };
  obs.resp = session([['PING', undefined]], { nonResp: { excerpt, looksLikeTls: false, looksLikeHttp: http } });
  delete obs.info;
  return obs;
}

describe('not-redis', () => {
  it('names an SSH server from its banner', () => {
    const f = rule.evaluate(answered('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\\r\\n'));
    expect(f?.cause).toBe('not-redis');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('10.0.0.5:22 is an SSH server, not Redis');
    expect(f?.evidence[0]).toBe('10.0.0.5:22 answered with bytes that are not RESP: "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\\r\\n" — an SSH server');
    expect(f?.remediations.map((r) => r.id)).toEqual(['identify-listener', 'use-correct-port']);
    expect(f?.details).toEqual({ protocol: 'ssh' });
  });

  it('names an HTTP server and suggests the port where Redis answered', () => {
    const obs = answered('HTTP/1.1 400 Bad Request\\r\\nContent-Type: text/plain', true);
    obs.neighbours = { scanned: [6379], found: [{ port: 6379, redis: true, reply: '+PONG' }], durationMs: 2, truncated: false };
    const f = rule.evaluate(obs);
    expect(f?.title).toBe('10.0.0.5:22 is an HTTP server, not Redis');
    expect(f?.evidence[1]).toBe('Redis answered on port 6379: +PONG');
    expect(f?.remediations[0]?.id).toBe('use-correct-port');
    expect(f?.details).toEqual({ protocol: 'http', suggestedPort: 6379 });
  });

  it('recognises memcached answering ERROR to PING', () => {
    expect(rule.evaluate(answered('ERROR\\r\\nERROR\\r\\nERROR\\r\\n'))?.title).toBe('10.0.0.5:22 is memcached, not Redis');
  });

  it('does not fire for TLS records or a RESP answer', () => {
    const tls = healthy();
    tls.resp = session([['PING', undefined]], { nonResp: { excerpt: '\\x15\\x03\\x03\\x00\\x02\\x02\\x32', looksLikeTls: true, looksLikeHttp: false } });
    expect(rule.evaluate(tls)).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});

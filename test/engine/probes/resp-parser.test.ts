import { describe, expect, it } from 'vitest';
import { encodeCommand, RespParser, RespProtocolError } from '../../../src/engine/probes/resp-parser.js';
import { printableExcerpt, looksLikeTls, looksLikeHttp } from '../../../src/engine/probes/excerpt.js';

function parseAll(...chunks: string[]) {
  const parser = new RespParser();
  const out = [];
  for (const chunk of chunks) {
    parser.push(Buffer.from(chunk, 'latin1'));
    for (let r = parser.next(); r; r = parser.next()) out.push(r);
  }
  return out;
}

describe('RespParser', () => {
  it('parses RESP2 replies without their type byte', () => {
    expect(parseAll('+PONG\r\n-NOAUTH Authentication required.\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*2\r\n$1\r\na\r\n:1\r\n*-1\r\n')).toEqual([
      { kind: 'status', text: 'PONG' },
      { kind: 'error', text: 'NOAUTH Authentication required.' },
      { kind: 'integer', text: '42' },
      { kind: 'string', text: 'hello' },
      { kind: 'null', text: '' },
      { kind: 'array', text: 'a 1' },
      { kind: 'null', text: '' },
    ]);
  });

  it('parses RESP3 types: null, double, boolean, verbatim, blob error, map, set, attribute', () => {
    expect(parseAll('_\r\n,3.14\r\n#t\r\n=15\r\ntxt:Some string\r\n!21\r\nSYNTAX invalid syntax\r\n%1\r\n+k\r\n:1\r\n~2\r\n+a\r\n+b\r\n|1\r\n+ttl\r\n:3\r\n+OK\r\n')).toEqual([
      { kind: 'null', text: '' },
      { kind: 'other', text: '3.14' },
      { kind: 'other', text: 'true' },
      { kind: 'string', text: 'Some string' },
      { kind: 'error', text: 'SYNTAX invalid syntax' },
      { kind: 'array', text: 'k 1' },
      { kind: 'array', text: 'a b' },
      { kind: 'status', text: 'OK' },
    ]);
  });

  it('waits for the rest of a reply split across chunks', () => {
    expect(parseAll('$11\r\nhel', 'lo wo', 'rld\r', '\n+PO', 'NG\r\n')).toEqual([
      { kind: 'string', text: 'hello world' },
      { kind: 'status', text: 'PONG' },
    ]);
  });

  it('keeps a bulk string with CRLF inside intact (INFO text)', () => {
    const info = '# Server\r\nredis_mode:x\r\n';
    expect(parseAll(`$${info.length}\r\n${info}\r\n`)).toEqual([{ kind: 'string', text: info }]);
  });

  it('rejects bytes that are not RESP at once, without waiting for a newline', () => {
    const parser = new RespParser();
    parser.push(Buffer.from('SSH-2.0-OpenSSH_9.2p1'));
    expect(() => parser.next()).toThrow(RespProtocolError);
    const http = new RespParser();
    http.push(Buffer.from('HTTP/1.1 400 Bad Request\r\n'));
    expect(() => http.next()).toThrow(RespProtocolError);
    const tls = new RespParser();
    tls.push(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]));
    expect(() => tls.next()).toThrow(RespProtocolError);
  });

  it('rejects malformed lengths', () => {
    const parser = new RespParser();
    parser.push(Buffer.from('$abc\r\n'));
    expect(() => parser.next()).toThrow('invalid length');
  });
});

describe('encodeCommand', () => {
  it('encodes arguments as bulk strings, byte lengths for UTF-8', () => {
    expect(encodeCommand(['AUTH', 'pä ss']).toString('utf8')).toBe('*2\r\n$4\r\nAUTH\r\n$6\r\npä ss\r\n');
  });
});

describe('excerpts', () => {
  it('escapes control bytes and caps the length', () => {
    expect(printableExcerpt(Buffer.from('-ERR x\r\n'))).toBe('-ERR x\\r\\n');
    expect(printableExcerpt(Buffer.from([0x16, 0x03, 0x01, 0x41]))).toBe('\\x16\\x03\\x01A');
    expect(printableExcerpt(Buffer.from('abcdef'), 3)).toBe('abc…');
  });

  it('recognises TLS records and HTTP answers', () => {
    expect(looksLikeTls(Buffer.from([0x15, 0x03, 0x03]))).toBe(true);
    expect(looksLikeTls(Buffer.from('+PONG'))).toBe(false);
    expect(looksLikeHttp(Buffer.from('HTTP/1.1 400 Bad Request'))).toBe(true);
    expect(looksLikeHttp(Buffer.from('SSH-2.0-x'))).toBe(false);
  });
});

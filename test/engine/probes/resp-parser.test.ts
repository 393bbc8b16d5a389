import { describe, expect, it } from 'vitest';
import { AGGREGATE_TEXT_MAX, encodeCommand, LARGE_REPLY_ELEMENTS, RespParser, RespProtocolError } from '../../../src/engine/probes/resp-parser.js';
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

  it('gives the same replies fed one byte at a time (resumable: nothing is parsed twice)', () => {
    const wire = '*3\r\n$5\r\nhello\r\n%1\r\n+k\r\n*2\r\n:1\r\n_\r\n|1\r\n+ttl\r\n:3\r\n#t\r\n+PONG\r\n';
    expect(parseAll(...wire.split(''))).toEqual(parseAll(wire));
    expect(parseAll(...wire.split(''))).toEqual([{ kind: 'array', text: 'hello k 1  true' }, { kind: 'status', text: 'PONG' }]);
  });

  it('enforces its budgets across chunks: elements per reply, bytes per reply, line length', () => {
    const tiny = new RespParser({ maxElements: LARGE_REPLY_ELEMENTS });
    const array = Buffer.from(`*16384\r\n${':1\r\n'.repeat(16384)}`);
    expect(() => {
      tiny.push(Buffer.from('*64\r\n'));
      for (let i = 0; i < 32; i++) {
        tiny.push(array);
        tiny.nextNode();
      }
    }).toThrow('too many elements');
    // By default (PING, INFO, AUTH …) one full aggregate is all a reply may hold.
    const small = new RespParser();
    small.push(Buffer.from(`*2\r\n${array.toString('latin1')}`));
    expect(() => small.nextNode()).toThrow('too many elements');
    const big = new RespParser();
    expect(() => {
      // One bulk string of 8,000,000 bytes is fine; a second one of 1,000,000 in the same reply is not.
      big.push(Buffer.from(`*2\r\n$8000000\r\n${'a'.repeat(8_000_000)}\r\n$1000000\r\n`));
      expect(big.nextNode()).toBeUndefined();
      for (let i = 0; i < 20; i++) {
        big.push(Buffer.alloc(65536, 0x61));
        big.nextNode();
      }
    }).toThrow('reply too large');
    const line = new RespParser();
    expect(() => {
      for (let i = 0; i < 3; i++) {
        line.push(Buffer.from(`+${'a'.repeat(40000)}`));
        line.nextNode();
      }
    }).toThrow('line too long');
  });

  it('cuts the flat text of a large aggregate (the items stay whole) and scrubs every text as it arrives', () => {
    const parser = new RespParser({ redact: (t) => t.split('s3cret').join('<redacted>') });
    parser.push(Buffer.from(`*3\r\n$6\r\ns3cret\r\n$${AGGREGATE_TEXT_MAX}\r\n${'x'.repeat(AGGREGATE_TEXT_MAX)}\r\n:1\r\n`));
    const node = parser.nextNode()!;
    expect(node.items!.map((n) => n.text.length)).toEqual([10, AGGREGATE_TEXT_MAX, 1]);
    expect(node.items![0]!.text).toBe('<redacted>');
    expect(node.text).toHaveLength(AGGREGATE_TEXT_MAX);
    expect(node.text.endsWith('x…')).toBe(true);
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

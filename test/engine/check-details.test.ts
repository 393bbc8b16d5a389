import { describe, expect, it } from 'vitest';
import { addressesCheck, respCheck, routeCheck, variantsCheck } from '../../src/engine/pipeline/check-details.js';
import { err, INFO_COMMAND, session, TEXT } from './fixtures.js';

const PONG = { kind: 'status', text: 'PONG' } as const;
const OK = { kind: 'status', text: 'OK' } as const;
const INFO = { kind: 'string', text: '# Server' } as const;

describe('respCheck', () => {
  it('passes with AUTH and SELECT quoted before PING', () => {
    const resp = session([['AUTH <redacted>', OK], ['SELECT 3', OK], ['PING', PONG], [INFO_COMMAND, INFO]]);
    expect(respCheck(resp)).toEqual({ status: 'pass', detail: 'AUTH +OK, SELECT 3 +OK, PING +PONG' });
  });

  it('fails on a refused SELECT although PING answered +PONG', () => {
    const resp = session([['SELECT 7', err(TEXT.dbOutOfRange)], ['PING', PONG], [INFO_COMMAND, INFO]]);
    expect(respCheck(resp)).toEqual({ status: 'fail', detail: 'SELECT 7 -ERR DB index is out of range' });
  });

  it('names the failed AUTH, not the SELECT it left unauthenticated', () => {
    const resp = session([['AUTH <redacted>', err(TEXT.wrongpass)], ['SELECT 7', err(TEXT.noauth)], ['PING', err(TEXT.noauth)]]);
    expect(respCheck(resp)).toEqual({ status: 'fail', detail: `AUTH -${TEXT.wrongpass}` });
  });

  it('keeps a session without SELECT as before', () => {
    expect(respCheck(session([['PING', PONG], [INFO_COMMAND, INFO]]))).toEqual({ status: 'pass', detail: 'PING +PONG' });
  });
});

describe('addressesCheck, routeCheck, variantsCheck', () => {
  it('lists every address in resolver order: warn when some fail, pass/fail when all agree', () => {
    const refusedV6 = { address: '::1', family: 6, ok: false, code: 'ECONNREFUSED', durationMs: 1 } as const;
    const okV4 = { address: '127.0.0.1', family: 4, ok: true, durationMs: 1 } as const;
    expect(addressesCheck([refusedV6, okV4], 7602)).toEqual({ status: 'warn', detail: '[::1]:7602 ECONNREFUSED; 127.0.0.1:7602 connected' });
    expect(addressesCheck([okV4, { ...okV4, address: '::1', family: 6 }], 7602).status).toBe('pass');
    expect(addressesCheck([refusedV6, { ...refusedV6, address: '127.0.0.1', family: 4 }], 7602).status).toBe('fail');
  });

  it('quotes the kernel and the main table for a route lookup', () => {
    expect(routeCheck({ address: '10.0.0.5', range: '10.0.0.0/8 (RFC 1918)', ok: false, code: 'ENETUNREACH', tableRead: true, durationMs: 1 }))
      .toEqual({ status: 'fail', detail: 'kernel refuses 10.0.0.5: ENETUNREACH; main table: no route' });
    expect(routeCheck({ address: '10.0.0.5', range: 'x', ok: true, source: '192.0.2.10', tableRead: true, matched: { prefix: '0.0.0.0/0', defaultRoute: true, reject: false }, durationMs: 1 }))
      .toEqual({ status: 'pass', detail: 'kernel routes 10.0.0.5 from 192.0.2.10; main table: route 0.0.0.0/0' });
  });

  it('names each TLS variant and its outcome', () => {
    expect(variantsCheck([
      { kind: 'no-sni', ok: false, code: 'ERR_SSL_TLSV1_UNRECOGNIZED_NAME', durationMs: 1 },
      { kind: 'tls12', ok: true, protocol: 'TLSv1.2', durationMs: 1 },
    ])).toEqual({ status: 'warn', detail: 'no SNI: ERR_SSL_TLSV1_UNRECOGNIZED_NAME; TLS 1.2 at most: handshake ok (TLSv1.2)' });
  });
});

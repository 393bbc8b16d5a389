import { describe, expect, it } from 'vitest';
import { respCheck } from '../../src/engine/pipeline/check-details.js';
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

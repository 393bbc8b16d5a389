import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/acl-denied.js';
import { err, healthy, INFO_COMMAND, session, TEXT } from '../fixtures.js';

describe('acl-denied', () => {
  it('is critical when PING is denied, and grants exactly that', () => {
    const obs = healthy();
    obs.client = { ...obs.client, authProvided: true, user: 'app' };
    obs.resp = session([
      ['AUTH app <redacted>', { kind: 'status', text: 'OK' }],
      ['PING', err(TEXT.nopermPing)],
      [INFO_COMMAND, err(TEXT.nopermInfo)],
    ]);
    delete obs.info;
    const f = rule.evaluate(obs);
    expect(f?.cause).toBe('acl-denied');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('ACL user "app" may not run PING');
    expect(f?.evidence).toEqual([`PING → -${TEXT.nopermPing}`, `INFO → -${TEXT.nopermInfo}`]);
    expect(f?.remediations.map((r) => r.id)).toEqual(['grant-acl-permissions']);
    expect(f?.remediations[0]?.steps.join('\n')).toContain('ACL SETUSER app +ping');
    expect(f?.details).toEqual({ user: 'app', commands: 'ping,info' });
  });

  it('is only info when just INFO is denied (least-privilege users)', () => {
    const obs = healthy();
    obs.resp = session([
      ['PING', { kind: 'status', text: 'PONG' }],
      [INFO_COMMAND, err(TEXT.nopermInfo)],
    ]);
    const f = rule.evaluate(obs);
    expect(f?.severity).toBe('info');
    expect(f?.title).toBe('ACL user "default" may not run INFO: this diagnosis sees less of the server');
  });

  it('does not fire without -NOPERM', () => {
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});

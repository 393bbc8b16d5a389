import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/max-clients-reached.js';
import { err, healthy, session, TEXT } from '../fixtures.js';

describe('max-clients-reached', () => {
  it('fires on the greeting Redis sends when every slot is taken', () => {
    const obs = healthy();
    obs.resp = session([['PING', undefined]], { greeting: err(TEXT.maxClients), closedByServer: true });
    delete obs.info;
    const f = rule.evaluate(obs);
    expect(f?.cause).toBe('max-clients-reached');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('Redis refuses new clients: all client slots are taken');
    expect(f?.evidence).toEqual(['server sent on connect: -ERR max number of clients reached']);
    expect(f?.remediations.map((r) => r.id)).toEqual(['raise-maxclients', 'find-client-leak', 'set-idle-timeout', 'raise-nofile-limit']);
    const raise = f!.remediations[0]!;
    expect(raise.mode).toBe('automatic');
    expect(raise.redisCommand).toEqual(['CONFIG', 'SET', 'maxclients', '10000']);
  });

  it('puts the open-files limit first when maxclients shows the ulimit cut', () => {
    const obs = healthy();
    obs.info!.sections['clients'] = { connected_clients: '992', maxclients: '992' };
    obs.resp = session([['PING', err(TEXT.maxClients)]]);
    const f = rule.evaluate(obs);
    expect(f?.title).toBe('Redis refuses new clients: all 992 client slots are taken');
    expect(f?.evidence[1]).toBe('connected_clients:992 maxclients:992');
    expect(f?.remediations.map((r) => r.id)[0]).toBe('raise-nofile-limit');
  });

  it('does not fire on a healthy session', () => {
    expect(rule.evaluate(healthy())).toBeUndefined();
  });
});

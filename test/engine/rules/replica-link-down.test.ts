import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/replica-link-down.js';
import { err, healthy, INFO_COMMAND, session, TEXT, withInfo } from '../fixtures.js';

const REPLICA = { role: 'slave', master_host: '10.0.0.4', master_port: '6379', master_link_status: 'down', master_link_down_since_seconds: '42', master_sync_in_progress: '0' };

describe('replica-link-down', () => {
  it('warns on a replica serving stale data, quoting INFO replication', () => {
    const f = rule.evaluate(withInfo(healthy(), { replication: REPLICA }));
    expect(f?.cause).toBe('replica-link-down');
    expect(f?.severity).toBe('warning');
    expect(f?.title).toBe('Replica lost its link to 10.0.0.4:6379 for 42 s and serves stale data');
    expect(f?.evidence).toEqual(['role:slave master_host:10.0.0.4 master_port:6379 master_link_status:down master_link_down_since_seconds:42 master_sync_in_progress:0']);
    expect(f?.remediations.map((r) => r.id)).toEqual(['fix-replica-link', 'promote-replica']);
    expect(f?.remediations[0]?.steps[0]).toContain('redis-cli -h 10.0.0.4 -p 6379 PING');
    expect(f?.details).toEqual({ masterHost: '10.0.0.4', masterPort: 6379, downSinceSeconds: 42 });
  });

  it('is critical on -MASTERDOWN and explains a link that never came up', () => {
    const obs = withInfo(healthy(), { replication: { ...REPLICA, master_link_down_since_seconds: '-1' } });
    obs.resp = session([
      ['PING', err(TEXT.masterdown)],
      [INFO_COMMAND, { kind: 'string', text: '# Replication' }],
    ]);
    const f = rule.evaluate(obs);
    expect(f?.severity).toBe('critical');
    expect(f?.title).toBe('Replica refuses commands: its link to 10.0.0.4:6379 is down');
    expect(f?.evidence[0]).toBe(`PING → -${TEXT.masterdown}`);
    expect(f?.evidence[2]).toBe('master_link_down_since_seconds:-1: the link has not come up since the replica started');
  });

  it('does not fire on a primary or a replica whose link is up', () => {
    expect(rule.evaluate(healthy())).toBeUndefined();
    expect(rule.evaluate(withInfo(healthy(), { replication: { ...REPLICA, master_link_status: 'up' } }))).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/write-to-replica.js';
import { clusterObs, refusedNode, replicaObs, staleTargetObs } from '../topology-fixtures.js';
import { healthy } from '../fixtures.js';

describe('write-to-replica', () => {
  it('a writer on a replica: critical, confirmed, -READONLY quoted, the followed primary named', () => {
    const f = rule.evaluate(replicaObs('write'));
    expect(f).toMatchObject({ cause: 'write-to-replica', severity: 'critical', confidence: 'confirmed' });
    expect(f?.title).toBe('Writes fail: 10.0.0.5:6379 is a replica of 10.0.0.4:6379 (-READONLY)');
    expect(f?.evidence).toEqual([
      'role:slave master_host:10.0.0.4 master_port:6379 master_link_status:up slave_read_only:1',
      "writes get -READONLY You can't write against a read only replica. (replica-read-only yes); reads are served",
      'followed 10.0.0.4:6379: role:master — the primary now',
    ]);
    expect(f?.remediations.map((r) => r.id)).toEqual(['use-primary-address']);
    expect(f?.remediations[0]?.steps[1]).toContain('redis://10.0.0.4:6379');
    expect(f?.details).toEqual({ masterHost: '10.0.0.4', masterPort: 6379, readOnly: true, access: 'write', primaryNow: '10.0.0.4:6379' });
  });

  it('a primary the follow policy refused: named as not followed, nothing sent there', () => {
    const obs = replicaObs('write');
    obs.topology!.followed = [];
    obs.topology!.notFollowed = [{ via: 'replica-primary', host: '10.0.0.4', port: 6379, reason: 'outside the allowed networks' }];
    obs.topology!.notFollowedCount = 1;
    expect(rule.evaluate(obs)?.evidence.at(-1)).toBe('not followed: 10.0.0.4:6379 (outside the allowed networks); nothing was sent there');
  });

  it('client unknown: a warning, only possible; a reader: info', () => {
    expect(rule.evaluate(replicaObs())).toMatchObject({ severity: 'warning', confidence: 'possible' });
    expect(rule.evaluate(replicaObs())?.evidence.at(-1)).toMatch(/set clientAccess \(read or write\)/);
    expect(rule.evaluate(replicaObs('read'))).toMatchObject({ severity: 'info', confidence: 'confirmed', title: '10.0.0.5:6379 is a replica of 10.0.0.4:6379: fine for reading' });
  });

  it('replica-read-only no: writes are lost, a warning whatever the client', () => {
    const obs = replicaObs('write');
    obs.info!.sections['replication']!['slave_read_only'] = '0';
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'warning', confidence: 'confirmed', title: '10.0.0.5:6379 is a writable replica of 10.0.0.4:6379: writes sent here are lost' });
  });

  it('names the primary the Sentinels name, and says when the followed primary does not connect', () => {
    const stale = rule.evaluate(staleTargetObs());
    expect(stale?.evidence).toContain('Sentinel 10.0.0.9:26379 names 10.0.0.6:6379 as the primary of "mymaster"');
    expect(stale?.remediations.map((r) => r.id)).toEqual(['use-primary-address', 'use-sentinel-client']);
    const obs = replicaObs('write');
    obs.topology!.followed = [refusedNode('replica-primary', '10.0.0.4', 6379)];
    expect(rule.evaluate(obs)?.evidence.at(-1)).toBe('followed 10.0.0.4:6379: refused (ECONNREFUSED): nothing listens at that address from here');
  });

  it('does not fire on a primary, or on a cluster replica (it redirects writes with -MOVED)', () => {
    expect(rule.evaluate(healthy())).toBeUndefined();
    const cluster = clusterObs();
    cluster.topology!.role = 'slave';
    expect(rule.evaluate(cluster)).toBeUndefined();
  });
});

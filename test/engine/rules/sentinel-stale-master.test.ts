import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/sentinel-stale-master.js';
import { node, replicaObs, sentinelObs, staleTargetObs } from '../topology-fixtures.js';

describe('sentinel-stale-master', () => {
  it('a target configured for mymaster that is not the primary the Sentinels name: critical, confirmed', () => {
    const f = rule.evaluate(staleTargetObs());
    expect(f).toMatchObject({ cause: 'sentinel-stale-master', severity: 'critical', confidence: 'confirmed', details: { reason: 'stale-target', master: 'mymaster', namedPrimary: '10.0.0.6:6379' } });
    expect(f?.title).toBe('10.0.0.5:6379 is not the primary of "mymaster": the Sentinels name 10.0.0.6:6379');
    expect(f?.evidence).toEqual([
      'Sentinel 10.0.0.9:26379 names 10.0.0.6:6379 as the primary of "mymaster"',
      '10.0.0.5:6379 answers role:slave (replica of 10.0.0.6:6379): a failover moved the primary, and the client still points at the old one',
    ]);
    expect(f?.remediations.map((r) => r.id)).toEqual(['use-primary-address', 'use-sentinel-client']);
    expect(f?.remediations[1]?.steps.join('\n')).toContain("Sentinel([('10.0.0.9', 26379)], socket_timeout=0.5).master_for('mymaster'");
  });

  it('the primary a Sentinel target names answers as a replica: its view is stale', () => {
    const obs = sentinelObs();
    obs.topology!.primary!.observations.info!.sections['replication'] = { role: 'slave', master_host: '10.0.0.6', master_port: '6379' };
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'critical', details: { reason: 'named-primary-is-replica' } });
    expect(f?.title).toBe('The primary Sentinel names for "mymaster", 10.0.0.5:6379, is a replica');
  });

  it('the Sentinels disagree', () => {
    const obs = sentinelObs();
    obs.topology!.followed.push(node('sentinel-peer', '10.0.0.10', 26379, { masterAddr: { host: '10.0.0.6', port: 6379 } }));
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'critical', details: { reason: 'sentinels-disagree' } });
    expect(f?.evidence).toContain('Sentinel 10.0.0.10:26379 names 10.0.0.6:6379, Sentinel 10.0.0.9:26379 names 10.0.0.5:6379');
  });

  it('CKQUORUM refused: a warning (no failover possible), the -NOQUORUM text quoted', () => {
    const obs = sentinelObs();
    obs.topology!.sentinel!.ckquorum = { ok: false, text: '-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the majority and authorize a failover' };
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'warning', confidence: 'confirmed', details: { reason: 'no-quorum' } });
    expect(f?.evidence[0]).toBe('SENTINEL CKQUORUM mymaster → -NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the majority and authorize a failover');
    expect(f?.remediations.map((r) => r.id)).toEqual(['repair-sentinel-quorum']);
  });

  it('does not fire when the target is the named primary, on a healthy Sentinel target, or without a Sentinel', () => {
    const obs = staleTargetObs();
    obs.topology!.discovery!.hellos[0]!.masterHost = '10.0.0.5';
    obs.topology!.followed[1]!.masterAddr = { host: '10.0.0.5', port: 6379 };
    expect(rule.evaluate(obs)).toBeUndefined();
    expect(rule.evaluate(sentinelObs())).toBeUndefined();
    expect(rule.evaluate(replicaObs())).toBeUndefined();
  });
});

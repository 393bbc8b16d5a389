import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/not-enough-replicas.js';
import { noReplicasObs } from '../topology-fixtures.js';
import { healthy, withInfo } from '../fixtures.js';

describe('not-enough-replicas', () => {
  it('0 good replicas, min-replicas-to-write 1: critical, confirmed, both settings quoted, an automatic stop-gap offered', () => {
    const f = rule.evaluate(noReplicasObs());
    expect(f).toMatchObject({ cause: 'not-enough-replicas', severity: 'critical', confidence: 'confirmed' });
    expect(f?.title).toBe('Writes are refused on 10.0.0.5:6379: 0 good replicas, min-replicas-to-write 1 (-NOREPLICAS)');
    expect(f?.evidence).toEqual([
      'role:master connected_slaves:0 min_slaves_good_slaves:0',
      'CONFIG GET min-replicas-* → min-replicas-to-write:1 min-replicas-max-lag:10',
      'no replica is connected',
      'every write gets -NOREPLICAS Not enough good replicas to write.; reads are served',
    ]);
    const lower = f?.remediations[1];
    expect(lower).toMatchObject({ id: 'lower-min-replicas', mode: 'automatic', risk: 'high', redisCommand: ['CONFIG', 'SET', 'min-replicas-to-write', '0'] });
    expect(f?.details).toEqual({ goodReplicas: 0, minReplicasToWrite: 1, minReplicasMaxLag: 10 });
  });

  it('without CONFIG: 0 good replicas is still below any setting (confirmed); no automatic fix without the value', () => {
    const f = rule.evaluate(noReplicasObs(false));
    expect(f).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { goodReplicas: 0 } });
    expect(f?.remediations.map((r) => r.id)).toEqual(['restore-replicas']);
  });

  it('does not fire with enough good replicas, with an unknown setting and some good replicas, or without min-replicas', () => {
    const enough = noReplicasObs();
    enough.info!.sections['replication']!['min_slaves_good_slaves'] = '1';
    expect(rule.evaluate(enough)).toBeUndefined();
    const unknown = noReplicasObs(false);
    unknown.info!.sections['replication']!['min_slaves_good_slaves'] = '2';
    expect(rule.evaluate(unknown)).toBeUndefined();
    expect(rule.evaluate(withInfo(healthy(), { replication: { role: 'master', connected_slaves: '0' } }))).toBeUndefined();
  });
});

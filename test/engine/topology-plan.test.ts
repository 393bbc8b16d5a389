/**
 * The follow-up round trip is planned from INFO alone: none for a healthy
 * standalone primary (the fast path stays one round trip), and the
 * read-only commands each kind of target needs otherwise.
 */
import { describe, expect, it } from 'vitest';
import { classify, planFollowUp, topologyCheck } from '../../src/engine/pipeline/topology-plan.js';
import { absorbFollowUp, commandChecks } from '../../src/engine/pipeline/topology-absorb.js';
import type { TopologyObservation } from '../../src/engine/model/types.js';
import { healthy, withInfo } from './fixtures.js';
import { clusterObs, noReplicasObs, replicaObs, sentinelObs, topology } from './topology-fixtures.js';

const labels = (obs: Parameters<typeof planFollowUp>[0], topo: Pick<TopologyObservation, 'kind' | 'expected'>) => planFollowUp(obs, topo).map((c) => c.label);

describe('topology plan', () => {
  it('a healthy standalone primary, and a replica: no follow-up at all', () => {
    expect(classify(healthy())).toEqual({ kind: 'standalone', role: 'master', source: 'info' });
    expect(labels(healthy(), { kind: 'standalone', expected: {} })).toEqual([]);
    expect(labels(replicaObs(), { kind: 'standalone', expected: {} })).toEqual([]);
  });

  it('a Sentinel: SENTINEL MASTERS, and the master\'s details when it is named', () => {
    const obs = sentinelObs();
    expect(classify(obs)).toEqual({ kind: 'sentinel', role: 'sentinel', source: 'info' });
    expect(labels(obs, { kind: 'sentinel', expected: {} })).toEqual(['SENTINEL MASTERS']);
    expect(labels(obs, { kind: 'sentinel', expected: { sentinelMaster: 'mymaster' } })).toEqual([
      'SENTINEL MASTERS', 'SENTINEL GET-MASTER-ADDR-BY-NAME mymaster', 'SENTINEL REPLICAS mymaster', 'SENTINEL SENTINELS mymaster', 'SENTINEL CKQUORUM mymaster',
    ]);
  });

  it('a cluster node: CLUSTER INFO, SHARDS (SLOTS before 7.0), NODES, CONFIG GET cluster-*, three key lookups', () => {
    const obs = clusterObs();
    expect(labels(obs, { kind: 'cluster', expected: {} })).toEqual([
      'CLUSTER INFO', 'CLUSTER SHARDS', 'CLUSTER NODES', 'CONFIG GET cluster-*', 'EXISTS redis-doctor:slot:c', 'EXISTS redis-doctor:slot:b', 'EXISTS redis-doctor:slot:d',
    ]);
    obs.info!.sections['server']!['redis_version'] = '6.2.14';
    expect(labels(obs, { kind: 'cluster', expected: {} })[1]).toBe('CLUSTER SLOTS');
  });

  it('min-replicas set, a Sentinel name on a data node, a cluster client on standalone, INFO refused: one command each', () => {
    expect(labels(noReplicasObs(), { kind: 'standalone', expected: {} })).toEqual(['CONFIG GET min-replicas-*']);
    expect(planFollowUp(healthy(), { kind: 'standalone', expected: { sentinelMaster: 'm', cluster: true } }).map((c) => [c.label, c.purpose])).toEqual([
      ['SENTINEL GET-MASTER-ADDR-BY-NAME m', 'quote'], ['CLUSTER SHARDS', 'quote'],
    ]);
    const noInfo = healthy();
    delete noInfo.info;
    expect(labels(noInfo, { kind: 'unknown', expected: {} })).toEqual(['ROLE']);
  });

  it('absorbs the replies: ROLE fills the role; one check per command family, errors as warn, quotes as fail', () => {
    const obs = withInfo(healthy(), {});
    delete obs.info;
    const topo = topology('unknown', { source: 'none' });
    const plan = planFollowUp(obs, topo);
    absorbFollowUp(topo, plan, { replies: [{ command: 'ROLE', durationMs: 1, reply: { kind: 'array', text: 'master 0', items: [{ kind: 'string', text: 'master' }, { kind: 'integer', text: '0' }] } }], timedOut: false, closed: false, nonResp: false });
    expect(topo).toMatchObject({ role: 'master', source: 'role', roleReply: 'master 0' });
    expect(topologyCheck(obs, topo)).toEqual({ status: 'pass', detail: 'primary (ROLE; INFO did not answer)' });

    const quoted = topology('standalone', { role: 'master', expected: { cluster: true } });
    const qplan = planFollowUp(healthy(), quoted);
    absorbFollowUp(quoted, qplan, { replies: [{ command: 'CLUSTER SHARDS', durationMs: 1, reply: { kind: 'error', text: 'ERR This instance has cluster support disabled' } }], timedOut: false, closed: false, nonResp: false });
    expect(commandChecks(quoted)).toEqual([{ id: 'cluster-shards', outcome: { status: 'fail', detail: 'CLUSTER SHARDS -ERR This instance has cluster support disabled' }, durationMs: 1 }]);

    const late = topology('cluster', { role: 'master' });
    absorbFollowUp(late, planFollowUp(clusterObs(), late), { replies: [], timedOut: true, closed: false, nonResp: false });
    expect(commandChecks(late)[0]).toEqual({ id: 'cluster-info', outcome: { status: 'fail', detail: 'no reply before the timeout' }, durationMs: 0 });
    expect(topologyCheck(clusterObs(), late).status).toBe('warn');
  });
});

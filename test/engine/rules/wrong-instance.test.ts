import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/wrong-instance.js';
import { clusterObs, IDS, sentinelObs, staleTargetObs } from '../topology-fixtures.js';
import { healthy, passwordWithoutRequirepass, TEXT } from '../fixtures.js';

describe('wrong-instance', () => {
  it('a password sent to a server without one: a warning, only possible, both readings said', () => {
    const f = rule.evaluate(passwordWithoutRequirepass());
    expect(f).toMatchObject({ cause: 'wrong-instance', severity: 'warning', confidence: 'possible', details: { reason: 'no-password-configured' } });
    expect(f?.evidence[0]).toBe(`AUTH <redacted> → -${TEXT.noPasswordConfigured}`);
    expect(f?.remediations.map((r) => r.id)).toEqual(['identify-instance', 'stop-sending-password', 'set-requirepass']);
  });

  it('a data node where a Sentinel was configured: critical, confirmed, the Sentinels it heard named', () => {
    const f = rule.evaluate(staleTargetObs());
    expect(f).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { reason: 'not-a-sentinel', master: 'mymaster', sentinel: '10.0.0.9:26379' } });
    expect(f?.evidence[1]).toBe("SENTINEL GET-MASTER-ADDR-BY-NAME mymaster → -ERR unknown command 'SENTINEL', with args beginning with: 'GET-MASTER-ADDR-BY-NAME' 'mymaster' ");
    expect(f?.evidence[2]).toBe('Sentinels monitoring it for "mymaster" (their hello messages): 10.0.0.9:26379');
  });

  it('a Sentinel that knows no master of the configured name: critical, confirmed', () => {
    const obs = sentinelObs('nosuch');
    obs.topology!.sentinel!.masterAddr = null;
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { reason: 'unknown-master', master: 'nosuch' } });
    expect(f?.evidence).toContain('it monitors: mymaster (10.0.0.5:6379)');
  });

  it('another node at an address CLUSTER SHARDS hands out (CLUSTER MYID differs): critical, confirmed', () => {
    const obs = clusterObs();
    obs.topology!.followed[0]!.myId = IDS.c;
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { reason: 'node-id-mismatch', address: '10.0.0.5:7001' } });
  });

  it('the primary a Sentinel names answers with another run_id: likely', () => {
    const obs = sentinelObs();
    obs.topology!.primary!.observations.info!.sections['server']!['run_id'] = 'd'.repeat(40);
    expect(rule.evaluate(obs)).toMatchObject({ severity: 'critical', confidence: 'likely', details: { reason: 'run-id-mismatch' } });
  });

  it('a Sentinel with no master name configured, and a server on another port than connected to: info, possible', () => {
    expect(rule.evaluate(sentinelObs(null))).toMatchObject({ severity: 'info', confidence: 'possible', details: { reason: 'sentinel-not-data-node' } });
    const mapped = healthy();
    mapped.info!.sections['server']!['tcp_port'] = '6380';
    expect(rule.evaluate(mapped)).toMatchObject({ severity: 'info', confidence: 'possible', details: { reason: 'port-mismatch', serverPort: 6380 } });
  });

  it('does not fire on a healthy server, a healthy cluster node, or a healthy Sentinel target', () => {
    expect(rule.evaluate(healthy())).toBeUndefined();
    expect(rule.evaluate(clusterObs())).toBeUndefined();
    expect(rule.evaluate(sentinelObs())).toBeUndefined();
    // No password on a Sentinel target: the password is for the data nodes.
    const sentinel = sentinelObs();
    sentinel.resp = passwordWithoutRequirepass().resp!;
    expect(rule.evaluate(sentinel)).toBeUndefined();
  });
});

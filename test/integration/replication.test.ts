/**
 * A primary and its replica, and servers in the states the topology rules
 * read: a replica targeted by a writer, min-replicas-to-write with the
 * replica stopped (with CONFIG available, and renamed away as managed
 * services do), a password sent to a server without one, INFO renamed, a
 * cluster client pointed at a standalone server. Real redis-server on loopback.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import type { Diagnosis } from '../../src/engine/model/types.js';
import { describeLab, need } from '../lab/guard.js';
import { pollUntil } from '../lab/poll.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { startPrimary, startReplica } from '../lab/topology.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';

const check = (d: Diagnosis, id: string) => d.checks.find((c) => c.id === id);

/** A primary with min-replicas-to-write 1 whose one replica was stopped (the server itself refuses a write). */
async function primaryWithoutReplicas(args: string[] = []): Promise<RedisServer> {
  const primary = await startPrimary({ args: ['--min-replicas-to-write', '1', ...args] });
  try {
    const replica = await startReplica(primary);
    await replica.stop({ graceMs: 0 });
    await pollUntil(async () => (/min_slaves_good_slaves:0/.test(await primary.cli('INFO', 'replication')) ? true : undefined), { what: 'no good replica left', timeoutMs: 5000 });
    const reply = await primary.cli('SET', 'lab:probe', 'x');
    if (!reply.startsWith('NOREPLICAS')) throw new Error(`expected -NOREPLICAS, got ${reply}`);
    return primary;
  } catch (error) {
    await primary.stop();
    throw error;
  }
}

describeLab('replication and instance checks', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  let primary: RedisServer;
  let replica: RedisServer;
  beforeAll(async () => {
    primary = await startPrimary();
    replica = await startReplica(primary);
  }, 20_000);
  afterAll(async () => {
    await Promise.all([replica?.stop({ graceMs: 0 }), primary?.stop({ graceMs: 0 })]);
  });

  it('a replica targeted by a writer → write-to-replica, critical, confirmed; the primary followed', async () => {
    const d = await diagnose(targetOf(replica.host, replica.port), { timeoutMs: 1000, topology: { access: 'write' } });
    expectDiagnosis(d, { primaryCause: 'write-to-replica', verdict: 'degraded', evidence: /writes get -READONLY You can't write against a read only replica\./ });
    const f = d.findings[0]!;
    expect(f).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { masterHost: '127.0.0.1', masterPort: primary.port, readOnly: true, primaryNow: `127.0.0.1:${primary.port}` } });
    expect(f.evidence[0]).toBe(`role:slave master_host:127.0.0.1 master_port:${primary.port} master_link_status:up slave_read_only:1`);
    expect(f.evidence).toContain(`followed 127.0.0.1:${primary.port}: role:master — the primary now`);
    expect(check(d, 'topology')?.detail).toBe(`standalone replica of 127.0.0.1:${primary.port} (INFO redis_mode:standalone, role:slave)`);
    expect(check(d, 'topology-follow')).toMatchObject({ status: 'pass', detail: '1 of 1 node answers' });
  });

  it('the same replica, client unknown: a warning that is only possible; for a reader: info', async () => {
    const unknown = await diagnose(targetOf(replica.host, replica.port), { timeoutMs: 1000 });
    expectDiagnosis(unknown, { primaryCause: 'write-to-replica', verdict: 'degraded' });
    expect(unknown.findings[0]).toMatchObject({ severity: 'warning', confidence: 'possible' });
    const reader = await diagnose(targetOf(replica.host, replica.port), { timeoutMs: 1000, topology: { access: 'read' } });
    expectDiagnosis(reader, { primaryCause: null, verdict: 'healthy' });
    expect(reader.findings.map((x) => [x.cause, x.severity])).toEqual([['write-to-replica', 'info']]);
  });

  it('a healthy standalone primary: no follow-up round trip, no follow hop', async () => {
    const d = await diagnose(targetOf(primary.host, primary.port), { timeoutMs: 1000 });
    expectDiagnosis(d, { primaryCause: null, verdict: 'healthy' });
    expect(d.checks.map((c) => c.id)).toEqual(['dns', 'tcp-connect', 'redis-handshake', 'info', 'latency-sample', 'slowlog', 'latency-monitor', 'client-list', 'connection-rate', 'topology']);
    expect(check(d, 'topology')).toMatchObject({ status: 'pass', durationMs: 0, detail: 'standalone primary (INFO redis_mode:standalone, role:master)' });
  });

  it('a cluster client pointed at a standalone server → cluster-client-required, confirmed by the server reply', async () => {
    const d = await diagnose(targetOf(primary.host, primary.port), { timeoutMs: 1000, topology: { cluster: true } });
    expectDiagnosis(d, { primaryCause: 'cluster-client-required', verdict: 'unreachable', evidence: /CLUSTER SHARDS → -ERR This instance has cluster support disabled/ });
    expect(d.findings[0]).toMatchObject({ confidence: 'confirmed', details: { reason: 'cluster-client-on-standalone' } });
  });
});

describeLab('min-replicas-to-write', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  let open: RedisServer;
  let managed: RedisServer;
  beforeAll(async () => {
    [open, managed] = await Promise.all([primaryWithoutReplicas(), primaryWithoutReplicas(['--rename-command', 'CONFIG', ''])]);
  }, 20_000);
  afterAll(async () => {
    await Promise.all([open?.stop({ graceMs: 0 }), managed?.stop({ graceMs: 0 })]);
  });

  it('min-replicas-to-write 1, the replica stopped → not-enough-replicas, confirmed, the setting quoted', async () => {
    const d = await diagnose(targetOf(open.host, open.port), { timeoutMs: 1000 });
    expectDiagnosis(d, { primaryCause: 'not-enough-replicas', verdict: 'degraded', evidence: /CONFIG GET min-replicas-\* → min-replicas-to-write:1 min-replicas-max-lag:10/ });
    expect(d.findings[0]).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { goodReplicas: 0, minReplicasToWrite: 1 } });
    expect(d.findings[0]?.evidence).toContain('every write gets -NOREPLICAS Not enough good replicas to write.; reads are served');
    expect(d.findings[0]?.remediations.map((r) => [r.id, r.mode])).toEqual([['restore-replicas', 'guided'], ['lower-min-replicas', 'automatic']]);
    expect(check(d, 'min-replicas')).toMatchObject({ status: 'pass', detail: 'min-replicas-to-write:1 min-replicas-max-lag:10' });
  });

  it('the same with CONFIG renamed away → still not-enough-replicas, confirmed; commands-restricted says what could not be read', async () => {
    const d = await diagnose(targetOf(managed.host, managed.port), { timeoutMs: 1000 });
    expectDiagnosis(d, { primaryCause: 'not-enough-replicas', verdict: 'degraded', evidence: /its value could not be read \(CONFIG GET refused\)/ });
    expect(d.findings[0]).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { goodReplicas: 0 } });
    const restricted = d.findings.find((f) => f.cause === 'commands-restricted');
    expect(restricted).toMatchObject({ severity: 'info', confidence: 'confirmed', details: { commands: 'CONFIG', missing: 'min-replicas-to-write and min-replicas-max-lag; the idle settings (timeout, tcp-keepalive) that decide whether idle pooled connections are closed' } });
    expect(restricted?.evidence[0]).toBe("CONFIG GET min-replicas-* → -ERR unknown command 'CONFIG', with args beginning with: 'GET' 'min-replicas-*'");
    expect(check(d, 'min-replicas')?.status).toBe('warn');
  });
});

describeLab('the instance that answers', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  let plain: RedisServer;
  let noInfo: RedisServer;
  beforeAll(async () => {
    [plain, noInfo] = await Promise.all([startRedis(), startRedis({ args: ['--rename-command', 'INFO', ''] })]);
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), noInfo?.stop()]);
  });

  it('AUTH sent to a server without a password → wrong-instance, possible; auth-failed does not report it', async () => {
    const d = await diagnose(targetOf(plain.host, plain.port), { timeoutMs: 1000, credentials: { password: 'meant-for-another-1' } });
    expectDiagnosis(d, { primaryCause: 'wrong-instance', verdict: 'degraded', evidence: /AUTH <redacted> → -ERR AUTH <password> called without any password configured for the default user\. Are you sure your configuration is correct\?/ });
    expect(d.findings.map((f) => [f.cause, f.severity, f.confidence])).toEqual([['wrong-instance', 'warning', 'possible']]);
    expect(d.findings[0]?.evidence.join('\n')).toMatch(new RegExp(`the server that answered: redis_mode:standalone run_id:[0-9a-f]{40} tcp_port:${plain.port}`));
    expect(JSON.stringify(d)).not.toContain('meant-for-another-1');
  });

  it('INFO renamed away: ROLE says what the server is; commands-restricted names INFO', async () => {
    const d = await diagnose(targetOf(noInfo.host, noInfo.port), { timeoutMs: 1000 });
    expectDiagnosis(d, { primaryCause: null, verdict: 'healthy' });
    expect(check(d, 'topology')?.detail).toBe('primary (ROLE; INFO did not answer)');
    expect(check(d, 'role')).toMatchObject({ status: 'pass' });
    expect(d.findings.map((f) => [f.cause, f.confidence, f.details?.['commands']])).toEqual([['commands-restricted', 'confirmed', 'INFO']]);
  });
});

/**
 * Sentinel, real processes on loopback: a primary, a replica and a Sentinel
 * (down-after-milliseconds 2000, its config in a temp dir), shared by the
 * cases in order: a healthy Sentinel target, a master name it does not know,
 * a replica that announces the address of a namespace where nothing listens,
 * then a failover after which the old primary is a replica and a target
 * pointing at it is stale.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import type { Diagnosis } from '../../src/engine/model/types.js';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { pollUntil } from '../lab/poll.js';
import type { RedisServer } from '../lab/redis.js';
import { sentinelPrimary, startPrimary, startReplica, startSentinel, waitForLink } from '../lab/topology.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';
import { ensureBuilt, runCli } from '../cli/helpers.js';
import { makeTempDir } from '../lab/tmp.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const check = (d: Diagnosis, id: string) => d.checks.find((c) => c.id === id);

describeLab('Sentinel', [need.binary('redis-server'), need.binary('redis-cli'), need.netns()], () => {
  let primary: RedisServer;
  let replica: RedisServer;
  let sentinel: RedisServer;
  let hidden: RedisServer | undefined;
  let ns: Netns;
  const servers = () => [hidden, sentinel, replica, primary];
  beforeAll(async () => {
    ns = await createNetns();
    primary = await startPrimary();
    replica = await startReplica(primary);
    sentinel = await startSentinel(primary, { masterName: 'mymaster' });
  }, 30_000);
  afterAll(async () => {
    await Promise.all(servers().map((s) => s?.stop({ graceMs: 0 })));
    await ns?.destroy();
  });
  const viaSentinel = (name = 'mymaster') => diagnose(targetOf(sentinel.host, sentinel.port), { timeoutMs: 1000, topology: { sentinelMaster: name } });

  it('a Sentinel target: the primary it names is diagnosed with the full probes, healthy', async () => {
    const d = await viaSentinel();
    expectDiagnosis(d, { primaryCause: null, verdict: 'healthy' });
    expect(d.findings).toEqual([]);
    expect(check(d, 'topology')?.detail).toBe('Sentinel (INFO redis_mode:sentinel), 1 master: mymaster');
    expect(check(d, 'sentinel-master')).toMatchObject({ status: 'pass', detail: `primary 127.0.0.1:${primary.port}` });
    expect(check(d, 'sentinel-ckquorum')?.detail).toBe('+OK 1 usable Sentinels. Quorum and failover authorization can be reached');
    expect(check(d, 'topology-follow')?.detail).toBe(`primary 127.0.0.1:${primary.port} of mymaster answers; 1 of 1 node answers`);
    expect(check(d, 'primary:redis-handshake')).toMatchObject({ status: 'pass', detail: 'PING +PONG' });
    expect(check(d, 'primary:topology')?.detail).toBe('standalone primary (INFO redis_mode:standalone, role:master)');
  });

  it('through the CLI: a config target with sentinelMaster is diagnosed as a Sentinel, its primary followed', async () => {
    ensureBuilt();
    const dir = makeTempDir('cfg');
    try {
      const config = join(dir.path, 'redis-doctor.yaml');
      await writeFile(config, `targets:\n  - name: sessions\n    url: redis://127.0.0.1:${sentinel.port}\n    sentinelMaster: mymaster\n    clientAccess: write\n`);
      const r = await runCli(['diagnose', 'sessions', '--config', config, '--json', '--timeout', '1000']);
      expect(r.code, r.stderr).toBe(0);
      const d = JSON.parse(r.stdout) as Diagnosis;
      expect(d).toMatchObject({ verdict: 'healthy', primaryCause: null, target: { input: 'sessions', name: 'sessions', port: sentinel.port } });
      expect(check(d, 'sentinel-master')?.detail).toBe(`primary 127.0.0.1:${primary.port}`);
      expect(check(d, 'primary:topology')?.detail).toBe('standalone primary (INFO redis_mode:standalone, role:master)');
    } finally {
      await dir.remove();
    }
  });

  it('a master name the Sentinel does not monitor → wrong-instance, confirmed', async () => {
    const d = await viaSentinel('nosuchmaster');
    expectDiagnosis(d, { primaryCause: 'wrong-instance', verdict: 'unreachable', evidence: /SENTINEL GET-MASTER-ADDR-BY-NAME nosuchmaster → \(null\)/ });
    expect(d.findings[0]).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { reason: 'unknown-master' } });
    expect(d.findings[0]?.evidence).toContain(`it monitors: mymaster (127.0.0.1:${primary.port})`);
  });

  it('a master whose address (in a namespace where nothing listens) does not connect → announced-address-unreachable, critical, confirmed', async () => {
    await sentinel.cli('SENTINEL', 'MONITOR', 'ghost', ns.nsAddress, '6379', '1');
    try {
      const d = await viaSentinel('ghost');
      expectDiagnosis(d, { primaryCause: 'announced-address-unreachable', verdict: 'unreachable', evidence: new RegExp(`SENTINEL GET-MASTER-ADDR-BY-NAME ghost → ${ns.nsAddress.replace(/\./g, '\\.')} 6379`) });
      expect(d.findings[0]).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { kind: 'sentinel-primary', addresses: `${ns.nsAddress}:6379` } });
      expect(d.findings[0]?.evidence).toContain(`TCP connect to ${ns.nsAddress}:6379 from here: ECONNREFUSED (refused)`);
      // The followed primary's own connection-refused is explained away, its checks kept.
      expect(d.findings.map((f) => f.cause)).not.toContain('connection-refused');
      expect(check(d, 'primary:tcp-connect')).toMatchObject({ status: 'fail', detail: 'ECONNREFUSED' });
    } finally {
      await sentinel.cli('SENTINEL', 'REMOVE', 'ghost');
    }
  });

  it('a replica announcing the address of a namespace where nothing listens → announced-address-unreachable, confirmed', async () => {
    hidden = await startReplica(primary, { args: ['--replica-announce-ip', ns.nsAddress] });
    const announced = `${ns.nsAddress}:${hidden.port}`;
    await pollUntil(async () => ((await sentinel.cli('SENTINEL', 'REPLICAS', 'mymaster')).includes(ns.nsAddress) ? true : undefined), { what: 'the Sentinel to list the announced replica', timeoutMs: 10_000 });
    // The finding quotes the primary's word for the replica too: wait until the primary lists it online (a loaded host lags here).
    await pollUntil(async () => (new RegExp(`ip=${ns.nsAddress.replace(/\./g, '\\.')},port=${hidden!.port},state=online`).test(await primary.cli('INFO', 'replication')) ? true : undefined), { what: 'the primary to list the announced replica online', timeoutMs: 10_000 });
    const d = await viaSentinel();
    expectDiagnosis(d, { primaryCause: 'announced-address-unreachable', verdict: 'degraded', evidence: new RegExp(`SENTINEL REPLICAS lists ${announced.replace(/\./g, '\\.')}`) });
    const f = d.findings[0]!;
    expect(f).toMatchObject({ severity: 'warning', confidence: 'confirmed', details: { addresses: announced, kind: 'replica' } });
    expect(f.evidence).toContain('from here: refused (ECONNREFUSED): nothing listens at that address from here');
    expect(f.evidence.join('\n')).toMatch(/the primary lists it as a connected replica \(state=online\)/);
    await hidden.stop({ graceMs: 0 });
    hidden = undefined;
  }, 30_000);

  it('after a failover the old primary is a replica: a target still pointing at it → sentinel-stale-master, confirmed', async () => {
    const before = `127.0.0.1:${primary.port}`;
    // The Sentinel must have fresh INFO from the replica before it can pick it (else -NOGOODSLAVE): retry a few times.
    await pollUntil(async () => ((await sentinel.cli('SENTINEL', 'FAILOVER', 'mymaster')) === 'OK' ? true : undefined), { what: 'SENTINEL FAILOVER to be accepted', timeoutMs: 5000, intervalMs: 250 });
    await pollUntil(async () => ((await sentinelPrimary(sentinel)) === `127.0.0.1:${replica.port}` ? true : undefined), { what: 'the Sentinel to name the replica', timeoutMs: 10_000 });
    await pollUntil(async () => (/^role:slave/m.test(await primary.cli('INFO', 'replication')) ? true : undefined), { what: 'the old primary to be reconfigured as a replica', timeoutMs: 15_000, intervalMs: 100 });
    await waitForLink(primary);

    const stale = await diagnose(targetOf(primary.host, primary.port), { timeoutMs: 1000, topology: { sentinelMaster: 'mymaster' } });
    expectDiagnosis(stale, { primaryCause: 'sentinel-stale-master', verdict: 'unreachable', evidence: new RegExp(`names 127\\.0\\.0\\.1:${replica.port} as the primary of "mymaster"`) });
    expect(stale.findings[0]).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { reason: 'stale-target', namedPrimary: `127.0.0.1:${replica.port}` } });
    expect(stale.findings[0]?.title).toBe(`${before} is not the primary of "mymaster": the Sentinels name 127.0.0.1:${replica.port}`);
    expect(stale.findings[0]?.evidence.join('\n')).toMatch(/answers role:slave \(replica of 127\.0\.0\.1:\d+\): a failover moved the primary/);
    expect(check(stale, 'sentinel-discovery')).toMatchObject({ status: 'pass' });
    expect(stale.findings.map((f) => f.cause)).toEqual(expect.arrayContaining(['wrong-instance', 'write-to-replica']));

    // The same old primary for a writer, without the Sentinel name: write-to-replica, the primary now named.
    const writer = await diagnose(targetOf(primary.host, primary.port), { timeoutMs: 1000, topology: { access: 'write' } });
    expectDiagnosis(writer, { primaryCause: 'write-to-replica', verdict: 'degraded', evidence: /writes get -READONLY You can't write against a read only replica\./ });
    expect(writer.findings[0]).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { primaryNow: `127.0.0.1:${replica.port}` } });

    // Through the Sentinel, clients get the new primary: healthy. The replica stopped in the
    // previous case is still remembered (s_down), which clients skip: an info note only.
    const d = await viaSentinel();
    expectDiagnosis(d, { primaryCause: null, verdict: 'healthy' });
    expect(check(d, 'sentinel-master')?.detail).toBe(`primary 127.0.0.1:${replica.port}`);
    expect(d.findings.map((f) => [f.cause, f.severity, f.details?.['kind']])).toEqual([['announced-address-unreachable', 'info', 'gone-replica']]);
  }, 45_000);
});

/**
 * How sure each finding is (INTERFACES.md section 2), for literal
 * observations: confirmed when a server reply or host evidence names the
 * cause, likely when inferred from the network alone with nothing else left
 * open, possible when the evidence leaves several explanations.
 */
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/engine/pipeline/evaluate.js';
import { RULES } from '../../src/engine/rules/index.js';
import type { CauseId, Confidence, Observations } from '../../src/engine/model/types.js';
import { refused, withInfo, healthy, passwordWithoutRequirepass, session } from './fixtures.js';
import { clusterObs, IDS, refusedNode, replicaObs } from './topology-fixtures.js';
import { SCENARIOS } from './scenarios.js';
import { listener, refusedWith, remote } from './rules/remote-fixtures.js';

const MB = 1024 * 1024;

function confidenceOf(obs: Observations, cause: CauseId): Confidence | undefined {
  return RULES.find((r) => r.cause === cause)!.evaluate(obs)?.confidence;
}

const EXPECTED: Record<string, Confidence> = {
  'dns-resolution-failed': 'confirmed',
  'connection-refused': 'confirmed',
  'connection-timeout': 'likely',
  'host-unreachable': 'confirmed',
  'tls-mismatch': 'confirmed',
  'tls-certificate-rejected': 'confirmed',
  'not-redis': 'confirmed',
  'wrong-port': 'confirmed',
  'bind-loopback-only': 'confirmed',
  'protected-mode': 'confirmed',
  'auth-required': 'confirmed',
  'auth-failed': 'confirmed',
  'acl-denied': 'confirmed',
  'max-clients-reached': 'confirmed',
  'loading-dataset': 'confirmed',
  'busy-script': 'confirmed',
  'memory-limit-reached': 'confirmed',
  'persistence-failing': 'confirmed',
  'replica-link-down': 'confirmed',
  'fd-limit-too-low': 'likely',
  'write-to-replica': 'confirmed',
  'not-enough-replicas': 'confirmed',
  'cluster-down': 'confirmed',
  'cluster-client-required': 'confirmed',
  'announced-address-unreachable': 'confirmed',
  'sentinel-stale-master': 'confirmed',
  'wrong-instance': 'confirmed',
  'commands-restricted': 'confirmed',
  'address-family-mismatch': 'confirmed',
  'address-not-routable': 'confirmed',
  'tls-client-compatibility': 'confirmed',
  'slow-commands': 'possible',
};

describe('confidence of each rule for literal observations', () => {
  it('every scenario has an expected confidence, and its finding carries it', () => {
    for (const [name, build] of Object.entries(SCENARIOS)) {
      if (name === 'healthy') continue;
      expect(EXPECTED[name], `expected confidence for ${name}`).toBeDefined();
      expect(confidenceOf(build(), name as CauseId), name).toBe(EXPECTED[name]);
    }
  });

  it('every finding of every scenario carries one of the three values', () => {
    for (const build of Object.values(SCENARIOS)) {
      for (const f of evaluate(build()).findings) expect(['confirmed', 'likely', 'possible']).toContain(f.confidence);
    }
  });

  it('likely where the network leaves the cause inferred', () => {
    const temporary = SCENARIOS['dns-resolution-failed']!();
    temporary.dns = { ...temporary.dns!, code: 'EAI_AGAIN' };
    expect(confidenceOf(temporary, 'dns-resolution-failed')).toBe('likely');

    // Accepted, then closed without a byte (what docker-proxy does): read as a refusal.
    const closed = healthy();
    delete closed.info;
    closed.resp = session([['PING', undefined]], { closedByServer: true, noReply: true });
    expect(confidenceOf(closed, 'connection-refused')).toBe('likely');

    const near = withInfo(healthy(), { memory: { used_memory: String(95 * MB), maxmemory: String(100 * MB), maxmemory_policy: 'noeviction' } });
    expect(confidenceOf(near, 'memory-limit-reached')).toBe('likely');
  });

  it('confirmed for the same causes when host evidence names them', () => {
    const fd = healthy();
    fd.info!.sections.clients!.maxclients = '992';
    fd.remote = remote({ listeners: [listener('0.0.0.0', 6379, 'redis-server', 812)], fileLimits: [{ pid: 812, soft: 1024, hard: 1024, line: 'Max open files 1024 1024 files' }] });
    expect(confidenceOf(fd, 'fd-limit-too-low')).toBe('confirmed');

    const notRunning = refusedWith(remote());
    expect(confidenceOf(notRunning, 'server-not-running')).toBe('confirmed');
  });

  it('topology: possible when the client is not known (a replica, a cluster node) or the evidence reads two ways; likely for silence', () => {
    expect(confidenceOf(replicaObs(), 'write-to-replica')).toBe('possible');
    expect(confidenceOf(clusterObs(), 'cluster-client-required')).toBe('possible');
    expect(confidenceOf(passwordWithoutRequirepass(), 'wrong-instance')).toBe('possible');
    const silent = clusterObs();
    silent.topology!.followed[1] = refusedNode('cluster-node', '10.0.0.5', 7002, { expectedId: IDS.c, connect: { ok: false, code: 'ETIMEDOUT', durationMs: 2000 } });
    expect(confidenceOf(silent, 'announced-address-unreachable')).toBe('likely');
    // A possible finding is listed after the confirmed ones and never primary next to them.
    const stale = replicaObs();
    stale.info!.sections['replication']!['master_link_status'] = 'down';
    expect(evaluate(stale).findings.map((f) => [f.cause, f.confidence])).toEqual([['replica-link-down', 'confirmed'], ['write-to-replica', 'possible']]);
  });

  it('possible for wrong-port from the neighbour scan alone, confirmed with the host behind it', () => {
    const obs = refused();
    obs.neighbours = { scanned: [6380], found: [{ port: 6380, redis: true, reply: '+PONG' }], durationMs: 3, truncated: false };
    expect(confidenceOf(obs, 'wrong-port')).toBe('possible');
    obs.remote = remote({ listeners: [listener('0.0.0.0', 6380, 'redis-server', 812)] });
    expect(confidenceOf(obs, 'wrong-port')).toBe('confirmed');
  });
});

import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/connection-churn.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import type { Observations } from '../../../src/engine/model/types.js';
import { healthy, withInfo } from '../fixtures.js';
import { listener, remote } from './remote-fixtures.js';

function withRate(before: number, after: number, windowMs: number): Observations {
  const obs = healthy();
  obs.connections = { before, after, windowMs };
  obs.clients = { total: 3, truncated: false, buffered: [], pubsubClients: 0, replicaClients: 0, sources: [{ source: '10.0.0.7', count: 2, idle: 0 }], idle: 0, idleSec: 10 };
  return withInfo(obs, { server: { uptime_in_seconds: '100' } });
}

describe('connection-churn', () => {
  it('many new connections over the sample: warning, likely, the rate; TIME_WAIT and port range over SSH', () => {
    const obs = withRate(1000, 1090, 300);
    obs.remote = remote({ listeners: [listener('0.0.0.0', 6379, 'redis-server', 812)], hostTuning: { portRange: [32768, 60999], timeWait: [{ port: 6379, count: 14000 }] } });
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ cause: 'connection-churn', severity: 'warning', confidence: 'likely', details: { kind: 'churn', perSecond: 300 } });
    const text = f!.evidence.join('\n');
    expect(text).toContain('total_connections_received 1000 → 1090: 90 new connections in 300 ms');
    expect(text).toContain('14000 sockets in TIME_WAIT on port 6379');
    expect(text).toContain('32768 60999 (28232 ports');
    expect(f!.remediations.map((r) => r.id)).toEqual(['reuse-connections', 'widen-ephemeral-ports']);
    expect(evaluate(obs).verdict).toBe('degraded');
  });

  it('a handful of connections in a short window is not churn (noise)', () => {
    expect(rule.evaluate(withRate(1000, 1003, 5))).toBeUndefined();
    expect(rule.evaluate(withRate(1000, 1030, 1000))).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });

  it('a leak: near maxclients, most from one address', () => {
    const obs = withRate(10, 10, 50);
    withInfo(obs, { clients: { connected_clients: '90', maxclients: '100' } });
    obs.clients = { total: 89, truncated: false, buffered: [], pubsubClients: 0, replicaClients: 0, sources: [{ source: '10.0.0.7', count: 85, idle: 80 }, { source: '10.0.0.8', count: 4, idle: 0 }], idle: 80, idleSec: 10 };
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ details: { kind: 'leak', connected: 90, maxclients: 100 } });
    expect(f!.evidence.join('\n')).toContain('CLIENT LIST: 85 connections from 10.0.0.7, 80 idle 10 s or more');
    expect(f!.remediations.map((r) => r.id)).toEqual(['fix-connection-leak']);
  });

  it('near maxclients from many addresses (legitimate load) is not a leak', () => {
    const obs = withRate(10, 10, 50);
    withInfo(obs, { clients: { connected_clients: '90', maxclients: '100' } });
    obs.clients = { total: 89, truncated: false, buffered: [], pubsubClients: 0, replicaClients: 0, sources: [{ source: 'a', count: 10, idle: 0 }], idle: 0, idleSec: 10 };
    expect(rule.evaluate(obs)).toBeUndefined();
  });
});

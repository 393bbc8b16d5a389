import { describe, expect, it } from 'vitest';
import { rankNeighbours, rule } from '../../../src/engine/rules/wrong-port.js';
import { healthy, refused } from '../fixtures.js';

describe('wrong-port', () => {
  it('fires when the port refused and Redis answers on a neighbour, naming the ports', () => {
    const obs = refused();
    obs.target.port = 6378;
    obs.tcp = { ...obs.tcp!, port: 6378 };
    obs.neighbours = {
      scanned: [6379, 6380, 6381, 16379, 26379, 6377],
      found: [
        { port: 6381, redis: true, reply: '+PONG' },
        { port: 6379, redis: true, reply: '-NOAUTH Authentication required.' },
        { port: 26379, redis: true, reply: '+PONG' },
      ],
      durationMs: 5,
      truncated: false,
    };
    const f = rule.evaluate(obs);
    expect(f?.cause).toBe('wrong-port');
    expect(f?.severity).toBe('critical');
    // Network evidence alone: another instance may answer while this one is down.
    expect(f?.confidence).toBe('possible');
    expect(f?.title).toBe('Nothing listens on port 6378; another Redis answers on port 6379 (also 6381) — a wrong port, or this instance is down');
    expect(f?.evidence).toEqual([
      'TCP connect to 10.0.0.5:6378 was refused (ECONNREFUSED)',
      'Redis answers on 10.0.0.5:6379: -NOAUTH Authentication required.',
      'Redis answers on 10.0.0.5:6381: +PONG',
      'ports scanned: 6379, 6380, 6381, 16379, 26379, 6377',
      "nothing shows which instance the client meant: if this host runs several Redis instances, the one on this port may be down; do not point clients at another instance's data on this evidence",
    ]);
    expect(f?.details).toEqual({ suggestedPort: 6379 });
    // No fix moves the clients on a guess: check first, or start this port's instance.
    expect(f?.remediations.map((r) => r.id)).toEqual(['use-correct-port', 'start-redis']);
    expect(f?.remediations[0]?.title).toBe('Check which instance the client should use before moving it to port 6379');
    expect(f?.remediations[0]?.steps[0]).toMatch(/^Another Redis answers on 10\.0\.0\.5:6379; it may be another instance with other data\. Compare it .* INFO server \(run_id, config_file, tcp_port\) and INFO keyspace\.$/);
  });

  it('prefers port±1, then 6379–6381, then the nearest; Sentinel only when adjacent', () => {
    const found = [7005, 6381, 26379, 7001, 7003].map((port) => ({ port, redis: true }));
    expect(rankNeighbours(found, 7002, false).map((f) => f.port)).toEqual([7001, 7003, 6381, 7005]);
    expect(rankNeighbours([{ port: 26379, redis: true }], 6379, false)).toEqual([]);
    expect(rankNeighbours([{ port: 26379, redis: true }], 26380, false).map((f) => f.port)).toEqual([26379]);
  });

  it('says when the monitor\'s history argues against it (details.historyAgainst), and not otherwise', () => {
    const obs = refused();
    obs.neighbours = { scanned: [6380], found: [{ port: 6380, redis: true, reply: '+PONG' }], durationMs: 3, truncated: false };
    expect(rule.evaluate(obs)?.details).toEqual({ suggestedPort: 6380 });
    obs.history = { lastAnsweredAt: '2026-12-02T00:00:00.000Z' };
    const f = rule.evaluate(obs);
    expect(f?.confidence).toBe('possible');
    expect(f?.details).toEqual({ suggestedPort: 6380, historyAgainst: '2026-12-02T00:00:00.000Z' });
  });

  it('carries TLS when the neighbour speaks TLS', () => {
    const obs = refused();
    obs.neighbours = { scanned: [6380], found: [{ port: 6380, redis: true, tls: true, reply: '+PONG' }], durationMs: 3, truncated: false };
    const f = rule.evaluate(obs);
    expect(f?.evidence[1]).toBe('Redis answers on 10.0.0.5:6380 (TLS): +PONG');
    expect(f?.details).toEqual({ suggestedPort: 6380, suggestedTls: true });
  });

  it('does not fire when no neighbour is Redis, or the port did not refuse', () => {
    const obs = refused();
    obs.neighbours = { scanned: [6380, 22], found: [{ port: 6380, redis: false, reply: 'SSH-2.0-OpenSSH_9.6' }], durationMs: 3, truncated: false };
    expect(rule.evaluate(obs)).toBeUndefined();
    const ok = healthy();
    ok.neighbours = { scanned: [6380], found: [{ port: 6380, redis: true }], durationMs: 1, truncated: false };
    expect(rule.evaluate(ok)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/output-buffer-disconnects.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import type { BufferedClient, Observations } from '../../../src/engine/model/types.js';
import { parseClientList, parseOutputBufferLimits } from '../../../src/engine/probes/client-list.js';
import { healthy, withInfo } from '../fixtures.js';

const LIMIT = 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60';

function withClients(buffered: BufferedClient[]): Observations {
  const obs = healthy();
  obs.clients = { total: 3, truncated: false, buffered, pubsubClients: 1, replicaClients: 0, sources: [], idle: 0, idleSec: 10 };
  obs.config = { 'client-output-buffer-limit': LIMIT };
  return obs;
}

describe('output-buffer-disconnects', () => {
  it('Redis ≥ 7.4 counted closures: confirmed warning, the subscriber fix', () => {
    const obs = withInfo(withClients([]), { stats: { client_output_buffer_limit_disconnections: '4' }, server: { uptime_in_seconds: '3600' } });
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ cause: 'output-buffer-disconnects', severity: 'warning', confidence: 'confirmed', details: { closed: 4 } });
    expect(f!.evidence[0]).toContain('client_output_buffer_limit_disconnections:4');
    expect(f!.remediations.map((r) => r.id)).toEqual(['fix-slow-subscribers']);
    expect(evaluate(obs).verdict).toBe('degraded');
  });

  it('a pub/sub client over its soft limit (Redis 7.0, no counter): likely, names the client', () => {
    const obs = withClients([{ kind: 'pubsub', addr: '10.0.0.8:51234', name: 'events-consumer', omemBytes: 9_000_000, oll: 400 }]);
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'warning', confidence: 'likely' });
    expect(f!.title).toContain('10.0.0.8:51234');
    expect(f!.evidence.join('\n')).toContain('pub/sub subscriber 10.0.0.8:51234 (name "events-consumer") has');
    expect(f!.evidence.join('\n')).toContain('Redis ≥ 7.4');
    expect(f!.remediations[0]!.steps.join('\n')).toContain('client-output-buffer-limit');
  });

  it('a replica near its hard limit: the replica fix', () => {
    const f = rule.evaluate(withClients([{ kind: 'replica', addr: '10.0.0.9:6380', omemBytes: 200_000_000, oll: 10 }]));
    expect(f!.remediations.map((r) => r.id)).toEqual(['raise-replica-output-buffer']);
  });

  it('small buffers, normal clients, no counter or a zero counter: nothing', () => {
    expect(rule.evaluate(withClients([{ kind: 'pubsub', addr: 'a:1', omemBytes: 1000, oll: 1 }]))).toBeUndefined();
    expect(rule.evaluate(withClients([{ kind: 'normal', addr: 'a:1', omemBytes: 900_000_000, oll: 1 }]))).toBeUndefined();
    expect(rule.evaluate(withInfo(withClients([]), { stats: { client_output_buffer_limit_disconnections: '0' } }))).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });

  it('parses CONFIG GET limits and CLIENT LIST (flags, omem, idle by source); hostile lines bounded', () => {
    expect(parseOutputBufferLimits(LIMIT)).toEqual([
      { class: 'normal', hardBytes: 0, softBytes: 0, softSeconds: 0 },
      { class: 'replica', hardBytes: 268435456, softBytes: 67108864, softSeconds: 60 },
      { class: 'pubsub', hardBytes: 33554432, softBytes: 8388608, softSeconds: 60 },
    ]);
    const list = [
      'id=3 addr=10.0.0.8:51234 laddr=10.0.0.5:6379 fd=8 name=sub age=100 idle=0 flags=P db=0 sub=1 psub=0 oll=12 omem=9000000 cmd=subscribe',
      'id=4 addr=10.0.0.7:40000 fd=9 name= age=50 idle=40 flags=N oll=0 omem=0 cmd=get',
      'id=5 addr=10.0.0.7:40001 fd=10 name=\u202eevil age=50 idle=45 flags=N oll=0 omem=0 cmd=get',
      'id=6 addr=127.0.0.1:5000 fd=11 name= age=0 idle=0 flags=N oll=0 omem=0 cmd=client|list',
      `id=7 addr=${'x'.repeat(100_000)}:1 flags=N omem=${'9'.repeat(30)}`,
    ].join('\n');
    const c = parseClientList(list);
    expect(c.total).toBe(4);
    expect(c.pubsubClients).toBe(1);
    expect(c.idle).toBe(2);
    expect(c.buffered).toEqual([{ kind: 'pubsub', addr: '10.0.0.8:51234', name: 'sub', omemBytes: 9000000, oll: 12, ageSec: 100 }]);
    expect(c.sources[0]).toEqual({ source: '10.0.0.7', count: 2, idle: 2 });
    expect(JSON.stringify(c)).not.toContain('\u202e');
    for (const s of c.sources) expect(s.source.length).toBeLessThanOrEqual(64);
    const huge = parseClientList('id=1 addr=1.2.3.4:5 idle=0 flags=N\n'.repeat(20_000));
    expect(huge).toMatchObject({ total: 5000, truncated: true });
  });
});

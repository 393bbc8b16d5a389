/**
 * DiagnosisStore on the real queue Redis (a unique prefix per run): every
 * diagnosis is kept for the buttons; a last state only for config targets,
 * which are all `status` shows.
 */
import { describe, expect, it } from 'vitest';
import type { Diagnosis, TargetInfo } from '../../src/engine/model/types.js';
import { DiagnosisStore } from '../../src/stores/diagnosis-store.js';
import { useQueueRedis } from '../slack/helpers/queue-redis.js';

function diagnosis(target: TargetInfo): Diagnosis {
  return {
    target, verdict: 'unreachable', primaryCause: 'connection-refused', findings: [], checks: [],
    durationMs: 3, startedAt: '2024-01-01T00:00:00.000Z', version: '0.1.0',
  };
}

describe('DiagnosisStore', () => {
  const { redis, prefix } = useQueueRedis();
  const store = new DiagnosisStore(redis, prefix);

  it('keeps a last state for config targets and none for ad-hoc addresses', async () => {
    expect(await store.save('d-named', diagnosis({ input: 'cache', name: 'cache', host: '127.0.0.1', port: 1, tls: false }))).toBe(true);
    expect(await store.save('d-adhoc', diagnosis({ input: '127.0.0.1:2', host: '127.0.0.1', port: 2, tls: false }))).toBe(true);
    expect(Object.keys(await redis.hgetall(`${prefix}:store:last-state`))).toEqual(['cache']);
    const { states, shared } = await store.lastStates();
    expect(shared).toBe(true);
    expect([...states.entries()]).toEqual([['cache', { verdict: 'unreachable', primaryCause: 'connection-refused', at: '2024-01-01T00:00:00.000Z', diagnosisId: 'd-named' }]]);
    // Both diagnoses stay readable for their remediation buttons, from Redis as well.
    const other = new DiagnosisStore(redis, prefix);
    expect((await other.get('d-adhoc'))?.target.input).toBe('127.0.0.1:2');
    expect((await other.get('d-named'))?.target.name).toBe('cache');
  });

  it('keeps the channel a diagnosis was posted in (what a remediate: click is checked against), none for a stored-only run', async () => {
    expect(await store.save('d-slack', diagnosis({ input: 'cache', name: 'cache', host: '127.0.0.1', port: 1, tls: false }), 'C0OPS')).toBe(true);
    expect(await store.save('d-cli', diagnosis({ input: 'cache', name: 'cache', host: '127.0.0.1', port: 1, tls: false }))).toBe(true);
    const other = new DiagnosisStore(redis, prefix);
    expect(await other.channelOf('d-slack')).toBe('C0OPS');
    expect(await other.channelOf('d-cli')).toBeUndefined();
    expect(await other.channelOf('d-never')).toBeUndefined();
    expect(await redis.ttl(`${prefix}:store:diagnosis-channel:d-slack`)).toBeGreaterThan(6 * 24 * 3600);
  });
});

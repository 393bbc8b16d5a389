/**
 * ApprovalStore on the real queue Redis (a unique prefix per run): a
 * decision and its audit record are one write — both or neither.
 */
import { describe, expect, it } from 'vitest';
import { ApprovalStore, type AuditRecord, type Decision } from '../../src/stores/approval-store.js';
import { useQueueRedis } from '../slack/helpers/queue-redis.js';

const auditOf = (d: Decision): AuditRecord => ({
  at: d.at, event: d.decision, requestId: d.requestId, by: d.by, diagnosisId: 'd-store', target: 'cache',
  cause: 'max-clients-reached', remediationId: 'raise-maxclients', risk: 'medium', mode: 'automatic', channel: 'C0STORE',
});

describe('ApprovalStore decisions', () => {
  const { redis, prefix } = useQueueRedis();
  const store = new ApprovalStore(redis, prefix);
  const auditKey = `${prefix}:store:audit`;
  const decisionKey = (id: string) => `${prefix}:store:approval:${id}:decision`;

  it('stores the first decision with its audit record; a later one finds it and records nothing', async () => {
    const first = await store.decide('rOne', 'approved', 'U0BOSS', auditOf);
    expect(first.decided).toBe(true);
    expect(first.decision).toMatchObject({ requestId: 'rOne', decision: 'approved', by: 'U0BOSS' });
    const second = await store.decide('rOne', 'denied', 'U0CAROL', auditOf);
    expect(second).toEqual({ decision: first.decision, decided: false });
    const audit = (await redis.lrange(auditKey, 0, -1)).map((t) => JSON.parse(t) as AuditRecord);
    expect(audit).toEqual([auditOf(first.decision)]);
    expect(await redis.ttl(decisionKey('rOne'))).toBeGreaterThan(29 * 24 * 3600);
  });

  it('stores no decision when its audit record cannot be written', async () => {
    // A key of the wrong type makes LPUSH fail with WRONGTYPE: the audit write fails after the decision could have been stored.
    const saved = await redis.lrange(auditKey, 0, -1);
    await redis.del(auditKey);
    await redis.set(auditKey, 'not a list');
    const err = await store.decide('rTwo', 'approved', 'U0BOSS', auditOf).catch((e: unknown) => e);
    expect(await redis.exists(decisionKey('rTwo'))).toBe(0);
    expect((err as Error).message).toContain('WRONGTYPE');
    expect(await redis.get(auditKey)).toBe('not a list');

    // Once the trail is writable again, the same click decides, audited.
    await redis.del(auditKey);
    await redis.rpush(auditKey, ...saved);
    const retry = await store.decide('rTwo', 'approved', 'U0BOSS', auditOf);
    expect(retry.decided).toBe(true);
    const audit = (await redis.lrange(auditKey, 0, -1)).map((t) => JSON.parse(t) as AuditRecord);
    expect(audit.map((r) => [r.requestId, r.event, r.by])).toEqual([['rTwo', 'approved', 'U0BOSS'], ['rOne', 'approved', 'U0BOSS']]);
  });

  it('releases a request that was never shown: the next one for the same fix is created, not found', async () => {
    const fields = {
      diagnosisId: 'd-release', target: { input: 'cache', name: 'cache', host: '127.0.0.1', port: 1, tls: false }, cause: 'max-clients-reached' as const,
      remediation: { id: 'raise-maxclients', title: 'Raise maxclients', risk: 'medium' as const, mode: 'guided' as const, steps: ['x'] },
      requestedBy: 'U0ALICE', channel: 'C0STORE', threadTs: '1.1',
    };
    const first = await store.request(fields);
    expect(first.created).toBe(true);
    expect((await store.request(fields)).request.id).toBe(first.request.id);
    await store.release(first.request);
    expect(await store.get(first.request.id)).toBeUndefined();
    const again = await store.request(fields);
    expect(again.created).toBe(true);
    expect(again.request.id).not.toBe(first.request.id);
    // Releasing the old one again leaves the slot of the new one alone.
    await store.release(first.request);
    expect((await store.request(fields)).request.id).toBe(again.request.id);
  });
});

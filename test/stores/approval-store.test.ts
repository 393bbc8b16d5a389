/**
 * The approval ledger on the real queue Redis (a unique prefix per run):
 * requests and their (diagnosis, remediation) slot, decisions that race,
 * expiry judged when the click arrives, the execution claim that makes a
 * command run at most once, and the audit entry written with each change —
 * both or neither.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ApprovalStore, type ApprovalRequest } from '../../src/stores/approval-store.js';
import { AuditLog, type AuditRecord } from '../../src/stores/audit-log.js';
import { useQueueRedis } from '../slack/helpers/queue-redis.js';
import { QUEUE_REDIS } from '../slack/helpers/harness.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const TTL = 900;

function fields(diagnosisId: string, remediationId = 'set-eviction-policy'): Omit<ApprovalRequest, 'id' | 'createdAt' | 'expiresAt'> {
  return {
    diagnosisId,
    target: { input: 'cache', name: 'cache', host: '127.0.0.1', port: 6390, tls: false },
    cause: 'memory-limit-reached',
    remediation: { id: remediationId, title: 'Evict', risk: 'medium', mode: 'automatic', steps: ['x'], redisCommand: ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'] },
    requestedBy: 'U0ALICE', channel: 'C0STORE', threadTs: '1.1',
  };
}

describe('ApprovalStore ledger', () => {
  const { redis, prefix } = useQueueRedis();
  const logged: AuditRecord[] = [];
  const audit = new AuditLog(redis, prefix, (r) => logged.push(r));
  const store = new ApprovalStore(redis, prefix, audit);
  const entriesFor = async (id: string) => (await audit.latest(1000)).filter((e) => e.record.requestId === id).map((e) => e.record).reverse();

  it('creates one request per fix; a live one is found, not doubled', async () => {
    const first = await store.request(fields('d-one'), TTL, T0);
    expect(first.created).toBe(true);
    expect(first.ledger.state).toBe('pending');
    expect(first.ledger.request.expiresAt).toBe(new Date(T0 + TTL * 1000).toISOString());
    const again = await store.request({ ...fields('d-one'), requestedBy: 'U0CAROL' }, TTL, T0 + 1000);
    expect(again).toMatchObject({ created: false, ledger: { state: 'pending', request: { id: first.ledger.request.id, requestedBy: 'U0ALICE' } } });
    // Another remediation of the same diagnosis has its own slot.
    expect((await store.request(fields('d-one', 'raise-maxmemory'), TTL, T0)).created).toBe(true);
    const records = await entriesFor(first.ledger.request.id);
    expect(records.map((r) => [r.event, r.by, r.outcome])).toEqual([['requested', 'U0ALICE', 'pending']]);
    expect(records[0]).toMatchObject({ target: 'cache', cause: 'memory-limit-reached', remediationId: 'set-eviction-policy', command: 'CONFIG SET maxmemory-policy allkeys-lru', requestedBy: 'U0ALICE' });
    expect(logged.some((r) => r.requestId === first.ledger.request.id && r.event === 'requested')).toBe(true);
    expect(await redis.ttl(store.ledgerKey(first.ledger.request.id))).toBeGreaterThan(29 * 24 * 3600);
  });

  it('frees the fix for a new request once the old one is denied, expired or withdrawn — not when approved', async () => {
    const denied = (await store.request(fields('d-two'), TTL, T0)).ledger.request.id;
    expect((await store.transition(denied, { to: 'denied', now: T0 + 1, expiry: 'before', event: 'denied', by: 'U0BOSS', set: { decidedBy: 'U0BOSS' } })).ok).toBe(true);
    const second = await store.request(fields('d-two'), TTL, T0 + 2);
    expect(second.created).toBe(true);

    // Past its expiry the pending one is marked expired (audited) by the next request, which is created.
    const third = await store.request(fields('d-two'), TTL, T0 + TTL * 1000 + 10);
    expect(third.created).toBe(true);
    expect((await store.get(second.ledger.request.id))?.state).toBe('expired');
    expect((await entriesFor(second.ledger.request.id)).map((r) => r.event)).toEqual(['requested', 'expired']);

    expect((await store.withdraw(third.ledger.request.id, T0 + TTL * 1000 + 20, 'U0ALICE', 'post failed')).ok).toBe(true);
    const fourth = await store.request(fields('d-two'), TTL, T0 + TTL * 1000 + 30);
    expect(fourth.created).toBe(true);
    const now = T0 + TTL * 1000 + 40;
    expect((await store.transition(fourth.ledger.request.id, { to: 'approved', now, expiry: 'before', event: 'approved', by: 'U0BOSS', set: { decidedBy: 'U0BOSS', plan: 'run', actionHash: 'h' } })).ok).toBe(true);
    expect(await store.request(fields('d-two'), TTL, now + 1)).toMatchObject({ created: false, ledger: { state: 'approved' } });
  });

  it('lets exactly one of many concurrent decisions win, from separate connections, with one audit entry', async () => {
    const id = (await store.request(fields('d-race'), TTL, T0)).ledger.request.id;
    const clients = Array.from({ length: 4 }, () => new Redis(QUEUE_REDIS, { maxRetriesPerRequest: 1 }));
    try {
      const stores = clients.map((c) => new ApprovalStore(c, prefix, new AuditLog(c, prefix)));
      const results = await Promise.all(Array.from({ length: 24 }, (_, i) => stores[i % stores.length]!.transition(id, {
        to: i % 3 === 0 ? 'denied' : 'approved', now: T0 + 5, expiry: 'before', event: i % 3 === 0 ? 'denied' : 'approved', by: `U0APP${i}`, set: { decidedBy: `U0APP${i}` },
      })));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.why === 'state')).toBe(true);
      const decisions = (await entriesFor(id)).filter((r) => r.event !== 'requested');
      expect(decisions).toHaveLength(1);
      expect((await store.get(id))?.decidedBy).toBe(decisions[0]!.by);
    } finally {
      clients.forEach((c) => c.disconnect());
    }
  });

  it('judges expiry when the click arrives: a late decision changes nothing; an early expire() neither', async () => {
    const id = (await store.request(fields('d-late'), 10, T0)).ledger.request.id;
    expect(await store.expire(id, T0 + 9_999, 'U0BOSS')).toMatchObject({ ok: false, why: 'guard' });
    const late = await store.transition(id, { to: 'approved', now: T0 + 10_000, expiry: 'before', event: 'approved', by: 'U0BOSS', set: { decidedBy: 'U0BOSS' } });
    expect(late).toMatchObject({ ok: false, why: 'expired', ledger: { state: 'pending' } });
    expect((await entriesFor(id)).map((r) => r.event)).toEqual(['requested']);
    expect(await store.expire(id, T0 + 10_000, 'U0BOSS')).toMatchObject({ ok: true, ledger: { state: 'expired' } });
    // Expired is final: nothing decides it any more.
    expect(await store.transition(id, { to: 'denied', now: T0 + 10_001, event: 'denied', by: 'U0BOSS' })).toMatchObject({ ok: false, why: 'state' });
  });

  it('claims an execution once, only for the approved action, and records its end under the same runner', async () => {
    const id = (await store.request(fields('d-run'), TTL, T0)).ledger.request.id;
    const claim = (runner: string, hash: string) => store.transition(id, { to: 'running', now: T0 + 2, event: 'started', by: 'worker:t', guard: { field: 'actionHash', value: hash }, set: { runner } });
    // Not approved yet: nothing can claim it.
    expect(await claim('w1', 'h1')).toMatchObject({ ok: false, why: 'state' });
    await store.transition(id, { to: 'approved', now: T0 + 1, expiry: 'before', event: 'approved', by: 'U0BOSS', set: { decidedBy: 'U0BOSS', plan: 'run', actionHash: 'h1' } });
    expect(await claim('w1', 'other-action')).toMatchObject({ ok: false, why: 'guard', ledger: { state: 'approved' } });
    const won = await Promise.all([claim('w1', 'h1'), claim('w2', 'h1'), claim('w3', 'h1')]);
    expect(won.filter((r) => r.ok)).toHaveLength(1);
    const runner = (await store.get(id))!.runner!;
    // Only the runner that holds the claim records the result.
    const other = runner === 'w1' ? 'w2' : 'w1';
    expect(await store.transition(id, { to: 'applied', now: T0 + 3, event: 'applied', by: 'worker:t', guard: { field: 'runner', value: other }, set: { sent: '1', reply: 'OK' } })).toMatchObject({ ok: false, why: 'guard' });
    // A job that finds it running (its worker died) marks it unknown, never sends; the real runner may still record the truth.
    expect((await store.transition(id, { to: 'unknown', now: T0 + 4, event: 'unknown', by: 'worker:t', set: { reason: 'lost' } })).ok).toBe(true);
    const done = await store.transition(id, { to: 'applied', now: T0 + 5, event: 'applied', by: 'worker:t', guard: { field: 'runner', value: runner }, set: { sent: '1', reply: 'OK' } });
    expect(done).toMatchObject({ ok: true, from: 'unknown', ledger: { state: 'applied', sent: true, reply: 'OK' } });
    expect(await claim(runner, 'h1')).toMatchObject({ ok: false, why: 'state' });
    expect((await entriesFor(id)).map((r) => r.event)).toEqual(['requested', 'approved', 'started', 'unknown', 'applied']);
    const applied = (await entriesFor(id)).at(-1)!;
    expect(applied).toMatchObject({ requestedBy: 'U0ALICE', decidedBy: 'U0BOSS', outcome: 'applied', reply: 'OK', command: 'CONFIG SET maxmemory-policy allkeys-lru', plan: 'run' });
    expect(applied.requestedAt).toBe(new Date(T0).toISOString());
  });

  it('changes no state when its audit entry cannot be written', async () => {
    const id = (await store.request(fields('d-audit'), TTL, T0)).ledger.request.id;
    const aside = `${audit.key}:aside`;
    await redis.rename(audit.key, aside);
    await redis.set(audit.key, 'not a stream');
    try {
      const err = await store.transition(id, { to: 'approved', now: T0 + 1, expiry: 'before', event: 'approved', by: 'U0BOSS', set: { decidedBy: 'U0BOSS' } }).catch((e: unknown) => e);
      expect((err as Error).message).toContain('WRONGTYPE');
      expect((await store.get(id))?.state).toBe('pending');
      const err2 = await store.request(fields('d-audit-2'), TTL, T0).catch((e: unknown) => e);
      expect((err2 as Error).message).toContain('WRONGTYPE');
      expect(await redis.get(audit.key)).toBe('not a stream');
    } finally {
      await redis.del(audit.key);
      await redis.rename(aside, audit.key);
    }
    // Once the trail is writable again, the same click decides, audited.
    expect((await store.transition(id, { to: 'approved', now: T0 + 2, expiry: 'before', event: 'approved', by: 'U0BOSS', set: { decidedBy: 'U0BOSS' } })).ok).toBe(true);
    expect((await entriesFor(id)).map((r) => r.event)).toEqual(['requested', 'approved']);
  });

  it('keeps the audit stream capped (MAXLEN ~ 10000) and reads it newest first', async () => {
    const quiet = new AuditLog(redis, prefix);
    const base = (await entriesFor((await store.request(fields('d-cap'), TTL, T0)).ledger.request.id))[0]!;
    // 10 300 entries written uncapped in one pipeline, then one append through the log: it trims to about 10 000.
    const fill = redis.pipeline();
    for (let i = 0; i < 10_300; i++) fill.xadd(audit.key, '*', 'event', 'filler', 'by', `U0N${i}`);
    await fill.exec();
    expect(await redis.xlen(audit.key)).toBeGreaterThan(10_300);
    await quiet.append({ ...base, event: 'click-refused', by: 'U0LAST' });
    const length = await redis.xlen(audit.key);
    expect(length).toBeGreaterThanOrEqual(10_000);
    expect(length).toBeLessThan(10_300);
    const latest = await audit.latest(3);
    expect(latest.map((e) => e.record.by)).toEqual(['U0LAST', 'U0N10299', 'U0N10298']);
  });

  it('answers missing for a request it does not know', async () => {
    expect(await store.get('rNoSuchRequest')).toBeUndefined();
    expect(await store.transition('rNoSuchRequest', { to: 'approved', now: T0, event: 'approved', by: 'U0BOSS' })).toEqual({ ok: false, why: 'missing' });
  });
});

/**
 * The remediation runner with real parts: the ledger on the queue Redis, a
 * real redis-server target with requirepass (credentials from passwordEnv,
 * resolved by the runner from its own config), commands counted on the
 * target with INFO commandstats. The reporter and the verification
 * dispatcher record what they are handed (the Slack side has its own tests).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../../src/config/schema.js';
import type { Dispatcher } from '../../src/jobs/dispatcher.js';
import type { DiagnoseJobData } from '../../src/jobs/queue.js';
import { planFor } from '../../src/jobs/remediation-action.js';
import type { RemediationReporter } from '../../src/jobs/remediation-report.js';
import type { RemediateJobData } from '../../src/jobs/remediate-queue.js';
import { RemediationRunner } from '../../src/jobs/run-remediation.js';
import { TargetConnectError } from '../../src/jobs/target-session.js';
import { Logger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { resolveJobTarget } from '../../src/slack/resolve.js';
import { ApprovalStore, type Ledger } from '../../src/stores/approval-store.js';
import { AuditLog } from '../../src/stores/audit-log.js';
import { commandCalls, configValue } from '../lab/commandstats.js';
import { freePort } from '../lab/ports.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { useQueueRedis } from '../slack/helpers/queue-redis.js';

const PASSWORD = `runner-secret-${process.pid}-x7`;
const ORIGIN = { kind: 'slack' as const, channel: 'C0RUN', threadTs: '1.1' };

function configFor(port: number, fixes: 'automatic' | 'guided' = 'automatic'): Config {
  return configSchema.parse({
    targets: [{ name: 'cache', url: `redis://127.0.0.1:${port}`, passwordEnv: 'CACHE_PW', fixes }],
    access: { approvers: ['U0BOSS'] },
  });
}

describe('RemediationRunner', () => {
  const { redis, prefix } = useQueueRedis();
  const audit = new AuditLog(redis, prefix);
  const approvals = new ApprovalStore(redis, prefix, audit);
  let target: RedisServer;
  let logs: string[];
  let told: { state: string; verifying: boolean }[];
  let submitted: { data: DiagnoseJobData; requestId?: string }[];
  let metrics: Metrics;
  let n = 0;

  beforeAll(async () => {
    target = await startRedis({ password: PASSWORD });
  });
  afterAll(async () => {
    await target?.stop();
  });
  beforeEach(() => {
    logs = [];
    told = [];
    submitted = [];
    metrics = new Metrics();
  });

  const reporter: RemediationReporter = {
    outcome: async (l, run) => {
      if (run.state.posted) return;
      told.push({ state: l.state, verifying: run.verifying });
      await run.checkpoint({ posted: true });
    },
  };
  const dispatcher = {
    submit: async (data: DiagnoseJobData, requestId?: string) => {
      submitted.push({ data, ...(requestId ? { requestId } : {}) });
      return { via: 'queue' as const, id: 'd-x', deduplicated: false };
    },
  } as unknown as Dispatcher;

  function runner(config: Config, env: NodeJS.ProcessEnv = { CACHE_PW: PASSWORD }): RemediationRunner {
    return new RemediationRunner({
      approvals, config, dispatcher, metrics,
      log: new Logger('debug', 'test', (l) => { logs.push(l); }),
      resolve: (input) => resolveJobTarget(input, config, env),
      reporters: { slack: reporter, monitor: reporter, cli: reporter },
      connectTimeoutMs: 1000, commandTimeoutMs: 1000,
    });
  }

  /** A request for `argv`, approved the way the click handler approves it (plan and action hash from `config`). */
  async function approved(config: Config, argv = ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu']): Promise<Ledger> {
    n += 1;
    const remediation = { id: 'set-eviction-policy', title: 'Evict', risk: 'medium' as const, mode: 'automatic' as const, steps: ['x'], redisCommand: argv };
    // The target as the diagnosis saw it: where the config pointed then.
    const port = Number(new URL(config.targets[0]!.url).port);
    const targetInfo = { input: 'cache', name: 'cache', host: '127.0.0.1', port, tls: false };
    const { ledger } = await approvals.request({ diagnosisId: `d-run-${n}`, target: targetInfo, cause: 'memory-limit-reached', remediation, requestedBy: 'U0ALICE', channel: 'C0RUN', threadTs: '1.1' }, 900, Date.now());
    const plan = planFor(targetInfo, remediation, config);
    const t = await approvals.transition(ledger.request.id, {
      to: 'approved', now: Date.now(), expiry: 'before', event: 'approved', by: 'U0BOSS',
      set: { decidedBy: 'U0BOSS', decidedAt: new Date().toISOString(), plan: plan.plan, ...(plan.plan === 'run' ? { actionHash: plan.hash } : {}) },
    });
    if (!t.ok) throw new Error(`not approved: ${t.why}`);
    return t.ledger;
  }

  const job = (l: Ledger, state?: RemediateJobData['state']): RemediateJobData => ({ requestId: l.request.id, origin: ORIGIN, approvedBy: 'U0BOSS', queuedAt: Date.now(), ...(state ? { state } : {}) });

  it('sends the approved command once, records applied, tells it, and queues one verification', async () => {
    await target.cli('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    const before = await commandCalls(target, 'config|set');
    const l = await approved(configFor(target.port));
    let saved: Record<string, unknown> = {};
    const r = runner(configFor(target.port));
    const done = await r.run('x-1', 1, job(l), async (s) => { saved = s; });
    expect(done).toMatchObject({ state: 'applied', sent: true, reply: 'OK' });
    expect(await configValue(target, 'maxmemory-policy')).toBe('allkeys-lfu');
    expect(await commandCalls(target, 'config|set')).toBe(before + 1);
    expect(told).toEqual([{ state: 'applied', verifying: true }]);
    expect(submitted).toHaveLength(1);
    expect(submitted[0]).toMatchObject({ requestId: `verify-${l.request.id}`, data: { input: 'cache', requestedBy: 'U0BOSS', origin: { kind: 'slack', channel: 'C0RUN', threadTs: '1.1', verifies: l.request.id } } });
    expect(saved).toMatchObject({ posted: true, verifyQueued: true });
    expect(await metrics.registry.getSingleMetricAsString('redis_doctor_remediations_total')).toContain('outcome="applied"} 1');

    // The same job again (a retry after a Slack failure): nothing is sent; the checkpoint resumes the telling.
    await r.run('x-1', 2, job(l, saved as RemediateJobData['state']), async () => undefined);
    expect(await commandCalls(target, 'config|set')).toBe(before + 1);
    expect(told).toHaveLength(1);
    expect(submitted).toHaveLength(1);
    // A fresh job for the same request (no checkpoint) tells again, and still sends nothing.
    await r.run('x-1b', 1, job(l), async () => undefined);
    expect(await commandCalls(target, 'config|set')).toBe(before + 1);
    const events = (await audit.latest(100)).filter((e) => e.record.requestId === l.request.id).map((e) => e.record.event);
    expect(events.reverse()).toEqual(['requested', 'approved', 'started', 'applied']);
    expect(logs.join('\n')).not.toContain(PASSWORD);
  });

  it('ends unknown, sending nothing, when it finds the command claimed by an attempt that died', async () => {
    const before = await commandCalls(target, 'config|set');
    const l = await approved(configFor(target.port));
    // What a worker killed between the claim and the reply leaves behind.
    const claim = await approvals.transition(l.request.id, { to: 'running', now: Date.now(), event: 'started', by: 'worker:dead', guard: { field: 'actionHash', value: l.actionHash! }, set: { runner: 'worker:dead:x-2:1' } });
    expect(claim.ok).toBe(true);
    const done = await runner(configFor(target.port)).run('x-2', 1, job(l), async () => undefined);
    expect(done.state).toBe('unknown');
    expect(done.reason).toContain('not sent again');
    expect(await commandCalls(target, 'config|set')).toBe(before);
    // The command may have run: a verifying diagnosis shows what the server is like now.
    expect(told).toEqual([{ state: 'unknown', verifying: true }]);
    expect(submitted).toHaveLength(1);
  });

  it('throws a retryable error while the target is unreachable — nothing sent, still approved — and records failed at the end', async () => {
    const closed = await freePort();
    const config = configFor(closed);
    const l = await approved(config);
    const r = runner(config);
    const err = await r.run('x-3', 1, job(l), async () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetConnectError);
    expect((err as TargetConnectError).retryable).toBe(true);
    expect((err as Error).message).toContain('nothing was sent');
    expect((await approvals.get(l.request.id))?.state).toBe('approved');
    await r.reportFailure(job(l), (err as Error).message);
    expect(await approvals.get(l.request.id)).toMatchObject({ state: 'failed', sent: false });
    expect(told).toEqual([{ state: 'failed', verifying: false }]);
    expect(submitted).toHaveLength(0);
  });

  it('fails without sending when the password is wrong, and never shows the password', async () => {
    const before = await commandCalls(target, 'config|set');
    const config = configFor(target.port);
    const l = await approved(config);
    const done = await runner(config, { CACHE_PW: 'not-the-password' }).run('x-4', 1, job(l), async () => undefined);
    expect(done).toMatchObject({ state: 'failed', sent: false });
    expect(done.reason).toContain('refused the credentials');
    expect(await commandCalls(target, 'config|set')).toBe(before);
  });

  it('refuses to run when this worker\'s config no longer allows it, or the action changed', async () => {
    const before = await commandCalls(target, 'config|set');
    const guided = await approved(configFor(target.port));
    expect(await runner(configFor(target.port, 'guided')).run('x-5', 1, job(guided), async () => undefined)).toMatchObject({ state: 'refused', sent: false });
    // The config now points the name at another port: the approved hash no longer matches.
    const moved = await approved(configFor(target.port));
    const other = await freePort();
    const done = await runner(configFor(other)).run('x-6', 1, job(moved), async () => undefined);
    expect(done.state).toBe('refused');
    expect(done.reason).toContain('no longer the one that was approved');
    // A stored command outside the allowed shapes never gets a run plan, whatever the config says.
    const odd = await approved(configFor(target.port), ['CONFIG', 'SET', 'dir', '/tmp']);
    expect(odd.plan).toBe('steps');
    await expect(runner(configFor(target.port)).run('x-7', 1, job(odd), async () => undefined)).rejects.toThrow(/guided.*nothing to run/);
    expect(await commandCalls(target, 'config|set')).toBe(before);
    expect(await metrics.registry.getSingleMetricAsString('redis_doctor_remediations_total')).toContain('outcome="refused"} 2');
  });
});

/**
 * Issue #16 item 7: a `fixes: automatic` config target without
 * `sentinelMaster` that answers as a Sentinel. The engine follows the one
 * primary it monitors (a real redis-server, filled to maxmemory with
 * noeviction) and reports the primary's findings; their fixes were computed
 * from the primary's INFO, while the bot sends a command only to the
 * configured target (the Sentinel). So they must be guided, and the plan the
 * click handler and the worker compute (planFor) must be steps, never a run.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { configSchema } from '../../src/config/schema.js';
import { planFor } from '../../src/jobs/remediation-action.js';
import { resolveJobTarget } from '../../src/slack/resolve.js';
import { describeLab, need } from '../lab/guard.js';
import type { RedisServer } from '../lab/redis.js';
import { fillMemory } from '../lab/redis-states.js';
import { startPrimary, startSentinel } from '../lab/topology.js';

describeLab('a fix computed for a followed primary', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  let primary: RedisServer;
  let sentinel: RedisServer;
  beforeAll(async () => {
    primary = await startPrimary();
    sentinel = await startSentinel(primary, { masterName: 'mymaster' });
    await fillMemory(primary);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([sentinel, primary].map((s) => s?.stop({ graceMs: 0 })));
  });

  it('is guided, names the primary, and is planned as steps: nothing would be sent to the Sentinel', async () => {
    const config = configSchema.parse({ targets: [{ name: 'sessions', url: `redis://127.0.0.1:${sentinel.port}`, fixes: 'automatic' }] });
    const resolved = resolveJobTarget('sessions', config, {});
    const d = await diagnose(resolved.target, { ...resolved.options, timeoutMs: 1000 });
    const finding = d.findings.find((f) => f.cause === 'memory-limit-reached');
    expect(finding, JSON.stringify(d.findings.map((f) => f.title))).toBeDefined();
    expect(finding!.details?.['followed']).toBe(`127.0.0.1:${primary.port}`);
    const evict = finding!.remediations.find((r) => r.id === 'set-eviction-policy');
    expect(evict).toMatchObject({ mode: 'guided' });
    expect(evict?.redisCommand).toBeUndefined();
    expect(evict?.steps[0]).toBe(`Apply it on the primary 127.0.0.1:${primary.port} (the bot does not send it: the configured target is the Sentinel that named it).`);
    // No followed finding carries a command, and every plan for them is steps.
    for (const f of d.findings.filter((x) => x.details?.['followed'] !== undefined)) {
      for (const r of f.remediations) {
        expect(r.redisCommand, r.id).toBeUndefined();
        expect(planFor(d.target, r, config).plan, r.id).toBe('steps');
      }
    }
  }, 30_000);
});

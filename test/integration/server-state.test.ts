/**
 * A server that answers, but in a state that refuses or limits work:
 * loading, out of memory, failing to persist, orphaned replica, busy script,
 * open-files limit. Each state is built and checked by test/lab/redis-states.ts.
 */
import { expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import type { Diagnosis } from '../../src/engine/model/types.js';
import { describeLab, need } from '../lab/guard.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import {
  BUSY_ARGS,
  fillMemory,
  startBusyScript,
  startFdLimitedRedis,
  startLoadingRedis,
  startMisconfRedis,
  startOrphanReplica,
} from '../lab/redis-states.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';

async function diagnoseThenStop(server: RedisServer): Promise<Diagnosis> {
  try {
    return await diagnose(targetOf(server.host, server.port), { timeoutMs: 1000 });
  } finally {
    await server.stop();
  }
}

describeLab('server state', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  it('loading its dataset → loading-dataset', async () => {
    const d = await diagnoseThenStop(await startLoadingRedis());
    expectDiagnosis(d, { primaryCause: 'loading-dataset', verdict: 'unreachable', evidence: /-LOADING Redis is loading the dataset in memory/ });
  });

  it('used_memory over maxmemory with noeviction → memory-limit-reached', async () => {
    const server = await startRedis();
    await fillMemory(server).catch(async (e) => {
      await server.stop();
      throw e;
    });
    const d = await diagnoseThenStop(server);
    expectDiagnosis(d, { primaryCause: 'memory-limit-reached', verdict: 'degraded', evidence: /maxmemory:1048576 .*maxmemory_policy:noeviction/ });
  });

  it('a replica whose primary is gone → replica-link-down', async () => {
    const d = await diagnoseThenStop(await startOrphanReplica());
    expectDiagnosis(d, { primaryCause: 'replica-link-down', verdict: 'degraded', evidence: /master_link_status:down/ });
  });

  it('a script running for seconds → busy-script', async () => {
    const server = await startRedis({ args: BUSY_ARGS });
    try {
      const busy = await startBusyScript(server, 8000);
      try {
        const d = await diagnose(targetOf(server.host, server.port), { timeoutMs: 1000 });
        expectDiagnosis(d, { primaryCause: 'busy-script', verdict: 'unreachable', evidence: /-BUSY Redis is busy running a script/ });
      } finally {
        await busy.release();
      }
    } finally {
      await server.stop();
    }
  });
});

describeLab('server state needing root', [need.root(), need.binary('redis-server'), need.binary('setpriv'), need.binary('prlimit')], () => {
  it('RDB save failing on a full disk → persistence-failing', async () => {
    const d = await diagnoseThenStop(await startMisconfRedis());
    expectDiagnosis(d, { primaryCause: 'persistence-failing', verdict: 'unreachable', evidence: /-MISCONF Redis is configured to save RDB snapshots/ });
    expect(d.findings[0]?.evidence.join('\n')).toMatch(/rdb_last_bgsave_status:err/);
  });

  it('open-files limit 64 as a non-root user → fd-limit-too-low', async () => {
    const d = await diagnoseThenStop(await startFdLimitedRedis(64));
    expectDiagnosis(d, { primaryCause: 'fd-limit-too-low', verdict: 'degraded', evidence: /maxclients:32/ });
    expect(d.findings[0]?.details).toMatchObject({ maxclients: 32, nofile: 64 });
  });
});

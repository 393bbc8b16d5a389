/**
 * Automatic fixes that really clear a fault, on real redis-server processes
 * in that fault, approved with signed block_actions on the real Bolt
 * receiver, and verified by a fresh diagnosis in the thread:
 *  - memory-limit-reached under noeviction → CONFIG SET maxmemory (raise-maxmemory;
 *    set-eviction-policy is in remediation.test.ts);
 *  - busy-script: a Lua script spinning past busy-reply-threshold → SCRIPT KILL;
 *  - persistence-failing: MISCONF after a BGSAVE failed on a full tmpfs; once
 *    space is freed (what the fix's steps ask a person to do first), BGSAVE
 *    (retry-bgsave) saves, and writes are accepted again.
 */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandCalls, configValue } from '../lab/commandstats.js';
import { describeLab, need } from '../lab/guard.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { BUSY_ARGS, fillMemory, startBusyScript, startMisconfRedis } from '../lab/redis-states.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { actionIds, blockIds, textOf, type Call } from './helpers/slack-double.js';

function config(port: number): string {
  return ['targets:', '  - name: sick', `    url: redis://127.0.0.1:${port}`, '    fixes: automatic', 'access:', '  diagnose: [U0ALICE, U0BOSS]', '  approvers: [U0BOSS]'].join('\n');
}

/** Diagnose `sick`, ask for `remediationId` as U0ALICE, approve as U0BOSS; returns the request, its thread and the verification verdict. */
async function approveFix(h: Harness, cause: string, remediationId: string, beforeApproval?: () => Promise<void>): Promise<{ request: Call; parent: Call; verdict: Call }> {
  await h.command({ text: 'sick', channel: 'C0SICK' });
  const isFinding = (c: Call) => c.method === 'chat.postMessage' && c.status === 200 && blockIds(c).includes(`finding:${cause}`);
  await h.double.waitFor(`the ${cause} finding`, (calls) => calls.some(isFinding), 20_000);
  const finding = h.double.calls.find(isFinding)!;
  expect(actionIds(finding)).toContain(`remediate:${remediationId}`);
  const parent = h.double.ok('chat.postMessage').find((c) => c.ts === finding.body.thread_ts)!;
  await h.click(finding, `remediate:${remediationId}`, 'U0ALICE');
  const isRequest = (c: Call) => c.method === 'chat.postMessage' && blockIds(c).some((id) => id.startsWith('approval:'));
  await h.double.waitFor('the approval request', (calls) => calls.some(isRequest));
  const request = h.double.calls.find(isRequest)!;
  await beforeApproval?.();
  await h.click(request, actionIds(request)[0]!, 'U0BOSS');
  const isVerdict = (c: Call) => c.method === 'chat.update' && blockIds(c).includes('verification');
  await h.double.waitFor('the verification verdict', (calls) => calls.some(isVerdict), 30_000);
  return { request, parent, verdict: h.double.calls.find(isVerdict)! };
}

describe('CONFIG SET maxmemory at the memory limit', () => {
  let server: RedisServer;
  let h: Harness;

  beforeAll(async () => {
    server = await startRedis();
    await fillMemory(server);
    h = await startHarness({ config: config(server.port) });
  });
  afterAll(async () => {
    await h?.stop();
    await server?.stop();
  });

  it('raises maxmemory to the value shown, once, and writes are accepted again', async () => {
    const { request, verdict } = await approveFix(h, 'memory-limit-reached', 'raise-maxmemory');
    const shown = /`CONFIG SET maxmemory (\d+)mb`/.exec(textOf(request))?.[1];
    expect(shown).toBeDefined();
    expect(textOf(verdict)).toContain('verified: healthy');
    expect(await configValue(server, 'maxmemory')).toBe(String(Number(shown) * 1024 * 1024));
    expect(await configValue(server, 'maxmemory-policy')).toBe('noeviction');
    expect(await commandCalls(server, 'config|set')).toBe(3); // fillMemory's two, and the fix
    expect(await server.cli('SET', 'after-the-fix', '1')).toBe('OK');
  });
});

describe('SCRIPT KILL for a busy script', () => {
  let server: RedisServer;
  let busy: { release(): Promise<void> } | undefined;
  let h: Harness;

  beforeAll(async () => {
    server = await startRedis({ args: BUSY_ARGS });
    h = await startHarness({ config: config(server.port) });
    // Bounded: the script ends by itself after 25 s if nothing kills it.
    busy = await startBusyScript(server, 25_000);
  });
  afterAll(async () => {
    await busy?.release();
    await h?.stop();
    await server?.stop();
  });

  it('kills the script once, and the verifying diagnosis finds the server healthy', async () => {
    const { request, parent, verdict } = await approveFix(h, 'busy-script', 'kill-busy-script');
    expect(textOf(request)).toContain('`SCRIPT KILL`');
    const updated = h.double.ok('chat.update').filter((c) => c.body.ts === request.ts).at(-1)!;
    expect(textOf(updated)).toContain('*applied*');
    expect(textOf(updated)).toContain('Reply: `OK`');
    expect(textOf(verdict)).toContain('verified: healthy');
    expect(h.double.ok('chat.postMessage').find((c) => c.ts === verdict.body.ts)?.body.thread_ts).toBe(parent.ts);
    expect(await server.cli('PING')).toBe('PONG');
    expect(await commandCalls(server, 'script|kill')).toBe(1);
  });
});

describeLab('BGSAVE after MISCONF on a full disk', [need.root(), need.binary('mount')], () => {
  let server: RedisServer;
  let h: Harness;

  beforeAll(async () => {
    server = await startMisconfRedis();
    h = await startHarness({ config: config(server.port) });
  });
  afterAll(async () => {
    await h?.stop();
    await server?.stop();
  });

  it('saves once space is freed, and the verifying diagnosis finds writes accepted again', async () => {
    const dir = await configValue(server, 'dir');
    const before = await commandCalls(server, 'bgsave');
    // What the fix's steps ask of a person before the retry: free the space (here the lab's filler file).
    const { request, verdict } = await approveFix(h, 'persistence-failing', 'retry-bgsave', () => unlink(join(dir, 'filler')));
    expect(textOf(request)).toContain('`BGSAVE`');
    const updated = h.double.ok('chat.update').filter((c) => c.body.ts === request.ts).at(-1)!;
    expect(textOf(updated)).toContain('rdb_last_bgsave_status:ok');
    expect(textOf(verdict)).toContain('verified: healthy');
    expect(await commandCalls(server, 'bgsave')).toBe(before + 1);
    expect(await server.cli('SET', 'after-the-fix', '1')).toBe('OK');
  });
});

/**
 * Approved fixes, end to end with real parts: real redis-server targets at
 * their memory limit under noeviction (one with requirepass, given to the bot
 * through passwordEnv, and `fixes: automatic`; one with the default
 * `fixes: guided`), the real Bolt receiver fed correctly signed block_actions
 * payloads, the Slack Web API double, BullMQ on the queue Redis, and a second
 * bot process on the same queue and prefix. What ran is counted on the
 * target itself (INFO commandstats after CONFIG RESETSTAT), not taken from
 * the bot's word.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBot, type Bot } from '../../src/bot.js';
import { commandCalls, configValue } from '../lab/commandstats.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { fillMemory } from '../lab/redis-states.js';
import { ackText, clickPayload, findButton, payloadBody, sign, startHarness, type Harness } from './helpers/harness.js';
import { auditRecords, dumpKeysUnder } from './helpers/redis-keys.js';
import { actionIds, blockIds, textOf, type Call } from './helpers/slack-double.js';

const PASSWORD = `fix-secret-${process.pid}-Qz9`;
const AUTO = 'C0AUTO';
const GUIDED = 'C0GUIDED';

describe('approved remediations', () => {
  let cache: RedisServer;
  let guided: RedisServer;
  let h: Harness;
  let second: Bot;
  const secondLogs: string[] = [];
  // The bots' clock: moved forward to expire a request without waiting.
  let offset = 0;
  const now = () => Date.now() + offset;
  let autoFinding: Call;
  let autoParent: Call;
  let appliedId = '';

  beforeAll(async () => {
    [cache, guided] = await Promise.all([startRedis({ password: PASSWORD }), startRedis()]);
    await Promise.all([fillMemory(cache), fillMemory(guided)]);
    h = await startHarness({
      config: [
        'targets:',
        '  - name: cache',
        `    url: redis://127.0.0.1:${cache.port}`,
        '    passwordEnv: CACHE_PW',
        '    fixes: automatic',
        '  - name: guided',
        `    url: redis://127.0.0.1:${guided.port}`,
        'access:',
        '  diagnose: [U0ALICE, U0BOSS, U0CAROL]',
        '  approvers: [U0BOSS, U0CAROL]',
        '  approvalTtlSeconds: 10',
      ].join('\n'),
      env: { CACHE_PW: PASSWORD },
      now,
    });
    second = await startBot({ role: 'web', env: h.env, write: (l) => { secondLogs.push(l); }, now, progressIntervalMs: 50 });
    ({ finding: autoFinding, parent: autoParent } = await diagnoseInto(AUTO, 'cache'));
  });

  afterAll(async () => {
    await second?.stop();
    await h?.stop();
    await Promise.all([cache?.stop(), guided?.stop()]);
  });

  async function diagnoseInto(channel: string, target: string): Promise<{ finding: Call; parent: Call }> {
    await h.command({ text: target, channel });
    const match = (c: Call) => c.method === 'chat.postMessage' && c.status === 200 && c.body.channel === channel && blockIds(c).includes('finding:memory-limit-reached');
    await h.double.waitFor(`the memory finding in ${channel}`, (calls) => calls.some(match));
    const finding = h.double.calls.find(match)!;
    return { finding, parent: h.double.ok('chat.postMessage').find((c) => c.ts === finding.body.thread_ts)! };
  }

  const requests = (channel: string) => h.double.ok('chat.postMessage').filter((c) => c.body.channel === channel && blockIds(c).some((id) => id.startsWith('approval:')));

  /** Clicks the fix's button and returns the approval request it posts. */
  async function requestFix(finding: Call, remediationId: string, user: string): Promise<Call> {
    const channel = finding.body.channel!;
    const before = requests(channel).length;
    await h.click(finding, `remediate:${remediationId}`, user);
    await h.double.waitFor(`the approval request for ${remediationId}`, () => requests(channel).length === before + 1);
    return requests(channel).at(-1)!;
  }

  const idOf = (req: Call) => actionIds(req)[0]!.slice('approve:'.length);
  const updatesOf = (req: Call) => h.double.ok('chat.update').filter((c) => c.body.ts === req.ts);

  it('shows the exact command an approval will send, and refuses a non-approver and the requester, changing nothing', async () => {
    await cache.cli('CONFIG', 'RESETSTAT');
    const req = await requestFix(autoFinding, 'set-eviction-policy', 'U0CAROL');
    expect(req.body.thread_ts).toBe(autoParent.ts);
    expect(textOf(req)).toContain('sends this command to *cache*');
    expect(textOf(req)).toContain('`CONFIG SET maxmemory-policy allkeys-lru`');
    expect(textOf(req)).toContain('(not the person who asked)');
    const approve = actionIds(req)[0]!;
    expect(await h.answer(await h.click(req, approve, 'U0ALICE'))).toContain('Only approvers');
    expect(await h.answer(await h.click(req, approve, 'U0CAROL'))).toContain('You asked for this fix, so another approver must approve it');
    // An edited value and an unknown request id are refused too.
    const forged = structuredClone(req);
    for (const b of forged.body.blocks ?? []) for (const e of b.elements ?? []) if (e.action_id === approve) e.value = 'rSomethingElse';
    expect(await h.answer(await h.click(forged, approve, 'U0BOSS'))).toContain('does not refer to an approval request I know');
    const unknown = structuredClone(req);
    for (const b of unknown.body.blocks ?? []) for (const e of b.elements ?? []) if (e.action_id === approve) { e.action_id = 'approve:rNoSuchRequest0'; e.value = 'rNoSuchRequest0'; }
    expect(await h.answer(await h.click(unknown, 'approve:rNoSuchRequest0', 'U0BOSS'))).toContain('I know no approval request');

    await new Promise((r) => setTimeout(r, 300));
    expect(await configValue(cache, 'maxmemory-policy')).toBe('noeviction');
    expect(await commandCalls(cache, 'config|set')).toBe(0);
    expect(updatesOf(req)).toHaveLength(0);
    expect(await h.redis.hget(`${h.prefix}:store:remediation:${idOf(req)}`, 'state')).toBe('pending');
  });

  it('runs an approver\'s approval once — a double click and the same click on a second process at once — and verifies it healthy', async () => {
    const req = requests(AUTO).at(-1)!;
    const id = idOf(req);
    appliedId = id;
    const body = payloadBody(clickPayload(h.double, req, `approve:${id}`, 'U0BOSS', `race-${id}`));
    const toSecond = () => fetch(`http://127.0.0.1:${second.port}/slack/events`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(body, Math.floor(Date.now() / 1000)) }, body,
    });
    const statuses = await Promise.all([h.post(body).then((r) => r.status), h.post(body).then((r) => r.status), toSecond().then((r) => r.status)]);
    expect(statuses).toEqual([200, 200, 200]);

    await h.double.waitFor('the approval message showing the result', () => updatesOf(req).some((c) => textOf(c).includes('*applied*')), 20_000);
    const final = updatesOf(req).find((c) => textOf(c).includes('*applied*'))!;
    expect(actionIds(final)).toEqual([]);
    expect(textOf(final)).toContain('Approved by <@U0BOSS>');
    expect(textOf(final)).toContain('Ran `CONFIG SET maxmemory-policy allkeys-lru` on *cache*');
    expect(textOf(final)).toContain('Reply: `OK`');
    await h.double.waitFor('the outcome in the thread', (calls) => calls.some((c) => c.method === 'chat.postMessage' && blockIds(c).includes(`outcome:${id}`)));
    expect(h.double.ok('chat.postMessage').find((c) => blockIds(c).includes(`outcome:${id}`))!.body.thread_ts).toBe(autoParent.ts);

    // The verifying re-diagnosis, in the same thread.
    const verified = (c: Call) => c.method === 'chat.update' && c.body.channel === AUTO && blockIds(c).includes('verification');
    await h.double.waitFor('the verification verdict', (calls) => calls.some(verified), 20_000);
    const verdict = h.double.calls.find(verified)!;
    expect(textOf(verdict)).toContain('verified: healthy');
    expect(h.double.ok('chat.postMessage').find((c) => c.ts === verdict.body.ts)?.body.thread_ts).toBe(autoParent.ts);

    // The diagnosis's parent no longer says degraded: it says who fixed what, above the verdict it was asked for.
    const fixed = (c: Call) => c.method === 'chat.update' && c.body.ts === autoParent.ts && blockIds(c).includes('fix');
    await h.double.waitFor('the parent edited after the verified fix', (calls) => calls.some(fixed), 20_000);
    const edited = h.double.calls.filter(fixed).at(-1)!;
    expect(blockIds(edited)[0]).toBe('fix');
    expect(textOf(edited)).toContain('*Fixed* by <@U0BOSS>, was `memory-limit-reached`');
    expect(textOf(edited)).toContain('Before the fix: :large_orange_circle:');
    expect(edited.body.text).toBe('cache: fixed by <@U0BOSS>, was memory-limit-reached');

    // Once, on the target itself.
    expect(await configValue(cache, 'maxmemory-policy')).toBe('allkeys-lru');
    expect(await commandCalls(cache, 'config|set')).toBe(1);
    const answers = h.double.calls.filter((c) => c.path === `/response/race-${id}`).map(textOf);
    expect(answers).toHaveLength(2);
    for (const a of answers) expect(a).toContain('already decided');

    // Clicked again later: nothing more.
    expect(await h.answer(await h.click(req, `approve:${id}`, 'U0CAROL'))).toContain('*applied* by <@U0BOSS>');
    await new Promise((r) => setTimeout(r, 300));
    expect(await commandCalls(cache, 'config|set')).toBe(1);

    const metric = async (url: string) => Number(/redis_doctor_remediations_total\{outcome="applied"\} (\d+)/.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);
    expect((await metric(h.url)) + (await metric(`http://127.0.0.1:${second.port}`))).toBe(1);
    const events = (await auditRecords(h.redis, h.prefix)).filter((r) => Object.values(r).includes(id)).map((r) => r.event);
    expect(events).toEqual(['requested', 'click-refused', 'click-refused', 'approved', 'started', 'applied']);
  });

  it('refuses an expired request, changing nothing, and lets the same fix be asked for again', async () => {
    const req = await requestFix(autoFinding, 'raise-maxmemory', 'U0ALICE');
    const maxmemory = await configValue(cache, 'maxmemory');
    offset += 11_000;
    const answer = await h.answer(await h.click(req, `approve:${idOf(req)}`, 'U0BOSS'));
    expect(answer).toContain('expired');
    expect(answer).toContain('nothing was decided or run');
    await h.double.waitFor('the request marked expired', () => updatesOf(req).some((c) => textOf(c).includes('*expired*')));
    expect(actionIds(updatesOf(req).at(-1))).toEqual([]);
    expect(await h.answer(await h.click(req, `approve:${idOf(req)}`, 'U0CAROL'))).toContain('expired');
    await new Promise((r) => setTimeout(r, 300));
    expect(await configValue(cache, 'maxmemory')).toBe(maxmemory);
    expect(await commandCalls(cache, 'config|set')).toBe(1);
    const again = await requestFix(autoFinding, 'raise-maxmemory', 'U0ALICE');
    expect(idOf(again)).not.toBe(idOf(req));
  });

  /** The same signed body, posted to the second bot process (on the same queue and prefix). */
  const toSecond = (body: string) => fetch(`http://127.0.0.1:${second.port}/slack/events`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(body, Math.floor(Date.now() / 1000)) }, body,
  });
  const stepsIn = (channel: string, remediationId: string) => h.double.ok('chat.postMessage').filter((c) => c.body.channel === channel && blockIds(c).includes(`steps:${remediationId}`));

  it('offers approval only for what runs: on a `fixes: automatic` target its automatic fixes ask, its guided one shows steps', () => {
    const ids = actionIds(autoFinding);
    expect(ids).toContain('remediate:set-eviction-policy');
    expect(ids).toContain('remediate:raise-maxmemory');
    expect(ids).toContain('steps:free-memory');
    expect(ids).not.toContain('remediate:free-memory');
    // Its push text names the target and the cause.
    expect(autoFinding.body.text).toMatch(/^(critical|warning): cache: .* \(memory-limit-reached\)$/);
  });

  it('never changes a `fixes: guided` target: its fixes post their steps at once as code, once for a double click on two processes, with no approval, audited as a view', async () => {
    const { finding, parent } = await diagnoseInto(GUIDED, 'guided');
    await guided.cli('CONFIG', 'RESETSTAT');
    // An automatic fix on a guided target runs nothing, so its button shows steps and says nothing about changing the server.
    expect(actionIds(finding).filter((id) => id.startsWith('remediate:'))).toEqual([]);
    expect(actionIds(finding)).toContain('steps:set-eviction-policy');
    expect(JSON.stringify(finding.body.blocks)).not.toContain('changes the server');
    const before = requests(GUIDED).length;

    const body = payloadBody(clickPayload(h.double, finding, 'steps:set-eviction-policy', 'U0ALICE', `steps-race-${process.pid}`));
    const statuses = await Promise.all([h.post(body).then((r) => r.status), h.post(body).then((r) => r.status), toSecond(body).then((r) => r.status)]);
    expect(statuses).toEqual([200, 200, 200]);
    await h.double.waitFor('the steps', () => stepsIn(GUIDED, 'set-eviction-policy').length > 0);
    const answers = async () => h.double.calls.filter((c) => c.path === `/response/steps-race-${process.pid}`).map(textOf);
    await h.double.waitFor('the other two clicks answered', () => h.double.calls.filter((c) => c.path === `/response/steps-race-${process.pid}`).length === 2);
    for (const a of await answers()) expect(a).toContain('just posted');
    await new Promise((r) => setTimeout(r, 300));
    expect(stepsIn(GUIDED, 'set-eviction-policy')).toHaveLength(1);
    const steps = stepsIn(GUIDED, 'set-eviction-policy')[0]!;
    expect(steps.body.thread_ts).toBe(parent.ts);
    expect(textOf(steps)).toContain('CONFIG SET maxmemory-policy allkeys-lru```');
    expect(textOf(steps)).toContain('redis-doctor ran nothing');
    expect(steps.body.text).toBe('Steps for guided: Let Redis evict keys at the limit (maxmemory-policy allkeys-lru) (memory-limit-reached), for <@U0ALICE>');
    expect(requests(GUIDED)).toHaveLength(before);
    const audit = (await auditRecords(h.redis, h.prefix)).filter((r) => r.event === 'steps-shown' && r.channel === GUIDED);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ by: 'U0ALICE', target: 'guided', cause: 'memory-limit-reached', remediationId: 'set-eviction-policy', outcome: 'viewed', plan: 'steps' });

    // Its re-check is a fresh diagnosis in the same thread.
    const recheck = actionIds(steps)[0]!;
    expect(recheck).toMatch(/^recheck:d\./);
    await h.click(steps, recheck, 'U0ALICE');
    const rechecked = (c: Call) => c.method === 'chat.update' && c.body.channel === GUIDED && blockIds(c).includes('heading');
    await h.double.waitFor('the recheck verdict', (calls) => calls.some(rechecked), 20_000);
    expect(textOf(h.double.calls.find(rechecked))).toContain('`memory-limit-reached`');
    expect(await configValue(guided, 'maxmemory-policy')).toBe('noeviction');
    expect(await commandCalls(guided, 'config|set')).toBe(0);
  });

  it('refuses a steps click from another channel, and an edited value, posting nothing', async () => {
    const finding = h.double.ok('chat.postMessage').find((c) => c.body.channel === GUIDED && blockIds(c).includes('finding:memory-limit-reached'))!;
    const tag = `steps-elsewhere-${process.pid}`;
    expect((await h.post(payloadBody(clickPayload(h.double, finding, 'steps:free-memory', 'U0CAROL', tag, 'C0ELSEWHERE')))).status).toBe(200);
    expect(await h.answer(tag)).toContain('belongs to a diagnosis posted in another conversation');
    const tampered = structuredClone(finding);
    for (const b of tampered.body.blocks ?? []) for (const e of b.elements ?? []) if (e.action_id === 'steps:free-memory') e.value = e.value!.replace('free-memory', 'raise-maxmemory');
    expect(await h.answer(await h.click(tampered, 'steps:free-memory', 'U0CAROL'))).toContain('does not refer to a remediation I know');
    expect(await h.answer(await h.click(finding, 'steps:free-memory', 'U0MALLORY'))).toContain('not allowed');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.double.ok('chat.postMessage').filter((c) => c.body.channel === 'C0ELSEWHERE')).toHaveLength(0);
    expect(stepsIn(GUIDED, 'free-memory')).toHaveLength(0);
    expect((await auditRecords(h.redis, h.prefix)).find((r) => r.event === 'click-refused' && r.remediationId === 'free-memory')).toMatchObject({ by: 'U0CAROL', channel: 'C0ELSEWHERE', outcome: 'refused' });
  });

  it('escapes hostile text in steps: nothing formats or notifies', async () => {
    // A stored diagnosis whose steps carry what a hostile server could put there, posted in GUIDED.
    const finding = h.double.ok('chat.postMessage').find((c) => c.body.channel === GUIDED && blockIds(c).includes('finding:memory-limit-reached'))!;
    const ref = JSON.parse(findButton(finding, 'steps:free-memory').value!) as { d: string };
    const stored = JSON.parse((await h.redis.get(`${h.prefix}:store:diagnosis:${ref.d}`))!) as { findings: { cause: string; remediations: { id: string; steps: string[] }[] }[] };
    const fix = stored.findings.find((f) => f.cause === 'memory-limit-reached')!.remediations.find((r) => r.id === 'free-memory')!;
    fix.steps = ['redis-cli *bold* _it_ ~strike~ <!channel> <@U0EVE> ``` done'];
    const id = `hostile-${process.pid}`;
    await h.redis.set(`${h.prefix}:store:diagnosis:${id}`, JSON.stringify(stored), 'EX', 600);
    await h.redis.set(`${h.prefix}:store:diagnosis-channel:${id}`, GUIDED, 'EX', 600);
    const forged = structuredClone(finding);
    for (const b of forged.body.blocks ?? []) for (const e of b.elements ?? []) if (e.value) e.value = e.value.replace(ref.d, id);
    await h.click(forged, 'steps:free-memory', 'U0ALICE');
    await h.double.waitFor('the hostile steps', () => stepsIn(GUIDED, 'free-memory').length === 1);
    const posted = stepsIn(GUIDED, 'free-memory')[0]!;
    const text = JSON.stringify(posted.body);
    expect(textOf(posted)).toContain('```redis-cli *bold* _it_ ~strike~ &lt;!channel&gt; &lt;@U0EVE&gt; ˋˋˋ done```');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U0EVE>');
  });

  it('shows the audit trail to approvers only', async () => {
    const boss = ackText((await h.command({ text: 'audit', user: 'U0BOSS' })).json);
    expect(boss).toContain('Audit trail');
    expect(boss).toContain('*applied*');
    expect(boss).toContain(appliedId);
    expect(boss).toContain('`CONFIG SET maxmemory-policy allkeys-lru`');
    expect(boss).toContain('*expired*');
    // The steps shown earlier are in the trail as a view.
    expect(boss).toContain('*steps-shown*');
    expect(boss).toContain('outcome *viewed*');
    for (const user of ['U0ALICE', 'U0MALLORY']) {
      const other = ackText((await h.command({ text: 'audit', user })).json);
      expect(other).toContain('Only approvers');
      expect(other).not.toContain(appliedId);
    }
  });

  it('never lets the target password out: Slack calls, log lines, job records, audit entries', async () => {
    const keys = await dumpKeysUnder(h.redis, h.prefix);
    expect([...keys.keys()].some((k) => k.includes(':remediate:'))).toBe(true);
    expect([...keys.keys()].some((k) => k.endsWith(':store:audit-log'))).toBe(true);
    for (const [key, value] of keys) expect(value.includes(PASSWORD), key).toBe(false);
    expect(JSON.stringify(h.double.calls)).not.toContain(PASSWORD);
    expect(h.logs.join('\n')).not.toContain(PASSWORD);
    expect(secondLogs.join('\n')).not.toContain(PASSWORD);
    // The logs do hold the audit lines: the check above looked at something.
    expect(h.logs.concat(secondLogs).filter((l) => l.includes('"msg":"audit"') && l.includes(appliedId)).length).toBe(6);
  });
});

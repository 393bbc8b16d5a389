/**
 * Remediation buttons → approval requests → decisions, driven with signed
 * `payload=` bodies as Slack sends block_actions, on a target with the
 * default `fixes: guided` (nothing is ever run there; test/slack/remediation.test.ts
 * runs fixes and shows `steps:`). A guided target's findings carry `steps:`
 * buttons now; its `remediate:` buttons are those of messages posted before
 * (or of a target whose `fixes` changed since): approving one posts the steps. Approval is for access.approvers only; double clicks are
 * idempotent; every request and decision is audited (log line + stream entry).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../lab/poll.js';
import { connectRaw, type RawClient } from '../lab/raw-client.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { clickPayload, findButton, payloadBody, startHarness, type Harness } from './helpers/harness.js';
import { auditRecords } from './helpers/redis-keys.js';
import { actionIds, blockIds, textOf, type Call } from './helpers/slack-double.js';

const CHANNEL = 'C0ACTIONS';

describe('remediation approvals', () => {
  let full: RedisServer;
  let holder: RawClient;
  let h: Harness;
  let parent: Call;
  let posted: Call;
  let finding: Call;
  let clicks = 0;

  /** The finding as a message posted before `steps:` existed showed it: every fix behind `remediate:`. */
  function withRemediateButtons(message: Call): Call {
    const old = structuredClone(message);
    for (const b of old.body.blocks ?? []) for (const e of b.elements ?? []) if (e.action_id?.startsWith('steps:')) e.action_id = `remediate:${e.action_id.slice('steps:'.length)}`;
    return old;
  }

  beforeAll(async () => {
    // maxclients 1 and one connection held: the next client gets "-ERR max number of clients reached".
    full = await startRedis({ args: ['--maxclients', '1'] });
    holder = await connectRaw(full.host, full.port);
    expect(await holder.command('PING')).toBe('+PONG');
    h = await startHarness({
      config: [
        'targets:',
        '  - name: full',
        `    url: redis://127.0.0.1:${full.port}`,
        'access:',
        '  diagnose: [U0ALICE, U0BOSS, U0CAROL]',
        '  approvers: [U0BOSS, U0CAROL]',
      ].join('\n'),
    });
    await h.command({ text: 'full', channel: CHANNEL });
    await h.double.waitFor('the max-clients finding', (calls) => calls.some((c) => c.method === 'chat.postMessage' && c.status === 200 && blockIds(c).includes('finding:max-clients-reached')));
    posted = h.double.ok('chat.postMessage').find((c) => blockIds(c).includes('finding:max-clients-reached'))!;
    finding = withRemediateButtons(posted);
    parent = h.double.ok('chat.postMessage').find((c) => c.ts === finding.body.thread_ts)!;
  });

  afterAll(async () => {
    holder?.close();
    await h?.stop();
    await full?.stop();
  });

  /** Clicks a button as `user`, exactly as Slack posts a block_actions payload (harness.clickPayload). */
  async function click(message: Call, actionId: string, user: string) {
    clicks += 1;
    const tag = `click-${clicks}`;
    const r = await h.post(payloadBody(clickPayload(h.double, message, actionId, user, tag)));
    expect(r.status).toBe(200);
    return tag;
  }

  function approvalRequests(): Call[] {
    return h.double.ok('chat.postMessage').filter((c) => blockIds(c).some((id) => id.startsWith('approval:')));
  }

  it('renders a guided target\'s fixes as short steps: buttons with reference values and no approval dialog', () => {
    const ids = actionIds(posted);
    expect(ids).toContain('steps:raise-maxclients');
    expect(ids).toContain('steps:set-idle-timeout');
    expect(ids.filter((id) => id.startsWith('remediate:'))).toEqual([]);
    for (const id of ids) {
      const button = findButton(posted, id);
      expect(button.confirm).toBeUndefined();
      expect((button.text as { text: string }).text.length).toBeLessThanOrEqual(30);
      expect(JSON.parse(button.value!)).toMatchObject({ c: 'max-clients-reached', r: id.slice('steps:'.length) });
    }
    expect(JSON.stringify(posted.body.blocks)).not.toContain('changes the server');
  });

  it('posts one approval request in the thread, however often the button is clicked', async () => {
    await click(finding, 'remediate:raise-maxclients', 'U0ALICE');
    await h.double.waitFor('the approval request', () => approvalRequests().length === 1);
    const second = await click(finding, 'remediate:raise-maxclients', 'U0ALICE');
    const answer = await waitResponse(second);
    expect(answer).toContain('already requested by <@U0ALICE>');
    expect(approvalRequests()).toHaveLength(1);
    const req = approvalRequests()[0]!;
    expect(req.body.thread_ts).toBe(parent.ts);
    const ids = actionIds(req);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toMatch(/^approve:r[A-Za-z0-9_-]+$/);
    expect(ids[1]).toBe(ids[0]!.replace('approve:', 'deny:'));
    // The button values are the request id: a reference, nothing else.
    expect(findButton(req, ids[0]!).value).toBe(ids[0]!.slice('approve:'.length));
    expect(textOf(req)).toContain('<@U0BOSS>, <@U0CAROL>');
  });

  it('refuses approval by someone who is not an approver, ephemerally, deciding nothing', async () => {
    const req = approvalRequests()[0]!;
    const approve = actionIds(req)[0]!;
    const tag = await click(req, approve, 'U0ALICE');
    expect(await waitResponse(tag)).toContain('Only approvers');
    expect(h.double.ok('chat.update').filter((c) => c.body.ts === req.ts)).toHaveLength(0);
  });

  it('records an approver\'s approval once on a guided target: steps and a recheck button, nothing run, audited', async () => {
    const req = approvalRequests()[0]!;
    const approve = actionIds(req)[0]!;
    const requestId = approve.slice('approve:'.length);
    // `fixes` is not set for this target (guided): the request says nothing will run.
    expect(textOf(req)).toContain('nothing is run');
    expect(textOf(req)).toContain('`fixes: guided`');
    await click(req, approve, 'U0BOSS');
    await h.double.waitFor('the decided approval message', (calls) => calls.some((c) => c.method === 'chat.update' && c.body.ts === req.ts));
    const decided = h.double.ok('chat.update').find((c) => c.body.ts === req.ts)!;
    expect(textOf(decided)).toContain('*approved (guided)*');
    expect(textOf(decided)).toContain('Approved by <@U0BOSS>');
    expect(actionIds(decided)).toEqual([]);

    // The steps, with a recheck button for the verifying re-diagnosis; no diagnosis is started by itself.
    await h.double.waitFor('the steps', (calls) => calls.some((c) => c.method === 'chat.postMessage' && blockIds(c).includes(`steps:${requestId}`)));
    const steps = h.double.ok('chat.postMessage').find((c) => blockIds(c).includes(`steps:${requestId}`))!;
    expect(steps.body.thread_ts).toBe(parent.ts);
    expect(textOf(steps)).toContain('CONFIG SET maxclients');
    expect(actionIds(steps)).toEqual([`recheck:a.${requestId}`]);

    // A second click by another approver finds the first decision.
    const again = await click(req, approve, 'U0CAROL');
    expect(await waitResponse(again)).toContain('*approved* by <@U0BOSS>');
    expect(h.double.ok('chat.update').filter((c) => c.body.ts === req.ts)).toHaveLength(1);

    // The recheck runs a fresh diagnosis into the thread, reported as a verification.
    await click(steps, `recheck:a.${requestId}`, 'U0ALICE');
    await h.double.waitFor('the verification verdict', (calls) => calls.some((c) => c.method === 'chat.update' && blockIds(c).includes('verification')));
    const verify = h.double.ok('chat.update').find((c) => blockIds(c).includes('verification'))!;
    expect(textOf(verify)).toContain('not fixed: still wrong');
    expect(textOf(verify)).toContain('`max-clients-reached`');
    expect(h.double.ok('chat.postMessage').find((c) => c.ts === verify.body.ts)?.body.thread_ts).toBe(parent.ts);

    const records = (await auditRecords(h.redis, h.prefix)).filter((r) => r.requestId === requestId);
    expect(records.map((r) => [r.event, r.by])).toEqual([['requested', 'U0ALICE'], ['click-refused', 'U0ALICE'], ['approved', 'U0BOSS']]);
    expect(records[2]).toMatchObject({ target: 'full', cause: 'max-clients-reached', remediationId: 'raise-maxclients', mode: 'automatic', plan: 'steps', outcome: 'approved', requestedBy: 'U0ALICE', decidedBy: 'U0BOSS' });
    const auditLines = h.logs.filter((l) => l.includes('"msg":"audit"') && l.includes(requestId));
    expect(auditLines).toHaveLength(3);
  });

  it('posts the steps of an approved guided remediation; a denial is recorded with no steps', async () => {
    await click(finding, 'remediate:find-client-leak', 'U0CAROL');
    await h.double.waitFor('the second approval request', () => approvalRequests().length === 2);
    const guided = approvalRequests()[1]!;
    await click(guided, actionIds(guided)[0]!, 'U0BOSS');
    const guidedId = actionIds(guided)[0]!.slice('approve:'.length);
    await h.double.waitFor('the guided steps', (calls) => calls.some((c) => c.method === 'chat.postMessage' && blockIds(c).includes(`steps:${guidedId}`)));
    const steps = h.double.ok('chat.postMessage').find((c) => blockIds(c).includes(`steps:${guidedId}`))!;
    expect(steps.body.thread_ts).toBe(parent.ts);
    expect(textOf(steps)).toMatch(/\*1\.\*\n```/);

    await click(finding, 'remediate:set-idle-timeout', 'U0ALICE');
    await h.double.waitFor('the third approval request', () => approvalRequests().length === 3);
    const denied = approvalRequests()[2]!;
    await click(denied, actionIds(denied)[1]!, 'U0CAROL');
    await h.double.waitFor('the denial', (calls) => calls.some((c) => c.method === 'chat.update' && c.body.ts === denied.ts));
    const deniedView = textOf(h.double.ok('chat.update').find((c) => c.body.ts === denied.ts));
    expect(deniedView).toContain('*denied*');
    expect(deniedView).toContain('Denied by <@U0CAROL>');
    const deniedId = actionIds(denied)[1]!.slice('deny:'.length);
    const after = h.double.ok('chat.postMessage').flatMap((c) => blockIds(c));
    expect(after).not.toContain(`steps:${deniedId}`);
    const audit = await auditRecords(h.redis, h.prefix);
    expect(audit.find((r) => r.requestId === deniedId && r.event === 'denied')).toMatchObject({ by: 'U0CAROL', remediationId: 'set-idle-timeout', outcome: 'denied' });
    // Denied frees the fix: it can be asked for again.
    await click(finding, 'remediate:set-idle-timeout', 'U0ALICE');
    await h.double.waitFor('the fourth approval request', () => approvalRequests().length === 4);
  });

  it('refuses a button value that does not match its action id', async () => {
    const tampered = structuredClone(finding);
    for (const b of tampered.body.blocks ?? []) for (const e of b.elements ?? []) if (e.action_id === 'remediate:raise-maxclients') e.value = e.value!.replace('raise-maxclients', 'set-idle-timeout');
    const tag = await click(tampered, 'remediate:raise-maxclients', 'U0ALICE');
    expect(await waitResponse(tag)).toContain('does not refer to a remediation I know');
  });

  it('refuses a remediate click from another channel than its diagnosis: nothing posted, audited with that channel', async () => {
    const before = approvalRequests().length;
    clicks += 1;
    const tag = `click-${clicks}`;
    // The finding's button as if shown in another channel (a forged payload, or the value copied there).
    const forged = clickPayload(h.double, finding, 'remediate:raise-nofile-limit', 'U0CAROL', tag, 'C0ELSEWHERE');
    expect((await h.post(payloadBody(forged))).status).toBe(200);
    expect(await waitResponse(tag)).toContain('belongs to a diagnosis posted in another conversation: ask for the fix there. Nothing was requested.');
    const audit = await pollUntil(async () => (await auditRecords(h.redis, h.prefix)).find((r) => r.event === 'click-refused' && r.remediationId === 'raise-nofile-limit'), { what: 'the refusal audited', timeoutMs: 5000 });
    expect(audit).toMatchObject({ by: 'U0CAROL', channel: 'C0ELSEWHERE', cause: 'max-clients-reached', outcome: 'refused', requestId: '' });
    expect(approvalRequests()).toHaveLength(before);
    expect(h.double.ok('chat.postMessage').filter((c) => c.body.channel === 'C0ELSEWHERE')).toHaveLength(0);
  });

  it('says so when Slack refuses the approval request, leaves nothing pending, and lets the next click ask again', async () => {
    // The verifying re-diagnosis (second job) has posted all it will: the refused post below can only be ours.
    await pollUntil(async () => (/redis_doctor_jobs_total\{outcome="completed"\} 2/.test(await (await fetch(`${h.url}/metrics`)).text()) ? true : undefined), { what: 'both jobs completed', timeoutMs: 10_000 });
    const before = approvalRequests().length;
    h.double.failWith('chat.postMessage', 'not_in_channel', 1);
    const first = await click(finding, 'remediate:raise-nofile-limit', 'U0ALICE');
    const answer = await waitResponse(first);
    expect(answer).toContain('could not be posted in this thread, so nothing is pending');
    expect(answer).toContain('not_in_channel');
    expect(answer).not.toContain('nothing was recorded');
    expect(approvalRequests()).toHaveLength(before);
    await click(finding, 'remediate:raise-nofile-limit', 'U0ALICE');
    await h.double.waitFor('the approval request, asked again', () => approvalRequests().length === before + 1);
  });

  it('says the decision is recorded when only the post after it fails', async () => {
    const req = approvalRequests().at(-1)!;
    const requestId = actionIds(req)[0]!.slice('approve:'.length);
    h.double.failWith('chat.postMessage', 'not_in_channel', 1);
    const tag = await click(req, actionIds(req)[0]!, 'U0BOSS');
    const answer = await waitResponse(tag);
    expect(answer).toContain('The decision is recorded (approved)');
    expect(answer).toContain('not_in_channel');
    const audit = await auditRecords(h.redis, h.prefix);
    expect(audit.find((r) => r.requestId === requestId && r.event === 'approved')).toMatchObject({ by: 'U0BOSS', remediationId: 'raise-nofile-limit' });
  });

  /** The ephemeral answer sent to a click's response_url (`/response/<tag>`). */
  async function waitResponse(tag: string): Promise<string> {
    const path = `/response/${tag}`;
    await h.double.waitFor(`the ephemeral answer to ${tag}`, (calls) => calls.some((c) => c.path === path));
    const c = h.double.calls.find((x) => x.path === path)!;
    expect(c.body.response_type).toBe('ephemeral');
    expect(c.body.replace_original).toBe(false);
    return textOf(c);
  }
});

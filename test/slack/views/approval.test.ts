/** Pure renderers of approvals, outcomes, the audit answer and verification verdicts: escaping and Block Kit limits. */
import { describe, expect, it } from 'vitest';
import type { Diagnosis } from '../../../src/engine/model/types.js';
import type { ApprovalRequest, Ledger } from '../../../src/stores/approval-store.js';
import type { AuditEntry } from '../../../src/stores/audit-log.js';
import { renderApprovalRequest, renderGuidedSteps, renderOutcome, renderRequestStatus } from '../../../src/slack/views/approval.js';
import { renderAudit } from '../../../src/slack/views/audit.js';
import { renderSteps } from '../../../src/slack/views/steps.js';
import { renderResult } from '../../../src/slack/views/diagnosis.js';
import { LIMITS } from '../../../src/slack/views/limits.js';

const request: ApprovalRequest = {
  id: 'rABC', diagnosisId: 'd-1', target: { input: 'cache', name: 'cache', host: '10.0.0.5', port: 6379, tls: false }, cause: 'memory-limit-reached',
  remediation: { id: 'set-eviction-policy', title: 'Evict', risk: 'medium', mode: 'automatic', steps: ['do <b>'], redisCommand: ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'] },
  requestedBy: 'U0ALICE', channel: 'C1', threadTs: '1.2', createdAt: '2030-01-01T00:00:00.000Z', expiresAt: '2030-01-01T00:15:00.000Z',
};

const all = (r: { blocks: unknown[] }) => JSON.stringify(r.blocks);

describe('approval views', () => {
  it('shows the command that will run and when the request expires', () => {
    const r = renderApprovalRequest(request, { approvers: ['U0BOSS'], selfApproval: false, plan: { plan: 'run', argv: request.remediation.redisCommand!, hash: 'h' } });
    expect(all(r)).toContain('`CONFIG SET maxmemory-policy allkeys-lru`');
    expect(all(r)).toContain('<!date^1893456900^');
    expect(all(r)).toContain('(not the person who asked)');
  });

  it('escapes a hostile reply and reason in the status and the outcome, and drops the buttons', () => {
    const l: Ledger = { request, state: 'failed', plan: 'run', sent: true, decidedBy: 'U0BOSS', decidedAt: '2030-01-01T00:01:00.000Z', reply: '-ERR <!channel> `x` <https://evil|y>', reason: 'because <@U0EVE>' };
    for (const r of [renderRequestStatus(l), renderOutcome(l, true)]) {
      const text = all(r);
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<https://evil');
      expect(text).not.toContain('<@U0EVE>');
      expect(text).toContain('&lt;!channel&gt;');
      expect(r.blocks.some((b) => b.type === 'actions')).toBe(false);
    }
    expect(all(renderOutcome(l, true))).toContain('A verifying re-diagnosis follows');
  });

  it('offers the guided steps with a recheck:a.<id> button', () => {
    const r = renderGuidedSteps({ request, state: 'approved', plan: 'steps', decidedBy: 'U0BOSS' });
    const actions = r.blocks.find((b) => b.type === 'actions') as { elements: { action_id: string; value: string }[] };
    expect(actions.elements.map((e) => [e.action_id, e.value])).toEqual([['recheck:a.rABC', 'a.rABC']]);
    expect(all(r)).toContain('```do &lt;b&gt;```');
    expect(r.text).toBe('Steps for cache: Evict (memory-limit-reached), approved by <@U0BOSS>');
  });

  it('names the target, the cause and people as mentions in every push text', () => {
    const l: Ledger = { request, state: 'applied', plan: 'run', sent: true, decidedBy: 'U0BOSS', decidedAt: '2030-01-01T00:01:00.000Z' };
    expect(renderRequestStatus(l).text).toBe('cache: Evict (memory-limit-reached): applied by <@U0BOSS>');
    expect(renderOutcome(l, false).text).toBe('cache: Evict (memory-limit-reached): applied, approved by <@U0BOSS>');
    const hostile = renderApprovalRequest({ ...request, requestedBy: '<!channel>', remediation: { ...request.remediation, title: '<!here> *x*' } }, { approvers: [], selfApproval: false, plan: { plan: 'steps', why: 'x' } });
    expect(hostile.text).toBe('Approval requested by &lt;!channel&gt; for cache: &lt;!here&gt; *x* (memory-limit-reached)');
  });
});

describe('renderSteps', () => {
  const hostile = { ...request.remediation, mode: 'guided' as const, steps: ['redis-cli *bold* _it_ ~strike~ <!channel> <@U0EVE> ``` & done', 'x'.repeat(5000)], verify: 'PING <!here>' };
  const r = renderSteps({ target: request.target, cause: 'memory-limit-reached', remediation: hostile, by: 'U0ALICE', recheck: 'd.d-1', blockId: 'steps:set-eviction-policy' });

  it('posts each step as a code block, escaped: nothing formats or notifies', () => {
    const text = all(r);
    expect(text).toContain('*1.*\\n```redis-cli *bold* _it_ ~strike~ &lt;!channel&gt; &lt;@U0EVE&gt; ˋˋˋ &amp; done```');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U0EVE>');
    expect(text).not.toContain('<!here>');
    expect(text).toContain('_Verify:_\\n```PING &lt;!here&gt;```');
    // Every fence opened is closed: an even number of ``` in each section.
    for (const b of r.blocks) if (b.type === 'section') expect((b.text!.text.match(/```/g) ?? []).length % 2).toBe(0);
  });

  it('stays within Slack\'s limits, says nothing ran, and offers a recheck', () => {
    expect(r.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
    for (const b of r.blocks) if (b.type === 'section') expect(b.text!.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(r.blocks[0]!.block_id).toBe('steps:set-eviction-policy');
    expect(all(r)).toContain('redis-doctor ran nothing');
    const actions = r.blocks.find((b) => b.type === 'actions') as { elements: { action_id: string; value: string }[] };
    expect(actions.elements.map((e) => [e.action_id, e.value])).toEqual([['recheck:d.d-1', 'd.d-1']]);
    expect(r.text).toBe('Steps for cache: Evict (memory-limit-reached), for <@U0ALICE>');
  });
});

describe('renderAudit', () => {
  it('stays within Slack\'s limits however long the entries are', () => {
    const entries: AuditEntry[] = Array.from({ length: 25 }, (_, i) => ({
      id: `${i}-0`,
      record: {
        at: '2030-01-01T00:00:00.000Z', event: 'failed', by: 'worker:h:1', requestId: `r${i}`, diagnosisId: 'd', target: 'cache', cause: 'busy-script',
        remediationId: 'kill-busy-script', risk: 'low', mode: 'automatic', plan: 'run', command: 'SCRIPT KILL', requestedBy: 'U0ALICE', requestedAt: 'x',
        decidedBy: 'U0BOSS', outcome: 'failed', reply: `${'<x>'.repeat(400)}`, reason: 'r'.repeat(2000), channel: 'C1',
      },
    }));
    const r = renderAudit(entries, 25);
    expect(r.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
    for (const b of r.blocks) if (b.type === 'section') expect(b.text!.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(all(r)).not.toContain('<x>');
    expect(all(r)).toContain('`r24`');
  });

  it('says when the trail is empty', () => {
    expect(renderAudit([], 25).text).toContain('empty');
  });
});

describe('verification verdicts', () => {
  const base: Diagnosis = { target: request.target, verdict: 'healthy', primaryCause: null, findings: [], checks: [], durationMs: 3, startedAt: '2030-01-01T00:00:00.000Z', version: '0.1.0' };
  it('says verified: healthy, or the new primary cause', () => {
    expect(all(renderResult(base, { verification: true }))).toContain('verified: healthy');
    const sick: Diagnosis = { ...base, verdict: 'degraded', primaryCause: 'memory-limit-reached', findings: [{ cause: 'memory-limit-reached', severity: 'critical', confidence: 'confirmed', title: 'At the limit', evidence: [], remediations: [] }] };
    const text = all(renderResult(sick, { verification: true }));
    expect(text).toContain('not fixed: still wrong — At the limit (`memory-limit-reached`)');
    expect(all(renderResult(sick))).not.toContain('still wrong');
  });
});

/** The pure renderer: ids of INTERFACES.md section 6, Block Kit limits, escaping. */
import { describe, expect, it } from 'vitest';
import type { Diagnosis, Finding, Remediation } from '../../../src/engine/model/types.js';
import { configSchema } from '../../../src/config/schema.js';
import { evidenceText, renderFailure, renderFinding, renderResult } from '../../../src/slack/views/diagnosis.js';
import { renderHelp } from '../../../src/slack/views/commands.js';
import { renderApprovalRequest } from '../../../src/slack/views/approval.js';
import { LIMITS } from '../../../src/slack/views/limits.js';
import { decodeRemediateRef } from '../../../src/slack/refs.js';

function remediation(id: string, extra: Partial<Remediation> = {}): Remediation {
  return { id, title: `Fix ${id}`, risk: 'low', mode: 'guided', steps: ['redis-cli CONFIG SET x y'], ...extra };
}

function finding(extra: Partial<Finding> = {}): Finding {
  return { cause: 'protected-mode', severity: 'critical', confidence: 'confirmed', title: 'Redis refuses remote clients: protected mode', evidence: ['-DENIED Redis is running in protected mode'], remediations: [remediation('set-requirepass')], ...extra };
}

function diagnosis(findings: Finding[]): Diagnosis {
  return {
    target: { input: 'cache-prod', name: 'cache-prod', host: '10.0.0.5', port: 6379, tls: false },
    verdict: findings.length ? 'unreachable' : 'healthy',
    primaryCause: findings[0]?.cause ?? null,
    findings,
    checks: [{ id: 'tcp-connect', status: 'pass', durationMs: 1, detail: 'connected' }],
    durationMs: 12.6,
    startedAt: '2024-01-01T00:00:00.000Z',
    version: '0.1.0',
  };
}

type AnyBlock = { type: string; block_id?: string; text?: { text: string }; elements?: { action_id?: string; value?: string; text?: { text: string }; confirm?: unknown; style?: string }[] };
const blocksOf = (r: { blocks: unknown[] }) => r.blocks as AnyBlock[];

describe('renderFinding', () => {
  it('gives the finding section block_id finding:<cause>, a guided fix steps:<id> and a fix that runs remediate:<id>, each with a reference value', () => {
    const r = renderFinding(finding({ remediations: [remediation('set-requirepass', { risk: 'medium' }), remediation('bind-private-address', { risk: 'high', mode: 'automatic' })] }), 'd-abc');
    const blocks = blocksOf(r);
    expect(blocks[0]!.block_id).toBe('finding:protected-mode');
    expect(blocks[0]!.text!.text).toContain('*Redis refuses remote clients: protected mode*');
    expect(blocks[0]!.text!.text).toContain('severity *critical* · confirmed · cause `protected-mode`');
    const buttons = blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements!);
    expect(buttons.map((b) => b.action_id)).toEqual(['steps:set-requirepass', 'remediate:bind-private-address']);
    expect(decodeRemediateRef(buttons[0]!.value)).toEqual({ diagnosisId: 'd-abc', cause: 'protected-mode', remediationId: 'set-requirepass' });
    // Showing steps changes nothing: no dialog, and nothing that says it changes the server.
    expect(buttons[0]!.confirm).toBeUndefined();
    expect(blocks.find((b) => b.block_id === 'fixes:protected-mode')!.text!.text).toContain('guided: steps to follow, nothing is run');
    expect(buttons[1]!.confirm).toMatchObject({ style: 'danger' });
    expect(buttons[1]!.style).toBe('danger');
  });

  it('lets the caller say what runs: an automatic fix on a `fixes: guided` target shows its steps, with no approval dialog', () => {
    const r = renderFinding(finding({ remediations: [remediation('bind-private-address', { risk: 'high', mode: 'automatic' })] }), 'd-abc', { runs: () => false, target: 'cache-prod' });
    const button = blocksOf(r).find((b) => b.type === 'actions')!.elements![0]!;
    expect(button.action_id).toBe('steps:bind-private-address');
    expect(button.confirm).toBeUndefined();
    expect(JSON.stringify(r.blocks)).not.toContain('changes the server');
    expect(r.text).toBe('critical: cache-prod: Redis refuses remote clients: protected mode (protected-mode)');
  });

  it('truncates long evidence inside the section limit and says so', () => {
    const long = Array.from({ length: 400 }, (_, i) => `line ${i}: ${'x'.repeat(40)}`);
    const r = renderFinding(finding({ evidence: long }), 'd-1');
    const ev = blocksOf(r).find((b) => b.block_id === 'evidence:protected-mode')!;
    expect(ev.text!.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(ev.text!.text).toMatch(/evidence truncated: \d+ of \d+ characters shown/);
    expect(ev.text!.text.startsWith('```line 0:')).toBe(true);
  });

  it('keeps evidence inside its code block and escapes &, <, >', () => {
    const text = evidenceText(['<!channel> ``` & <@U1>']);
    expect(text).toBe('```&lt;!channel&gt; ˋˋˋ &amp; &lt;@U1&gt;```');
  });

  it('keeps button text short (the full title is in the section) and values under 2000', () => {
    const r = renderFinding(finding({ remediations: [remediation('a-very-long-one', { title: 'T'.repeat(200) })] }), 'd-1');
    const button = blocksOf(r).find((b) => b.type === 'actions')!.elements![0]!;
    expect(button.text!.text.length).toBe(LIMITS.buttonShort);
    expect(button.text!.text.startsWith('Steps: TTT')).toBe(true);
    expect(JSON.stringify(r.blocks)).toContain('T'.repeat(200));
    expect(button.text!.text.endsWith('…')).toBe(true);
    expect(button.value!.length).toBeLessThan(LIMITS.buttonValue);
  });

  it('splits more than 25 remediations over several actions blocks and stays within 50 blocks', () => {
    const many = Array.from({ length: 60 }, (_, i) => remediation(`fix-${i}`));
    const r = renderFinding(finding({ remediations: many }), 'd-1');
    const actions = blocksOf(r).filter((b) => b.type === 'actions');
    expect(actions.map((a) => a.elements!.length)).toEqual([25, 25, 10]);
    expect(new Set(actions.map((a) => a.block_id)).size).toBe(3);
    expect(r.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
  });

  it('escapes titles that contain mrkdwn control characters', () => {
    const r = renderFinding(finding({ title: 'reply <!here> & <http://x|y>' }), 'd-1');
    expect(blocksOf(r)[0]!.text!.text).toContain('reply &lt;!here&gt; &amp; &lt;http://x|y&gt;');
    // The top-level text is mrkdwn as well, and Slack notifies the mentions in it.
    expect(r.text).toBe('critical: reply &lt;!here&gt; &amp; &lt;http://x|y&gt; (protected-mode)');
  });
});

describe('text from the network in Slack messages', () => {
  it('shows ESC, BEL, NUL and bidi overrides from a server reply as escapes in the checks line, titles and evidence', () => {
    const hostile = 'ERR \x1b[2J\x07\x00 \u202eevil\u202c';
    const d = diagnosis([finding({ title: `bad ${hostile}`, evidence: [hostile] })]);
    d.checks = [{ id: 'redis-handshake', status: 'fail', durationMs: 1, detail: hostile }];
    const all = JSON.stringify([renderResult(d), renderFinding(d.findings[0]!, 'd-1')]);
    expect(all).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/);
    expect(all).toContain('ERR \\\\x1b[2J\\\\x07\\\\x00 \\\\u202eevil\\\\u202c');
  });
});

describe('renderResult', () => {
  it('ends with a one-line verdict naming the primary cause', () => {
    const r = renderResult(diagnosis([finding()]), { requestedBy: 'U0ALICE' });
    const verdict = blocksOf(r).find((b) => b.block_id === 'verdict')!;
    expect(verdict.text!.text).toBe(':red_circle: *cache-prod* (`10.0.0.5:6379`) is *unreachable*: Redis refuses remote clients: protected mode (`protected-mode`)');
    expect(r.text).toBe('cache-prod: unreachable — protected-mode: Redis refuses remote clients: protected mode');
    expect(JSON.stringify(r.blocks)).toContain('1 finding in the thread · 13 ms · requested by <@U0ALICE>');
  });

  it('says healthy with no findings, and no checks row (nothing failed to list)', () => {
    const r = renderResult(diagnosis([]));
    expect(blocksOf(r).find((b) => b.block_id === 'verdict')!.text!.text).toBe(':large_green_circle: *cache-prod* (`10.0.0.5:6379`) is *healthy*');
    expect(JSON.stringify(r.blocks)).not.toContain('tcp-connect');
    expect(JSON.stringify(renderResult(diagnosis([finding()])).blocks)).toContain('✓ tcp-connect');
  });

  it('after a fix, the parent says who fixed what and what the verdict was before', () => {
    const d = diagnosis([finding()]);
    const fixed = renderResult(d, { fix: { by: 'U0BOSS', remediation: 'Turn off <!channel>', cause: 'protected-mode', outcome: 'fixed' } });
    expect(blocksOf(fixed)[0]!.block_id).toBe('fix');
    expect(blocksOf(fixed)[0]!.text!.text).toContain('*Fixed* by <@U0BOSS>, was `protected-mode` — *Turn off &lt;!channel&gt;* ran');
    expect(fixed.text).toBe('cache-prod: fixed by <@U0BOSS>, was protected-mode');
    const failed = renderResult(d, { fix: { by: 'U0BOSS', remediation: 'Turn off', cause: 'protected-mode', outcome: 'failed', detail: 'not sent: ECONNREFUSED' } });
    expect(blocksOf(failed)[0]!.text!.text).toContain('*The fix failed*');
    expect(failed.text).toContain('the fix failed');
    const still = renderResult(d, { fix: { remediation: 'Turn off', cause: 'protected-mode', outcome: 'not-fixed', detail: 'still refused (protected-mode)' } });
    expect(blocksOf(still)[0]!.text!.text).toContain('*Not fixed*');
  });
});

describe('fallback text', () => {
  it('escapes server text in the notification text of a failure, a verdict and an approval request', () => {
    expect(renderFailure('cache-prod', 'ERR <!channel> go to <https://evil.example|here>', 3).text)
      .toBe('Diagnosis of cache-prod failed after 3 attempts: ERR &lt;!channel&gt; go to &lt;https://evil.example|here&gt;');
    expect(renderResult(diagnosis([finding({ title: 'container <!everyone> stopped' })])).text)
      .toBe('cache-prod: unreachable — protected-mode: container &lt;!everyone&gt; stopped');
    const request = renderApprovalRequest({
      id: 'rABC', diagnosisId: 'd-1', target: diagnosis([]).target, cause: 'protected-mode', remediation: remediation('x', { title: 'Fix <@U0BOSS>' }),
      requestedBy: 'U0ALICE', channel: 'C1', threadTs: '1.2', createdAt: '2024-01-01T00:00:00Z', expiresAt: '2024-01-01T00:15:00Z',
    }, { approvers: [], selfApproval: false, plan: { plan: 'steps', why: 'x' } });
    // The push text names who asked (a mention), the target and the cause; the title stays escaped.
    expect(request.text).toBe('Approval requested by <@U0ALICE> for cache-prod: Fix &lt;@U0BOSS&gt; (protected-mode)');
  });

  it('shows the usage placeholder <target> escaped, not as link syntax', () => {
    const r = renderHelp('/redis-diagnose', configSchema.parse({}));
    expect(r.text).toBe('Usage: /redis-diagnose &lt;target&gt; | status | help');
    expect(blocksOf(r)[0]!.text!.text.startsWith('*/redis-diagnose &lt;target&gt;* — ')).toBe(true);
  });
});

describe('renderApprovalRequest', () => {
  it('carries approve:/deny: buttons whose values are only the request id', () => {
    const r = renderApprovalRequest({
      id: 'rABC', diagnosisId: 'd-1', target: diagnosis([]).target, cause: 'protected-mode', remediation: remediation('set-requirepass', { risk: 'high' }),
      requestedBy: 'U0ALICE', channel: 'C1', threadTs: '1.2', createdAt: '2024-01-01T00:00:00Z', expiresAt: '2024-01-01T00:15:00Z',
    }, { approvers: [], selfApproval: false, plan: { plan: 'run', argv: ['CONFIG', 'SET', 'requirepass', 'x'], hash: 'h' } });
    const actions = blocksOf(r).find((b) => b.type === 'actions')!;
    expect(actions.elements!.map((e) => [e.action_id, e.value])).toEqual([['approve:rABC', 'rABC'], ['deny:rABC', 'rABC']]);
    expect(actions.elements![0]!.confirm).toBeDefined();
    expect(blocksOf(r)[0]!.text!.text).toContain('risk high, runs one command');
    expect(JSON.stringify(r.blocks)).toContain('No approvers are configured');
  });

  it('does not call an automatic fix on a `fixes: guided` target automatic, nor ask to confirm a change', () => {
    const r = renderApprovalRequest({
      id: 'rABC', diagnosisId: 'd-1', target: diagnosis([]).target, cause: 'protected-mode', remediation: remediation('set-requirepass', { risk: 'high', mode: 'automatic' }),
      requestedBy: 'U0ALICE', channel: 'C1', threadTs: '1.2', createdAt: '2024-01-01T00:00:00Z', expiresAt: '2024-01-01T00:15:00Z',
    }, { approvers: [], selfApproval: false, plan: { plan: 'steps', why: 'target cache-prod has `fixes: guided`' } });
    const head = blocksOf(r)[0]!.text!.text;
    expect(head).toContain('risk high, guided: nothing is run');
    expect(head).not.toContain('automatic');
    expect(blocksOf(r).find((b) => b.type === 'actions')!.elements![0]!.confirm).toBeUndefined();
  });
});

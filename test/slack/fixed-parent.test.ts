/**
 * The diagnosis parent after a fix, through the real Web API client against
 * the Slack double: a failed fix says so; a verification from another thread,
 * an alert's diagnosis, or an unknown request edits nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnosis } from '../../src/engine/index.js';
import { Logger } from '../../src/log.js';
import { FixedParent } from '../../src/slack/fixed-parent.js';
import { createWebClient, Reporter } from '../../src/slack/reporter.js';
import type { Ledger } from '../../src/stores/approval-store.js';
import { blockIds, startSlackDouble, textOf, type SlackDouble } from './helpers/slack-double.js';

const target = { input: 'cache', name: 'cache', host: '10.0.0.5', port: 6379, tls: false };
const original: Diagnosis = {
  target, verdict: 'degraded', primaryCause: 'memory-limit-reached', checks: [], durationMs: 10, startedAt: '2026-12-07T00:00:00.000Z', version: '0.1.0',
  findings: [{ cause: 'memory-limit-reached', severity: 'critical', confidence: 'confirmed', title: 'At its memory limit', evidence: [], remediations: [] }],
};
const ledger = (diagnosisId: string): Ledger => ({
  request: {
    id: 'rFIX1', diagnosisId, target, cause: 'memory-limit-reached',
    remediation: { id: 'raise-maxmemory', title: 'Raise maxmemory', risk: 'medium', mode: 'automatic', steps: [] },
    requestedBy: 'U0ALICE', channel: 'C0OPS', threadTs: '1.000100', createdAt: '2026-12-07T00:00:00.000Z', expiresAt: '2026-12-07T00:15:00.000Z',
  },
  state: 'failed', plan: 'run', decidedBy: 'U0BOSS', sent: false, reason: 'not sent: connect ETIMEDOUT',
});

describe('FixedParent', () => {
  let double: SlackDouble;
  let fixed: FixedParent;
  const ledgers = new Map<string, Ledger>();
  const log = new Logger('error', 'test', () => undefined);

  beforeAll(async () => {
    double = await startSlackDouble();
    const reporter = new Reporter(createWebClient('xoxb-test', double.apiUrl, log), log);
    fixed = new FixedParent({ reporter, approvals: { get: async (id) => ledgers.get(id) }, diagnoses: { get: async (id) => (id === 'd-1' || id === 'm-0123456789abcdef01234567' ? original : undefined) }, log });
  });
  afterAll(async () => double?.close());

  it('says a failed fix failed, and why, above the verdict it was for', async () => {
    await fixed.failed(ledger('d-1'));
    const edit = double.ok('chat.update').at(-1)!;
    expect(edit.body.ts).toBe('1.000100');
    expect(blockIds(edit)[0]).toBe('fix');
    expect(textOf(edit)).toContain('*The fix failed*: *Raise maxmemory* by <@U0BOSS> — not sent: connect ETIMEDOUT');
    expect(edit.body.text).toContain('the fix failed');
  });

  it('edits nothing for a verification from another thread or channel, an alert\'s diagnosis, or an unknown request', async () => {
    const before = double.ok('chat.update').length;
    ledgers.set('rFIX1', ledger('d-1'));
    const healthy: Diagnosis = { ...original, verdict: 'healthy', primaryCause: null, findings: [] };
    await fixed.verified('C0OPS', '9.999999', 'rFIX1', healthy);
    await fixed.verified('C0OTHER', '1.000100', 'rFIX1', healthy);
    await fixed.verified('C0OPS', '1.000100', 'rNOPE', healthy);
    ledgers.set('rFIX2', { ...ledger('m-0123456789abcdef01234567'), request: { ...ledger('m-0123456789abcdef01234567').request, id: 'rFIX2' } });
    await fixed.verified('C0OPS', '1.000100', 'rFIX2', healthy);
    expect(double.ok('chat.update')).toHaveLength(before);
    // The same request from its own thread: edited.
    await fixed.verified('C0OPS', '1.000100', 'rFIX1', healthy);
    expect(double.ok('chat.update')).toHaveLength(before + 1);
    expect(textOf(double.ok('chat.update').at(-1))).toContain('*Fixed* by <@U0BOSS>, was `memory-limit-reached`');
  });
});

/**
 * The order of alerts held back by Slack's rate limit (monitor/alert-queue.ts):
 * the engine's severity of the primary cause first, then recency; scores stay
 * exact integers in a Redis sorted set.
 */
import { describe, expect, it } from 'vitest';
import { causeSeverity } from '../../src/engine/index.js';
import { alertScore } from '../../src/monitor/alert-queue.js';

describe('alert order', () => {
  it('ranks unusable causes by the rules, then no cause, then degrading causes', async () => {
    const severity = await causeSeverity();
    // auth-required is ranked above the generic connection-refused (rules/index.ts); both make the server unusable.
    expect(severity('auth-required')).toBeLessThan(severity('connection-refused'));
    expect(severity('connection-refused')).toBeLessThan(severity(undefined));
    expect(severity(undefined)).toBe(severity('no-such-cause'));
    expect(severity(undefined)).toBeLessThan(severity('memory-limit-reached'));
    expect(severity('memory-limit-reached')).toBeLessThan(severity('replica-link-down'));
  });

  it('puts the graver cause first whatever the age, and the more recent first within a cause', async () => {
    const severity = await causeSeverity();
    const at = 1_800_000_000_000;
    const old = alertScore(severity('auth-required'), at);
    const recent = alertScore(severity('auth-required'), at + 1);
    const degradedRecent = alertScore(severity('memory-limit-reached'), at + 86_400_000);
    expect(recent).toBeLessThan(old);
    expect(old).toBeLessThan(degradedRecent);
    for (const s of [old, recent, degradedRecent, alertScore(severity('unexpected-reply'), 0)]) expect(Number.isSafeInteger(s)).toBe(true);
  });
});

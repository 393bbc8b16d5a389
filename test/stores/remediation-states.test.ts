/** The request state machine as a table: what every state may become, and what ends a request. */
import { describe, expect, it } from 'vitest';
import { canTransition, FINAL, REOPENING, REQUEST_STATES, sourcesOf, TRANSITIONS } from '../../src/stores/remediation-states.js';

describe('remediation request states', () => {
  it('only moves forward: from pending through a decision to one execution', () => {
    expect(sourcesOf('approved')).toEqual(['pending']);
    expect(sourcesOf('running')).toEqual(['approved']);
    expect(sourcesOf('unknown')).toEqual(['running']);
    // The attempt that sent the command may record the reply after a stalled check marked it unknown.
    expect(sourcesOf('applied')).toEqual(['running', 'unknown']);
    expect(sourcesOf('failed')).toEqual(['approved', 'running', 'unknown']);
    expect(sourcesOf('expired')).toEqual(['pending']);
    expect(sourcesOf('pending')).toEqual([]);
  });

  it('never returns to running or approved once a command may have been sent', () => {
    for (const from of ['running', 'unknown', 'applied', 'failed'] as const) {
      expect(canTransition(from, 'running')).toBe(false);
      expect(canTransition(from, 'approved')).toBe(false);
    }
  });

  it('names every state in the table, ends denied/expired/withdrawn/applied/failed/refused, and reopens only undecided ones', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...REQUEST_STATES].sort());
    for (const targets of Object.values(TRANSITIONS)) for (const t of targets) expect(REQUEST_STATES).toContain(t);
    expect([...FINAL].sort()).toEqual(['applied', 'denied', 'expired', 'failed', 'refused', 'unknown', 'withdrawn']);
    expect([...REOPENING].sort()).toEqual(['denied', 'expired', 'withdrawn']);
  });
});

/** Maintenance windows, the pure parts (monitor/silences.ts): durations, reasons, which silence applies. */
import { describe, expect, it } from 'vitest';
import { cleanReason, MAX_REASON, parseDuration, silenceFor } from '../../src/monitor/silences.js';

describe('silences', () => {
  it('reads minutes, hours and days, bounded to 1 minute .. 7 days', () => {
    expect(parseDuration('30m')).toEqual({ ok: true, ms: 30 * 60_000 });
    expect(parseDuration('2H')).toEqual({ ok: true, ms: 2 * 3600_000 });
    expect(parseDuration('7d')).toEqual({ ok: true, ms: 7 * 86_400_000 });
    for (const bad of ['8d', '0m', '169h', '1w', '1.5h', '-1h', '', '30', 'm', '99999999d', '1d1h', `1${'0'.repeat(5000)}m`]) expect(parseDuration(bad).ok).toBe(false);
  });

  it('keeps a reason as bounded text: controls and bidi overrides dropped, whitespace folded', () => {
    expect(cleanReason('  db  upgrade\n\tnow ')).toBe('db upgrade now');
    expect(cleanReason('a\u202eb\u2066c\u0000d\u200be')).toBe('a b c d e');
    expect(cleanReason('<!channel> <@U0ADMIN>')).toBe('<!channel> <@U0ADMIN>');
    expect([...cleanReason('x'.repeat(100_000))]).toHaveLength(MAX_REASON);
    expect([...cleanReason('😀'.repeat(500))]).toHaveLength(MAX_REASON);
  });

  it('applies a target\'s own silence or `*`, only while it lasts, the later-ending first', () => {
    const now = 1_000_000;
    const list = [
      { target: 'a', by: 'U0X', at: 0, until: now + 10 },
      { target: '*', by: 'U0Y', at: 0, until: now + 20 },
      { target: 'b', by: 'U0Z', at: 0, until: now },
    ];
    expect(silenceFor('a', list, now)?.by).toBe('U0Y');
    expect(silenceFor('b', list, now)?.by).toBe('U0Y');
    expect(silenceFor('b', list.slice(2), now)).toBeUndefined();
    expect(silenceFor('a', list.slice(0, 1), now + 10)).toBeUndefined();
  });
});

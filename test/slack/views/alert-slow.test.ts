/** The alert renderers for an incident opened by slowness (alerts.latencyMs): slow, not down; the p99 and the threshold named. */
import { describe, expect, it } from 'vitest';
import type { IncidentView } from '../../../src/monitor/alert-sink.js';
import { renderIncident, renderNote } from '../../../src/slack/views/alert.js';
import { renderStatus } from '../../../src/slack/views/commands.js';
import { parseConfig } from '../../../src/config/load.js';

const SLOW: IncidentView = {
  id: 'cache-lq3x0', ref: 'i.cache-lq3x0', target: 'cache', reason: 'down',
  firstFailureAt: Date.UTC(2026, 10, 25, 2, 0, 5), firstCode: 'SLOW',
  firstError: 'slow: p99 180 ms over 50 ms (alerts.latencyMs), 5 PINGs one at a time, the slowest 180 ms',
  title: 'slow: p99 180 ms over 50 ms (alerts.latencyMs), 5 PINGs one at a time, the slowest 180 ms',
  lastOkAt: Date.UTC(2026, 10, 25, 2, 0, 0), openedAt: Date.UTC(2026, 10, 25, 2, 0, 10), failuresBeforeAlert: 2, intervalSeconds: 5,
};
const json = (r: { blocks: unknown[] }) => JSON.stringify(r.blocks);

describe('slow incident views', () => {
  it('no cause named: slow, cause unknown, and what was measured, in the push text and the blocks', () => {
    const r = renderIncident(SLOW);
    expect(r.text).toBe('cache is slow: cause unknown — slow: p99 180 ms over 50 ms (alerts.latencyMs), 5 PINGs one at a time, the slowest 180 ms');
    expect(json(r)).toContain('is *slow* — cause unknown: slow: p99 180 ms over 50 ms');
    expect(json(r)).toContain('Slow since <!date^');
    expect(json(r)).toContain('after 2 slow probes in a row');
    expect(json(r)).not.toContain('is *down*');
  });

  it('a cause named: the cause and its title, and still the p99 and the threshold', () => {
    const r = renderIncident({ ...SLOW, cause: 'slow-commands', title: 'blocked by KEYS' });
    expect(r.text).toBe(`cache is slow: slow-commands — blocked by KEYS (${SLOW.firstError})`);
  });

  it('recovery and reminders say slow and fast; a down incident keeps its words', () => {
    const rec = renderNote({ kind: 'recovered', resolvedAt: Date.UTC(2026, 10, 25, 2, 5), downtimeMs: 60_000, successes: 2 }, SLOW);
    expect(json(rec)).toContain('is fast again: recovered');
    expect(json(rec)).toContain('slow for 1 min');
    expect(renderNote({ kind: 'reminder', downForMs: 3_600_000, remindAfterMinutes: 60 }, SLOW).text).toContain('cache is still slow');
    const down = { ...SLOW, firstCode: 'ECONNREFUSED', cause: 'connection-refused', title: 'refused' };
    expect(renderIncident(down).text).toBe('cache is down: connection-refused — refused');
    expect(json(renderNote({ kind: 'recovered', resolvedAt: 1, downtimeMs: 60_000, successes: 2 }, down))).toContain('answers again');
  });
});

describe('/redis-diagnose status', () => {
  it('shows the monitor\'s last PING p99 next to its state', () => {
    const config = parseConfig('targets:\n  - {name: cache, url: "redis://10.0.0.5:6379"}\nalerts:\n  channel: C0123ABCD\n  latencyMs: 50\n', 'c.yaml');
    const now = Date.UTC(2026, 10, 25, 3);
    const r = renderStatus(config, new Map(), true, now, { targets: new Set(['cache']), states: new Map([['cache', { status: 'down', since: now - 60_000, lastFailureCode: 'SLOW', latencyP99Ms: 181.4 }]]) });
    expect(json(r)).toContain('*down* since 60 s ago (`SLOW`), PING p99 181 ms');
  });
});

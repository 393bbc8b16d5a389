/** The alert renderers: ids of INTERFACES.md section 6, what changed, escaping, and the resolved form. */
import { describe, expect, it } from 'vitest';
import type { IncidentView } from '../../../src/monitor/alert-sink.js';
import { duration, renderIncident, renderNote, renderPaused, renderResumed } from '../../../src/slack/views/alert.js';

const VIEW: IncidentView = {
  id: 'cache-prod-lq3x0', ref: 'i.cache-prod-lq3x0', target: 'cache-prod',
  targetInfo: { input: 'cache-prod', name: 'cache-prod', host: '10.0.0.5', port: 6379, tls: false },
  reason: 'down', cause: 'connection-refused', title: 'Connection refused by `10.0.0.5:6379` <!channel>',
  firstFailureAt: Date.UTC(2026, 10, 25, 2, 0, 5), firstCode: 'ECONNREFUSED', firstError: 'connect ECONNREFUSED 10.0.0.5:6379',
  lastOkAt: Date.UTC(2026, 10, 25, 2, 0, 0), openedAt: Date.UTC(2026, 10, 25, 2, 0, 10),
  failuresBeforeAlert: 2, intervalSeconds: 5,
};

type Element = { type: string; action_id?: string; value?: string; options?: { value: string }[] };
const elements = (r: ReturnType<typeof renderIncident>): Element[] => r.blocks.flatMap((b) => (b.type === 'actions' ? (b.elements as Element[]) : []));
const allText = (r: ReturnType<typeof renderIncident>) => JSON.stringify(r.blocks);

describe('alert views', () => {
  it('an open incident: alert:<target> first, the cause in text and blocks, what changed, and the three controls', () => {
    const r = renderIncident(VIEW);
    expect(r.blocks[0]!.block_id).toBe('alert:cache-prod');
    expect(r.text).toContain('cache-prod');
    expect(r.text).toContain('connection-refused');
    const text = allText(r);
    expect(text).toContain('last good probe <!date^1795572000^');
    expect(text).toContain('Down since <!date^1795572005^');
    // The error names its code already: shown once, not "`ECONNREFUSED` connect ECONNREFUSED …".
    expect(text).toContain('first failed probe: `connect ECONNREFUSED 10.0.0.5:6379`');
    expect(text).not.toContain('`ECONNREFUSED`');
    expect(text).toContain('after 2 failed probes in a row, every 5 s');
    // Titles come from the network: a mention inside is shown, not sent.
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt;');
    const e = elements(r);
    expect(e.map((x) => x.action_id)).toEqual(['recheck:i.cache-prod-lq3x0', 'ack:i.cache-prod-lq3x0', 'snooze:i.cache-prod-lq3x0']);
    expect(e[0]!.value).toBe('i.cache-prod-lq3x0');
    expect(e[1]!.value).toBe('i.cache-prod-lq3x0');
    expect(e[2]!.type).toBe('static_select');
    expect(e[2]!.options!.map((o) => o.value)).toEqual(['1h', '4h', '24h']);
  });

  it('acknowledged: who is on it, no ack button; resolved: the downtime, recheck only, same first block', () => {
    const acked = renderIncident({ ...VIEW, ackedBy: 'U0BOB' });
    // In the headline, which a phone shows first, and in the push text, as a mention.
    expect(JSON.stringify(acked.blocks[0])).toContain('acked by <@U0BOB>');
    expect(acked.text).toBe('cache-prod is down: connection-refused · acked by <@U0BOB>');
    expect(elements(acked).map((x) => x.action_id)).toEqual(['recheck:i.cache-prod-lq3x0', 'snooze:i.cache-prod-lq3x0']);
    const done = renderIncident({ ...VIEW, resolvedAt: VIEW.firstFailureAt + 200_000, downtimeMs: 200_000 });
    expect(done.blocks[0]!.block_id).toBe('alert:cache-prod');
    expect(done.text).toBe('cache-prod recovered after 3 min 20 s (connection-refused)');
    expect(allText(done)).toContain('*recovered* — was down 3 min 20 s');
    expect(elements(done).map((x) => x.action_id)).toEqual(['recheck:i.cache-prod-lq3x0']);
  });

  it('without a cause (the diagnosis could not run) the alert still goes out and says why', () => {
    const r = renderIncident({ ...VIEW, cause: undefined, title: 'the diagnosis could not run: target "x" passwordEnv: environment variable X is not set' });
    expect(r.text).toBe('cache-prod is down: cause unknown');
    expect(allText(r)).toContain('cause unknown: the diagnosis could not run');
  });

  it('notes carry their own block ids', () => {
    const ids = [
      renderNote({ kind: 'flapping', flaps: 2, successesNeeded: 2 }, VIEW),
      renderNote({ kind: 'reminder', downForMs: 3_720_000, remindAfterMinutes: 60 }, VIEW),
      renderNote({ kind: 'recovered', resolvedAt: VIEW.openedAt + 60_000, downtimeMs: 65_000, successes: 2 }, VIEW),
      renderNote({ kind: 'acked', by: 'U0BOB' }, VIEW),
      renderNote({ kind: 'snoozed', by: 'U0BOB', until: VIEW.openedAt + 3_600_000, label: '1h' }, VIEW),
    ].map((r) => r.blocks[0]!.block_id);
    expect(ids).toEqual(['flapping', 'reminder', 'recovered', 'acked', 'snoozed']);
    // Push texts name the target, the cause and people as mentions.
    expect(renderNote({ kind: 'acked', by: 'U0BOB' }, VIEW).text).toBe('<@U0BOB> is on it: cache-prod (connection-refused)');
    expect(renderNote({ kind: 'snoozed', by: 'U0BOB', until: VIEW.openedAt, label: '1h' }, VIEW).text).toBe('<@U0BOB> snoozed cache-prod (connection-refused) until 2026-11-25T02:00:10.000Z');
    expect(renderNote({ kind: 'reminder', downForMs: 3_600_000, remindAfterMinutes: 60 }, VIEW).text).toMatch(/^cache-prod is still down \(connection-refused\), for /);
    expect(renderNote({ kind: 'recovered', resolvedAt: VIEW.openedAt, downtimeMs: 60_000, successes: 2 }, VIEW).text).toMatch(/^cache-prod recovered after .* \(connection-refused\)$/);
    const changed = renderNote({
      kind: 'cause-changed', from: 'connection-refused', to: 'auth-required', probeCode: 'NOAUTH', diagnosisId: 'm-abc',
      finding: { cause: 'auth-required', severity: 'critical', confidence: 'confirmed', title: 'needs a password', evidence: ['PING → -NOAUTH'], remediations: [{ id: 'supply-password', title: 'Give the password', risk: 'low', mode: 'guided', steps: [] }] },
    }, VIEW);
    expect(changed.blocks.map((b) => b.block_id)).toEqual(['cause-changed', 'finding:auth-required', 'evidence:auth-required', 'fixes:auth-required', 'actions:auth-required:0']);
    expect(JSON.stringify(changed.blocks)).toContain('steps:supply-password');
  });

  it('paused and resumed notices, and durations', () => {
    const since = Date.UTC(2026, 10, 25, 3, 0, 0);
    expect(renderPaused({ since, reason: 'connect ECONNREFUSED 127.0.0.1:6390' }).blocks[0]!.block_id).toBe('monitor-paused');
    expect(JSON.stringify(renderPaused({ since, reason: 'x' }).blocks)).toContain('Monitoring is paused');
    expect(JSON.stringify(renderResumed({ since, reason: 'x', until: since + 125_000 }).blocks)).toContain('after 2 min 5 s');
    expect([duration(45_000), duration(3_600_000), duration(7_380_000), duration(3 * 86_400_000 + 4 * 3_600_000)]).toEqual(['45 s', '1 h', '2 h 3 min', '3 days 4 h']);
  });
});

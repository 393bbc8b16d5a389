/** The grouped alert and the routed alert, as rendered (views/alert-group.ts, views/alert.ts): ids, paging, links. */
import { describe, expect, it } from 'vitest';
import type { IncidentView } from '../../../src/monitor/alert-sink.js';
import { renderIncident } from '../../../src/slack/views/alert.js';
import { renderGroup } from '../../../src/slack/views/alert-group.js';

function member(target: string, extra: Partial<IncidentView> = {}): IncidentView {
  return {
    id: `${target}-1`, ref: `i.${target}-1`, target, reason: 'down', cause: 'connection-refused', title: 'refused',
    firstFailureAt: 1_800_000_000_000, firstCode: 'ECONNREFUSED', openedAt: 1_800_000_000_000, failuresBeforeAlert: 2, intervalSeconds: 5,
    targetInfo: { input: target, name: target, host: '10.0.0.5', port: 6379, tls: false }, ...extra,
  };
}

const ids = (r: { blocks: { block_id?: string }[] }) => r.blocks.map((b) => b.block_id);
const all = (r: { text: string; blocks: unknown[] }) => `${r.text}\n${JSON.stringify(r.blocks)}`;

describe('grouped alert', () => {
  it('lists the members under alert-group:<cause>, pages while any is down, says all recovered at the end', () => {
    const members = Array.from({ length: 12 }, (_, i) => member(`t${i}`));
    const open = renderGroup({ id: 'g', cause: 'connection-refused', host: '10.0.0.5', members, mention: '<!subteam^S0ONCALL>' });
    expect(ids(open)[0]).toBe('alert-group:connection-refused');
    expect(open.text).toBe('<!subteam^S0ONCALL> 12 of 12 targets down together (connection-refused)');
    for (let i = 0; i < 12; i++) expect(all(open)).toContain(`*t${i}*`);
    expect(open.blocks.length).toBeLessThanOrEqual(50);
    const done = renderGroup({ id: 'g', cause: 'connection-refused', members: members.map((m) => ({ ...m, resolvedAt: m.openedAt + 60_000, downtimeMs: 60_000 })), mention: '<!here>' });
    expect(done.text).toBe('All 12 targets recovered (connection-refused)');
    expect(all(done)).not.toContain('<!here>');
  });

  it('routes: the mention pages a single alert, never a member in a group\'s thread; links escaped for Slack', () => {
    const links = { runbookUrl: 'https://wiki.example/rb?a=1&b=2', dashboardUrl: 'https://grafana.example/d/x' };
    const single = renderIncident(member('cache', { mention: '<!here>', ...links }));
    expect(single.text.startsWith('<!here> ')).toBe(true);
    expect(ids(single)).toEqual(['alert:cache', undefined, 'links', undefined, 'alert-actions']);
    expect(all(single)).toContain('<https://wiki.example/rb?a=1&amp;b=2|Runbook>');
    const inGroup = renderIncident(member('cache', { mention: '<!here>', inGroup: true }));
    expect(all(inGroup)).not.toContain('<!here>');
    expect(ids(inGroup)[0]).toBe('alert:cache');
  });
});

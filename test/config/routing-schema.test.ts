/**
 * The routing fields of the config (INTERFACES.md section 4, turn 3): a
 * target's alertChannel, runbookUrl and dashboardUrl; alerts.mention and
 * alerts.groupWaitSeconds. Each bad value is refused with the field named.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { targetRoutes } from '../../src/monitor/routing.js';

function config(target: string, alerts = ''): string {
  return ['targets:', `  - { name: cache, url: "redis://10.0.0.5:6379"${target} }`, '  - { name: other, url: "redis://10.0.0.6:6379" }', 'alerts:', '  channel: C0ALERTS', alerts].join('\n');
}

function refusal(text: string): string {
  try {
    parseConfig(text, 't.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('routing config', () => {
  it('routes a target with alertChannel there, with its links and the mention; others to alerts.channel', () => {
    const c = parseConfig(config(', alertChannel: C0TEAM, runbookUrl: "https://wiki.example/rb?a=1&b=2", dashboardUrl: "https://grafana.example/d/x"', '  mention: "<!subteam^S0ONCALL>"\n  groupWaitSeconds: 30'), 't.yaml');
    expect(c.alerts?.groupWaitSeconds).toBe(30);
    const route = targetRoutes(c);
    expect(route('cache')).toEqual({ channel: 'C0TEAM', mention: '<!subteam^S0ONCALL>', runbookUrl: 'https://wiki.example/rb?a=1&b=2', dashboardUrl: 'https://grafana.example/d/x' });
    expect(route('other')).toEqual({ channel: 'C0ALERTS', mention: '<!subteam^S0ONCALL>' });
    // Default: never group.
    expect(parseConfig(config(''), 't.yaml').alerts?.groupWaitSeconds).toBe(0);
    for (const m of ['<!here>', '<!channel>', '<!subteam^S0ONCALL|@oncall>']) expect(parseConfig(config('', `  mention: "${m}"`), 't.yaml').alerts?.mention).toBe(m);
  });

  it('refuses links that are not https, carry credentials or break Slack link syntax, and free-text mentions', () => {
    expect(refusal(config(', runbookUrl: "http://wiki.example/rb"'))).toMatch(/targets\[0\]\.runbookUrl.*https/);
    expect(refusal(config(', dashboardUrl: "javascript:alert(1)"'))).toMatch(/targets\[0\]\.dashboardUrl.*https/);
    expect(refusal(config(', runbookUrl: "https://user:pw@wiki.example/"'))).toMatch(/targets\[0\]\.runbookUrl.*credentials/);
    expect(refusal(config(', runbookUrl: "https://wiki.example/a|<!channel>"'))).toMatch(/targets\[0\]\.runbookUrl/);
    expect(refusal(config(`, runbookUrl: "https://wiki.example/${'a'.repeat(2100)}"`))).toMatch(/targets\[0\]\.runbookUrl/);
    expect(refusal(config(', alertChannel: "#ops"'))).toMatch(/targets\[0\]\.alertChannel.*channel id/);
    for (const m of ['@oncall', 'page <!here>', '<!everyone>', '<@U0123ABCD>', '<!subteam^S0X> <!channel>']) {
      expect(refusal(config('', `  mention: "${m}"`))).toMatch(/alerts\.mention/);
    }
    expect(refusal(config('', '  groupWaitSeconds: -1'))).toMatch(/alerts\.groupWaitSeconds/);
  });
});

/**
 * The real Alertmanager (Debian's prometheus-alertmanager) for the receiver's
 * tests: started on free loopback ports with its own storage dir, clustering
 * off, and a config whose webhook receivers point at the bot; alerts injected
 * through its v2 API (POST /api/v2/alerts, as Prometheus sends them). Its own
 * /metrics tell how many notifications it sent and how many failed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '../lab/poll.js';
import { freePort } from '../lab/ports.js';
import { hasExited, pdeathsigArgv, spawnTracked, stopProcess } from '../lab/procs.js';
import { makeTempDir } from '../lab/tmp.js';

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

export interface AlertmanagerOptions {
  /** The bot's POST /alertmanager URL. */
  webhookUrl: string;
  token: string;
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
}

export interface AlertSpec {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
}

export interface Alertmanager {
  url: string;
  /** POST /api/v2/alerts. */
  add(alerts: AlertSpec[]): Promise<void>;
  /** A sample of its /metrics summed over label sets matching `labelPart` (e.g. `integration="webhook"`). */
  metric(name: string, labelPart?: string): Promise<number>;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Routes: alerts labelled `route="wrong-token"` or `route="no-token"` go to
 * receivers with a wrong or no bearer token; `route="two-groups"` goes to
 * the bot through two routes (`continue: true`), so the same alert arrives
 * in two groups; everything else to the bot, grouped by alertname.
 */
export async function startAlertmanager(o: AlertmanagerOptions): Promise<Alertmanager> {
  const dir = makeTempDir('alertmanager');
  const port = await freePort();
  const timing = `    group_wait: ${o.groupWait ?? '1s'}\n    group_interval: ${o.groupInterval ?? '2s'}\n    repeat_interval: ${o.repeatInterval ?? '4s'}\n`;
  const hook = (name: string, auth: string) => [
    `  - name: ${name}`,
    '    webhook_configs:',
    `      - url: ${JSON.stringify(o.webhookUrl)}`,
    '        send_resolved: true',
    ...(auth ? ['        http_config:', '          authorization:', `            credentials: ${JSON.stringify(auth)}`] : []),
  ].join('\n');
  const config = [
    'route:',
    '  receiver: bot',
    "  group_by: ['alertname']",
    `  group_wait: ${o.groupWait ?? '1s'}`,
    `  group_interval: ${o.groupInterval ?? '2s'}`,
    `  repeat_interval: ${o.repeatInterval ?? '4s'}`,
    '  routes:',
    '  - matchers: [\'route="wrong-token"\']',
    '    receiver: wrong',
    '  - matchers: [\'route="no-token"\']',
    '    receiver: none',
    '  - matchers: [\'route="two-groups"\']',
    '    receiver: bot',
    "    group_by: ['alertname']",
    '    continue: true',
    timing.trimEnd(),
    '  - matchers: [\'route="two-groups"\']',
    '    receiver: bot',
    "    group_by: ['instance']",
    timing.trimEnd(),
    'receivers:',
    hook('bot', o.token),
    hook('wrong', `${o.token}-wrong`),
    hook('none', ''),
    '',
  ].join('\n');
  const configPath = join(dir.path, 'alertmanager.yml');
  writeFileSync(configPath, config);
  let log = '';
  const child = spawnTracked(pdeathsigArgv([
    ALERTMANAGER_BIN, `--config.file=${configPath}`, `--storage.path=${join(dir.path, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=debug',
  ]));
  child.stdout!.setEncoding('utf8').on('data', (c: string) => { log = (log + c).slice(-200_000); });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { log = (log + c).slice(-200_000); });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcess(child, 2000).catch(() => undefined);
    await dir.remove();
  };
  try {
    await pollUntil(async () => {
      if (hasExited(child)) throw new Error(`alertmanager exited: ${log.slice(-2000)}`);
      const r = await fetch(`${url}/-/ready`).catch(() => undefined);
      return r?.ok ? true : undefined;
    }, { what: 'Alertmanager to be ready', timeoutMs: 30_000, intervalMs: 100, stopOn: (e) => e instanceof Error && e.message.startsWith('alertmanager exited') });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    add: async (alerts) => {
      const r = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
      if (!r.ok) throw new Error(`Alertmanager refused the alerts: ${r.status} ${await r.text()}`);
    },
    metric: async (name, labelPart) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
        if (labelPart && !line.includes(labelPart)) continue;
        sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
      return sum;
    },
    log: () => log,
    stop,
  };
}

/** A sample of the bot's /metrics: redis_doctor_alertmanager_alerts_total{outcome="…"}. */
export async function botOutcome(botUrl: string, outcome: string): Promise<number> {
  const text = await (await fetch(`${botUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`redis_doctor_alertmanager_alerts_total{outcome="${outcome}"}`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** POST /alertmanager directly. */
export async function postAlertmanager(botUrl: string, body: string, token: string | undefined): Promise<{ status: number; text: string }> {
  const r = await fetch(`${botUrl}/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  return { status: r.status, text: await r.text() };
}

/** A version 4 payload as Alertmanager sends it. */
export function payload(alerts: { status?: 'firing' | 'resolved'; labels: Record<string, string>; fingerprint?: string; startsAt?: string; endsAt?: string }[], status: 'firing' | 'resolved' = 'firing'): string {
  return JSON.stringify({
    receiver: 'bot', status, version: '4', groupKey: '{}:{}', truncatedAlerts: 0,
    groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am.example',
    alerts: alerts.map((a, i) => ({
      status: a.status ?? status, labels: a.labels, annotations: {},
      startsAt: a.startsAt ?? '2026-01-01T00:00:00Z', endsAt: a.endsAt ?? '0001-01-01T00:00:00Z',
      generatorURL: 'http://prom.example', fingerprint: a.fingerprint ?? `f${i.toString(16).padStart(15, '0')}`,
    })),
  });
}

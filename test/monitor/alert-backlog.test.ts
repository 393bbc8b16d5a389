/**
 * Many targets down at once while Slack rate-limits chat.postMessage (issue
 * #16, "Also"): two monitors (two workers) on one store in the real queue
 * Redis, the real Slack alert sink and Web API clients, and the Slack double
 * answering 429 with Retry-After. Nothing is posted while Slack said to wait
 * (by either worker); then the alerts go out gravest cause first, most recent
 * first within a cause, each saying how many more are queued; one alert per
 * incident, none twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnosis, DiagnoseTarget, UpResult } from '../../src/engine/index.js';
import { Logger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { Monitor, type AlertSettings } from '../../src/monitor/monitor.js';
import { slackAlertSink } from '../../src/slack/alert-sink.js';
import { createPostClient, createWebClient, Reporter } from '../../src/slack/reporter.js';
import { MonitorStore } from '../../src/stores/monitor-store.js';
import { useQueueRedis } from '../slack/helpers/queue-redis.js';
import { blockIds, startSlackDouble, textOf, type Call, type SlackDouble } from '../slack/helpers/slack-double.js';

const SETTINGS: AlertSettings = { channel: 'C0ALERTS', intervalSeconds: 5, failuresBeforeAlert: 2, successesBeforeRecovery: 2, remindAfterMinutes: 0 };
/** Probe failure code → the primary cause the diagnosis finds: unusable (auth before refused, by rank), then degraded. */
const CAUSE: Record<string, string> = { NOAUTH: 'auth-required', ECONNREFUSED: 'connection-refused', OOM: 'memory-limit-reached' };
const CODES = ['ECONNREFUSED', 'NOAUTH', 'OOM'];
const TARGETS = Array.from({ length: 12 }, (_, i) => `t${String(i).padStart(2, '0')}`);
const codeOf = (t: string) => CODES[Number(t.slice(1)) % 3]!;

function diagnosisFor(target: string, cause: string): Diagnosis {
  return {
    target: { input: target, name: target, host: '10.0.0.5', port: 6379, tls: false },
    verdict: 'unreachable', primaryCause: cause as Diagnosis['primaryCause'],
    findings: [{ cause: cause as Diagnosis['findings'][number]['cause'], severity: 'critical', confidence: 'confirmed', title: `it is ${cause}`, evidence: [], remediations: [] }],
    checks: [], durationMs: 1, startedAt: new Date().toISOString(), version: 'test',
  };
}

describe('alerts while Slack rate-limits them', () => {
  const { redis, prefix } = useQueueRedis();
  let double: SlackDouble;
  beforeAll(async () => {
    double = await startSlackDouble();
  });
  afterAll(async () => {
    await double?.close();
  });

  const parents = (): Call[] => double.calls.filter((c) => c.method === 'chat.postMessage' && !c.body.thread_ts);
  const posted = (): Call[] => parents().filter((c) => c.status === 200 && c.error === undefined);
  const targetOf = (c: Call) => blockIds(c)[0]!.slice('alert:'.length);

  it('holds every post for Retry-After, then posts the gravest and most recent first with the count queued, once each', async () => {
    let clock = 1_800_000_000_000;
    const results = new Map<string, string>();
    const logs: string[] = [];
    const log = new Logger('info', 'test', (l) => { logs.push(l); });
    const reporter = new Reporter(
      createWebClient('xoxb-test', double.apiUrl, log), log, 2000,
      createPostClient('xoxb-test', double.apiUrl, log),
      createPostClient('xoxb-test', double.apiUrl, log, undefined, true),
    );
    const store = new MonitorStore(redis, prefix);
    const probe = async (t: DiagnoseTarget): Promise<UpResult> => {
      const r = results.get(t.name!) ?? '+';
      return r === '+' ? { up: true, step: 'redis', durationMs: 1 } : { up: false, step: 'tcp', code: r, durationMs: 1 };
    };
    const make = () => new Monitor({
      settings: SETTINGS, store, sink: slackAlertSink(reporter), probe, metrics: new Metrics(), log, timeoutMs: 500, leaseMs: 10_000,
      resolve: (name) => ({ target: { input: name, name, host: '10.0.0.5', port: 6379, tls: false }, options: {} }),
      diagnose: async (name) => diagnosisFor(name, CAUSE[results.get(name)!]!),
      findDiagnosis: async () => undefined,
      now: () => clock,
    });
    const workers = [make(), make()];
    let n = 0;
    const tick = (target: string, result: string) => {
      results.set(target, result);
      clock += 1000;
      n += 1;
      return workers[n % 2]!.tick(target, clock);
    };

    for (const t of TARGETS) await tick(t, '+');
    // The first alert is refused with 429 (Retry-After 3 s); every other opens while Slack said to wait.
    double.rateLimit('chat.postMessage', 1, 3);
    const limitedAt = Date.now();
    for (const t of TARGETS) await tick(t, codeOf(t));
    for (const t of TARGETS) await tick(t, codeOf(t));
    for (const t of TARGETS) await tick(t, codeOf(t));
    expect(Date.now() - limitedAt).toBeLessThan(3000);
    expect(parents().map((c) => c.status)).toEqual([429]);
    expect(logs.some((l) => l.includes('Slack rate-limits the alerts'))).toBe(true);

    // Past Retry-After: the next tick (of any target, on either worker) posts four, and Slack answers 429 again.
    await new Promise((r) => setTimeout(r, 3200));
    double.rateLimit('chat.postMessage', 1, 2, 4);
    await tick('t05', 'OOM');
    expect(posted()).toHaveLength(4);
    for (const t of TARGETS) await tick(t, codeOf(t));
    expect(posted()).toHaveLength(4);
    await new Promise((r) => setTimeout(r, 2200));
    await tick('t00', 'ECONNREFUSED');
    await tick('t01', 'NOAUTH');

    // Gravest cause first (auth-required, connection-refused: unusable, by rank; then memory-limit-reached: degraded),
    // the most recent incident first within each; one alert per target.
    expect(posted().map(targetOf)).toEqual(['t10', 't07', 't04', 't01', 't09', 't06', 't03', 't00', 't11', 't08', 't05', 't02']);
    expect(posted().map((c) => /… and (\d+) more alerts? queued behind Slack's rate limit/.exec(textOf(c))?.[1] ?? '-'))
      .toEqual(['11', '10', '9', '8', '7', '6', '5', '4', '3', '2', '1', '-']);
    expect(parents().filter((c) => c.status === 429)).toHaveLength(2);

    // Later ticks post nothing more.
    for (const t of TARGETS) await tick(t, codeOf(t));
    expect(posted()).toHaveLength(12);
    expect(await redis.zcard(`${prefix}:store:monitor:backlog`)).toBe(0);
  }, 60_000);
});

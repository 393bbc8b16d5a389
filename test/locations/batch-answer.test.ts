/**
 * A location's monitor answers in bulk (issue #20 scale,
 * components/location-monitor.ts): the location's worker probes its shards
 * itself and sends the outcomes back about once a second (job progress) and
 * at the end of each batch (return value) — not one job per probe. With real
 * parts: the queue Redis, a password-protected redis-server target, a refused
 * port; the front end's listener (monitor/location-probes.ts) keeps the latest
 * outcome per target. Outcomes only: no password in anything the location sends.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { QueueEvents } from 'bullmq';
import { LocationMonitorComponent, type LocationBatchAnswer } from '../../src/components/location-monitor.js';
import { parseConfig } from '../../src/config/load.js';
import { createWorkerRedis } from '../../src/jobs/connections.js';
import { locationQueue } from '../../src/jobs/locations.js';
import { LocationProbeListener, LocationProbeStore, parseBatchAnswer } from '../../src/monitor/location-probes.js';
import { probeUp } from '../../src/engine/index.js';
import { Logger } from '../../src/log.js';
import { resolveJobTarget } from '../../src/slack/resolve.js';
import { need, describeLab } from '../lab/guard.js';
import { pollUntil } from '../lab/poll.js';
import { freePort } from '../lab/ports.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { QUEUE_REDIS, uniquePrefix } from '../slack/helpers/harness.js';
import { deleteKeysUnder } from '../slack/helpers/redis-keys.js';

const PASSWORD = 'batch-answer-secret-77';
const HEALTHY = 12;

describeLab('a location\'s monitor answers in bulk', [need.binary('redis-server')], () => {
  const prefix = uniquePrefix();
  const redis = createWorkerRedis(QUEUE_REDIS);
  const log = new Logger('error');
  let target: RedisServer;
  let component: LocationMonitorComponent;
  let listener: LocationProbeListener;
  let events: QueueEvents;
  const sent: LocationBatchAnswer[] = [];
  const texts: string[] = [];
  const names = [...Array.from({ length: HEALTHY }, (_, i) => `ok-${i}`), 'gone'];

  beforeAll(async () => {
    target = await startRedis({ password: PASSWORD });
    const refused = await freePort();
    const config = parseConfig([
      'locations:',
      '  - name: eu-vpc',
      'targets:',
      ...Array.from({ length: HEALTHY }, (_, i) => `  - { name: ok-${i}, url: "redis://127.0.0.1:${target.port}", passwordEnv: BATCH_PW, probeFrom: [eu-vpc] }`),
      `  - { name: gone, url: "redis://127.0.0.1:${refused}", probeFrom: [eu-vpc] }`,
      'alerts:',
      '  channel: C0ALERTS',
      '  intervalSeconds: 5',
    ].join('\n'), 'batch-answer.yaml');
    const env = { BATCH_PW: PASSWORD };
    const q = locationQueue(prefix, 'eu-vpc', 'monitor');
    // What the location sends, as the front end's queue events see it.
    const conn = createWorkerRedis(QUEUE_REDIS);
    events = new QueueEvents(q.name, { connection: conn, prefix: q.prefix });
    events.on('progress', ({ data }) => { texts.push(JSON.stringify(data)); sent.push(data as unknown as LocationBatchAnswer); });
    events.on('completed', ({ returnvalue }) => { texts.push(JSON.stringify(returnvalue)); sent.push((typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as LocationBatchAnswer); });
    await events.waitUntilReady();
    listener = new LocationProbeListener(QUEUE_REDIS, prefix, ['eu-vpc'], new LocationProbeStore(redis, prefix), log);
    await listener.start();
    component = new LocationMonitorComponent({
      redisUrl: QUEUE_REDIS, targets: names, intervalSeconds: 5,
      worker: { prefix: q.prefix, queue: q.name, concurrency: 50, log, name: `eu-vpc:test:${process.pid}` },
      deps: {
        location: 'eu-vpc', config, log, timeoutMs: 1000, probe: probeUp,
        resolve: (input) => resolveJobTarget(input, config, env),
        diagnose: () => Promise.reject(new Error('not in this test')),
      },
    });
    await component.start();
  }, 60_000);

  afterAll(async () => {
    await component?.stop().catch(() => undefined);
    await listener?.stop().catch(() => undefined);
    await events?.close().catch(() => undefined);
    await deleteKeysUnder(redis, prefix).catch(() => undefined);
    redis.disconnect();
    await target?.stop();
  }, 30_000);

  it('every target\'s outcome reaches the front end, several per message, outcomes only', async () => {
    const store = new LocationProbeStore(redis, prefix);
    const latest = await pollUntil(async () => {
      const all = await Promise.all(names.map((n) => store.latest(n)));
      return all.every((a) => a.length === 1) ? all.map((a) => a[0]!) : undefined;
    }, { what: 'an outcome of every target from eu-vpc', timeoutMs: 30_000, intervalMs: 250 });
    for (const a of latest) {
      expect(a.location).toBe('eu-vpc');
      if (a.target === 'gone') expect([a.up, a.code]).toEqual([false, 'ECONNREFUSED']);
      else expect(a.up).toBe(true);
      expect(Date.now() - a.at).toBeLessThan(12_000);
    }
    // A second round of batches: the outcomes keep coming, in bulk.
    await pollUntil(async () => (sent.filter((s) => s.answers.length > 0).reduce((n, s) => n + s.answers.length, 0) >= 2 * names.length ? true : undefined), { what: 'two rounds of outcomes', timeoutMs: 30_000, intervalMs: 250 });
    const withAnswers = sent.filter((s) => s.answers.length > 0);
    const answers = withAnswers.reduce((n, s) => n + s.answers.length, 0);
    // One shard here (13 targets): probed over ~2.5 s, sent about once a second — a few messages per tick, not 13.
    expect(withAnswers.length).toBeLessThanOrEqual(Math.ceil(answers / 2));
    for (const s of withAnswers) {
      expect(s.location).toBe('eu-vpc');
      for (const a of s.answers) expect(Object.keys(a).sort().every((k) => ['at', 'code', 'detail', 'location', 'target', 'up'].includes(k))).toBe(true);
    }
    expect(texts.join('\n')).not.toContain(PASSWORD);
  }, 90_000);

  it('parseBatchAnswer keeps well-formed outcomes of its own location only, bounded', () => {
    const ok = { location: 'eu-vpc', target: 'a', at: 1, up: true };
    expect(parseBatchAnswer({ location: 'eu-vpc', answers: [ok, { ...ok, location: 'dc-west' }, { ...ok, up: 'yes' }, null, 7] }, 'eu-vpc')).toEqual([ok]);
    expect(parseBatchAnswer(JSON.stringify({ answers: [ok] }), 'eu-vpc')).toEqual([ok]);
    expect(parseBatchAnswer('not json', 'eu-vpc')).toEqual([]);
    expect(parseBatchAnswer({ answers: Array.from({ length: 5000 }, () => ok) }, 'eu-vpc')).toHaveLength(2000);
    // A single outcome (a location worker of the per-target design) still counts.
    expect(parseBatchAnswer(ok, 'eu-vpc')).toEqual([ok]);
  });
});

/**
 * The monitor across two probe locations with real parts (issue #20): the
 * location workers (network namespaces, `ip netns exec`) probe the target on
 * their own schedulers and return the outcome through the queue; the front
 * end's monitor keeps one state machine per target. One location cut off by
 * iptables: one alert, saying from where it is down, whose diagnosis ran at
 * the location that sees it down (its cause, not "healthy" from local);
 * recovery once every location sees it up again.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { makeTempDir } from '../lab/tmp.js';
import { pollUntil } from '../lab/poll.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { blockIds, textOf } from '../slack/helpers/slack-double.js';
import { alertsOf, repliesTo, replyWithBlock } from '../monitor/helpers.js';
import { startLocationWorker, writeConfig, type LocationWorker } from './location-lab.js';

const CHANNEL = 'C0ALERTS';

function config(targetHost: string, port: number): string {
  return `locations:
  - name: eu-vpc
  - name: dc-west
targets:
  - name: cache-prod
    url: redis://${targetHost}:${port}
    probeFrom: [local, eu-vpc, dc-west]
alerts:
  channel: ${CHANNEL}
  intervalSeconds: 5
`;
}

describeLab('probe locations: the monitor across two namespaces', [need.root(), need.netns(), need.binary('redis-server'), need.binary('iptables')], () => {
  let eu: Netns;
  let west: Netns;
  let queue: RedisServer;
  let target: RedisServer;
  let h: Harness;
  let q: Redis;
  const tmp = makeTempDir('locmon');
  const workers: LocationWorker[] = [];

  beforeAll(async () => {
    eu = await createNetns();
    west = await createNetns();
    const bind = ['--bind', eu.hostAddress, west.hostAddress, '127.0.0.1', '--protected-mode', 'no'];
    queue = await startRedis({ args: bind });
    target = await startRedis({ args: bind });
    q = new Redis(`redis://127.0.0.1:${queue.port}`, { maxRetriesPerRequest: 1 });
    h = await startHarness({ config: config(eu.hostAddress, target.port), redisUrl: `redis://${eu.hostAddress}:${queue.port}` });
    for (const [name, ns] of [['eu-vpc', eu], ['dc-west', west]] as const) {
      workers.push(await startLocationWorker(ns, {
        REDIS_URL: `redis://${ns.hostAddress}:${queue.port}`,
        REDIS_DOCTOR_CONFIG: writeConfig(tmp.path, `${name}.yaml`, config(ns.hostAddress, target.port)),
        REDIS_DOCTOR_QUEUE_PREFIX: h.prefix,
        REDIS_DOCTOR_LOCATION: name,
        REDIS_DOCTOR_TIMEOUT_MS: '1000',
        LOG_LEVEL: 'info',
      }));
    }
  }, 240_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await h?.stop().catch(() => undefined);
    q?.disconnect();
    await target?.stop();
    await queue?.stop();
    await eu?.destroy();
    await west?.destroy();
    await tmp.remove();
  }, 60_000);

  it('one location cut off: one alert saying from where; recovery when every location sees it up', async () => {
    // Both locations' outcomes arrive through the queue (their schedulers, their workers).
    await pollUntil(async () => {
      const all = await q.hgetall(`${h.prefix}:monitor:at:cache-prod`);
      return all['eu-vpc'] && all['dc-west'] && JSON.parse(all['dc-west']).up === true ? true : undefined;
    }, { what: 'probe outcomes from both locations', timeoutMs: 60_000, intervalMs: 500 });
    expect(alertsOf(h.double, 'cache-prod')).toHaveLength(0);

    const rule = ['-d', west.hostAddress, '-p', 'tcp', '--dport', String(target.port), '-j', 'REJECT'];
    await west.iptables(['-I', 'OUTPUT', ...rule]);
    let removed = false;
    try {
      await h.double.waitFor('the alert', () => alertsOf(h.double, 'cache-prod').length > 0, 90_000);
      const parent = alertsOf(h.double, 'cache-prod')[0]!;
      expect(parent.body.channel).toBe(CHANNEL);
      const text = textOf(parent);
      expect(text).toMatch(/down from dc-west \(ECONNREFUSED/);
      expect(text).toMatch(/up from local, eu-vpc/);
      // The incident's diagnosis ran where it is down (dc-west's worker, through its queue), not at local where it answers.
      expect(text).toMatch(/diagnosed from dc-west/);
      expect(text).toMatch(/is \*down\*.*(connection-refused|firewall-blocked)/s);
      expect(text).not.toMatch(/found nothing wrong|cause unknown/);
      expect(workers[1]!.lines().some((l) => l.includes('"msg":"location diagnosis done"') && l.includes('"target":"cache-prod"'))).toBe(true);
      // Its findings, from dc-west's document, in the alert's thread.
      await h.double.waitFor('the findings in the alert\'s thread', () => repliesTo(h.double, parent.ts).some((c) => blockIds(c).some((id) => /^finding:(connection-refused|firewall-blocked)$/.test(id))), 30_000);
      // Still down two intervals later: still one alert, not one per location or per tick.
      await new Promise((r) => setTimeout(r, 11_000));
      expect(alertsOf(h.double, 'cache-prod')).toHaveLength(1);

      await west.iptables(['-D', 'OUTPUT', ...rule]);
      removed = true;
      await h.double.waitFor('the recovery', () => replyWithBlock(h.double, parent.ts, 'recovered').length > 0, 90_000);
      expect(alertsOf(h.double, 'cache-prod')).toHaveLength(1);
    } finally {
      if (!removed) await west.iptables(['-D', 'OUTPUT', ...rule]).catch(() => undefined);
    }
  }, 300_000);
});

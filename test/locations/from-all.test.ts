/**
 * Probe locations end to end with real parts (issue #20): two locations as
 * network namespaces, each running a worker process (`ip netns exec`, no
 * Slack variable, no PORT) that reaches the queue Redis over its veth; a
 * real diagnosed Redis; iptables between one location and it (REJECT, then
 * DROP); the Slack flow through signed requests to the real Bolt receiver
 * and the Web API double.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { makeTempDir } from '../lab/tmp.js';
import { pollUntil } from '../lab/poll.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { textOf } from '../slack/helpers/slack-double.js';
import { locationQueue } from '../../src/jobs/locations.js';
import { locationRun, startLocationWorker, writeConfig, type LocationWorker } from './location-lab.js';

const TARGET_PW_ENV = 'SECRET_DB_PASSWORD';

function config(targetHost: string, port: number): string {
  return `locations:
  - name: eu-vpc
  - name: dc-west
targets:
  - name: cache-prod
    url: redis://${targetHost}:${port}
    probeFrom: [local, eu-vpc, dc-west]
  - name: secret-db
    url: redis://${targetHost}:${port}
    passwordEnv: ${TARGET_PW_ENV}
    probeFrom: [eu-vpc]
  - name: only-local
    url: redis://${targetHost}:${port}
`;
}

describeLab('probe locations: from all across two namespaces', [need.root(), need.netns(), need.binary('redis-server'), need.binary('iptables')], () => {
  let eu: Netns;
  let west: Netns;
  let queue: RedisServer;
  let target: RedisServer;
  let h: Harness;
  const tmp = makeTempDir('locations');
  const workers: Record<string, LocationWorker> = {};
  const workerEnv: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    eu = await createNetns();
    west = await createNetns();
    const bind = ['--bind', eu.hostAddress, west.hostAddress, '127.0.0.1', '--protected-mode', 'no'];
    queue = await startRedis({ args: bind });
    target = await startRedis({ args: bind });
    const queueUrl = (host: string) => `redis://${host}:${queue.port}`;
    h = await startHarness({ config: config(eu.hostAddress, target.port), redisUrl: queueUrl(eu.hostAddress) });
    // Each location resolves the target with its own config: its own address of the same server.
    for (const [name, ns] of [['eu-vpc', eu], ['dc-west', west]] as const) {
      workerEnv[name] = {
        REDIS_URL: queueUrl(ns.hostAddress),
        REDIS_DOCTOR_CONFIG: writeConfig(tmp.path, `${name}.yaml`, config(ns.hostAddress, target.port)),
        REDIS_DOCTOR_QUEUE_PREFIX: h.prefix,
        REDIS_DOCTOR_LOCATION: name,
        REDIS_DOCTOR_TIMEOUT_MS: '1000',
        LOG_LEVEL: 'info',
      };
      workers[name] = await startLocationWorker(ns, workerEnv[name]);
    }
  }, 240_000);

  afterAll(async () => {
    await Promise.all(Object.values(workers).map((w) => w.kill()));
    await h?.stop().catch(() => undefined);
    await target?.stop();
    await queue?.stop();
    await eu?.destroy();
    await west?.destroy();
    await tmp.remove();
  }, 60_000);

  const finished = (since: number) => locationRun(h.double, since);

  async function jobsAt(location: string): Promise<number> {
    const { prefix, name } = locationQueue(h.prefix, location, 'diagnose');
    const redis = new Redis(`redis://127.0.0.1:${queue.port}`, { maxRetriesPerRequest: 1 });
    const q = new Queue(name, { connection: redis, prefix });
    try {
      const c = await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
      return Object.values(c).reduce((a, b) => a + b, 0);
    } finally {
      await q.close();
      redis.disconnect();
    }
  }

  it('from all: one parent with each location\'s verdict, each location\'s part in the thread', async () => {
    const since = Date.now();
    const r = await h.command({ text: 'cache-prod from all' });
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.json)).toContain('Diagnosing');
    const { parent, thread } = await finished(since);
    const text = textOf(parent);
    expect(text).toMatch(/from 3 locations/);
    for (const l of ['local', 'eu-vpc', 'dc-west']) expect(text).toMatch(new RegExp(`from \`${l}\`: \\*healthy\\*`));
    expect(text).not.toContain('blocked-from-location');
    expect(thread.map(textOf).filter((t) => /^from (local|eu-vpc|dc-west): healthy/i.test(t))).toHaveLength(3);
  }, 90_000);

  for (const action of ['REJECT', 'DROP'] as const) {
    it(`iptables ${action} between dc-west and Redis: blocked-from-location names both and what lies between`, async () => {
      const rule = ['-d', west.hostAddress, '-p', 'tcp', '--dport', String(target.port), '-j', action];
      await west.iptables(['-I', 'OUTPUT', ...rule]);
      try {
        const since = Date.now();
        await h.command({ text: 'cache-prod from all' });
        const { parent, thread } = await finished(since);
        const text = textOf(parent);
        expect(text).toMatch(/from `local`: \*healthy\*/);
        expect(text).toMatch(/from `eu-vpc`: \*healthy\*/);
        expect(text).toMatch(/from `dc-west`: \*unreachable\*/);
        expect(text).toContain('blocked-from-location');
        expect(text).toMatch(action === 'REJECT' ? /refused from dc-west.*REJECT/ : /no answer \(dropped\) from dc-west.*security group/);
        const finding = thread.map(textOf).find((t) => t.includes('blocked-from-location'));
        expect(finding).toBeDefined();
        expect(finding).toMatch(/answers from (local|eu-vpc)/);
        expect(finding).toMatch(/likely/i);
      } finally {
        await west.iptables(['-D', 'OUTPUT', ...rule]);
      }
    }, 90_000);
  }

  it('bad input is answered at once and queues nothing', async () => {
    const before = await jobsAt('eu-vpc');
    for (const [text, answer] of [
      ['cache-prod from eu_vpc;rm', /is not a location name/],
      ['cache-prod from mars', /Unknown location mars: the known locations are local, eu-vpc, dc-west/],
      ['only-local from eu-vpc', /only-local is not probed from eu-vpc \(its probeFrom: local\)/],
      ['cache-prod from', /Usage/],
      ['10.0.0.1:6379 from eu-vpc', /not a configured target|configured targets only/],
    ] as const) {
      const r = await h.command({ text });
      expect(r.status).toBe(200);
      expect(JSON.stringify(r.json), text).toMatch(answer);
    }
    expect(await jobsAt('eu-vpc')).toBe(before);
  }, 30_000);

  it('a location whose config lacks the password: a clear answer, not a wait', async () => {
    const since = Date.now();
    await h.command({ text: 'secret-db from eu-vpc' });
    const { parent } = await finished(since);
    expect(textOf(parent)).toMatch(/from `eu-vpc`: \*no answer\*.*SECRET_DB_PASSWORD/s);
  }, 60_000);

  it('status shows each location: workers alive and queue depth', async () => {
    const r = await h.command({ text: 'status' });
    const text = JSON.stringify(r.json);
    expect(text).toMatch(/`eu-vpc`: :large_green_circle: 1 worker alive/);
    expect(text).toMatch(/`dc-west`: :large_green_circle: 1 worker alive/);
    expect(text).toMatch(/`local`: :large_green_circle:/);
  }, 30_000);

  it('a location whose worker is killed is answered at once, and again once it is back', async () => {
    await workers['dc-west']!.kill();
    // BullMQ's getWorkers reads CLIENT LIST: the killed process's connections close with it.
    const answer = await pollUntil(async () => {
      const r = await h.command({ text: 'cache-prod from dc-west' });
      const text = JSON.stringify(r.json);
      return /no worker is serving dc-west/.test(text) ? { text, ms: r.ms } : undefined;
    }, { what: 'the no-worker answer', timeoutMs: 15_000, intervalMs: 500 });
    expect(answer.text).toMatch(/last seen/);
    expect(answer.ms).toBeLessThan(3000);
    expect(await jobsAt('dc-west')).toBeGreaterThanOrEqual(0);
    const status = JSON.stringify((await h.command({ text: 'status' })).json);
    expect(status).toMatch(/`dc-west`: :red_circle: \*no worker\* · last seen/);
    // from all still answers the other locations, and says which one had nobody.
    const since = Date.now();
    await h.command({ text: 'cache-prod from all' });
    const { parent } = await finished(since);
    expect(textOf(parent)).toMatch(/from `dc-west`: \*no answer\* — no worker is serving dc-west/);
    expect(textOf(parent)).toMatch(/from `eu-vpc`: \*healthy\*/);

    workers['dc-west'] = await startLocationWorker(west, workerEnv['dc-west']!);
    // Its BullMQ worker connects (and names its connection) just after the process says it started.
    await pollUntil(async () => (/`dc-west`: :large_green_circle: 1 worker alive/.test(JSON.stringify((await h.command({ text: 'status' })).json)) ? true : undefined),
      { what: 'dc-west to be served again', timeoutMs: 30_000, intervalMs: 500 });
    const again = Date.now();
    await h.command({ text: 'cache-prod from dc-west' });
    const back = await finished(again);
    expect(textOf(back.parent)).toMatch(/from `dc-west`: \*healthy\*/);
  }, 240_000);

  it('a worker started for a location the config does not know refuses to start, naming the known ones', async () => {
    await expect(startLocationWorker(eu, { ...workerEnv['eu-vpc']!, REDIS_DOCTOR_LOCATION: 'mars' })).rejects.toThrow(/REDIS_DOCTOR_LOCATION "mars" is not a location of the config \(locations: local, eu-vpc, dc-west\)/);
  }, 120_000);
});

/**
 * The ACL of docs/locations.md (locationAclRules) on a real redis-server: a
 * location's worker authenticated as its own ACL user serves its queue (a
 * diagnosis answered through the queue), and that user can read neither
 * another location's job results nor the front end's keys.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { describeLab, need } from '../lab/guard.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { makeTempDir } from '../lab/tmp.js';
import { uniquePrefix } from '../slack/helpers/harness.js';
import { locationAclRules, locationQueue } from '../../src/jobs/locations.js';
import type { LocationAnswer } from '../../src/jobs/location-jobs.js';
import { startLocationWorker, writeConfig, type LocationWorker } from './location-lab.js';

const ACL_PASSWORD = `acl-${process.pid}-eu-vpc-pass`;

describeLab('probe locations: a location worker limited by its ACL', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  let queue: RedisServer;
  let target: RedisServer;
  let admin: Redis;
  let worker: LocationWorker | undefined;
  const tmp = makeTempDir('locacl');
  const prefix = uniquePrefix();
  const user = `loc-eu-vpc-${process.pid}`;

  beforeAll(async () => {
    queue = await startRedis({});
    target = await startRedis({});
    await queue.cli('ACL', 'SETUSER', user, 'on', `>${ACL_PASSWORD}`, ...locationAclRules(prefix, 'eu-vpc'));
    admin = new Redis(`redis://127.0.0.1:${queue.port}`, { maxRetriesPerRequest: null });
    const config = `locations:\n  - name: eu-vpc\n  - name: dc-west\ntargets:\n  - name: cache-prod\n    url: redis://127.0.0.1:${target.port}\n    probeFrom: [eu-vpc, dc-west]\n`;
    worker = await startLocationWorker(undefined, {
      REDIS_URL: `redis://${user}:${ACL_PASSWORD}@127.0.0.1:${queue.port}`,
      REDIS_DOCTOR_CONFIG: writeConfig(tmp.path, 'eu.yaml', config),
      REDIS_DOCTOR_QUEUE_PREFIX: prefix,
      REDIS_DOCTOR_LOCATION: 'eu-vpc',
      REDIS_DOCTOR_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'info',
    });
  }, 120_000);

  afterAll(async () => {
    await worker?.kill();
    admin?.disconnect();
    await target?.stop();
    await queue?.stop();
    await tmp.remove();
  }, 30_000);

  async function runJob(location: string, data: Record<string, unknown>): Promise<unknown> {
    const { prefix: p, name } = locationQueue(prefix, location, 'diagnose');
    const q = new Queue(name, { connection: admin, prefix: p });
    const events = new QueueEvents(name, { connection: admin.duplicate(), prefix: p });
    try {
      await events.waitUntilReady();
      const job = await q.add('diagnose', data, { jobId: `l-${location}-${Date.now()}`, removeOnComplete: false });
      return await job.waitUntilFinished(events, 60_000);
    } finally {
      await events.close();
      await q.close();
    }
  }

  it('the worker authenticated as its ACL user serves its own queue', async () => {
    const answer = await runJob('eu-vpc', { input: 'cache-prod', location: 'eu-vpc', requestedAt: Date.now() }) as LocationAnswer;
    expect(answer.ok).toBe(true);
    if (answer.ok) expect(answer.diagnosis).toMatchObject({ verdict: 'healthy', location: 'eu-vpc' });
    expect(worker!.lines().join('\n')).not.toMatch(/NOPERM/);
  }, 90_000);

  it('it cannot read another location\'s job results, nor the front end\'s keys', async () => {
    // dc-west's job, completed by a dc-west worker (here, as the admin user).
    const { prefix: p, name } = locationQueue(prefix, 'dc-west', 'diagnose');
    const west = new Worker(name, async () => ({ ok: true, diagnosis: { secret: 'dc-west result' } }), { connection: admin.duplicate(), prefix: p });
    try {
      await runJob('dc-west', { input: 'cache-prod', location: 'dc-west', requestedAt: Date.now() });
    } finally {
      await west.close();
    }
    const westKeys = await admin.keys(`${p}:${name}:l-*`);
    expect(westKeys.length).toBeGreaterThan(0);
    expect(await admin.hget(westKeys[0]!, 'returnvalue')).toContain('dc-west result');
    await admin.set(`${prefix}:diagnosis:x`, 'front end only');

    const eu = new Redis(`redis://${user}:${ACL_PASSWORD}@127.0.0.1:${queue.port}`, { maxRetriesPerRequest: 1 });
    try {
      await expect(eu.hget(westKeys[0]!, 'returnvalue')).rejects.toThrow(/NOPERM/);
      await expect(eu.hgetall(westKeys[0]!)).rejects.toThrow(/NOPERM/);
      await expect(eu.get(`${prefix}:diagnosis:x`)).rejects.toThrow(/NOPERM/);
      await expect(eu.keys('*')).rejects.toThrow(/NOPERM/);
      await expect(eu.call('CONFIG', 'GET', 'requirepass')).rejects.toThrow(/NOPERM/);
      await expect(eu.call('CLIENT', 'LIST')).rejects.toThrow(/NOPERM/);
      // Its own keys it may read.
      const own = locationQueue(prefix, 'eu-vpc', 'diagnose');
      expect(await eu.exists(`${own.prefix}:${own.name}:id`)).toBeGreaterThanOrEqual(0);
    } finally {
      eu.disconnect();
    }
  }, 90_000);
});

/**
 * Two probe locations as network namespaces for the locations tests: a queue
 * Redis and a diagnosed Redis, both real redis-servers on the host ends of
 * the veths (namespaces cannot reach the host's loopback), and one worker
 * process per location started through `ip netns exec` with
 * REDIS_DOCTOR_LOCATION and its own config file — no Slack variable, no PORT.
 */
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '../lab/poll.js';
import { captureOutput, hasExited, spawnTracked } from '../lab/procs.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { makeTempDir } from '../lab/tmp.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import type { Call, SlackDouble } from '../slack/helpers/slack-double.js';

const CHILD = join(import.meta.dirname, '..', 'slack', 'helpers', 'worker-child.mjs');

export interface LocationWorker {
  child: ChildProcess;
  lines(): string[];
  kill(): Promise<void>;
}

/** Starts `npm run worker`'s bot in `ns` (or here) as location `location`; resolves once it has started (or rejects with its log). */
export async function startLocationWorker(ns: Netns | undefined, env: Record<string, string>, bot: Record<string, unknown> = {}): Promise<LocationWorker> {
  const argv = [process.execPath, CHILD, JSON.stringify(bot)];
  const options = { env: { PATH: process.env.PATH ?? '', ...env } };
  const child = ns ? ns.spawn(argv, options) : spawnTracked(argv, options);
  const output = captureOutput(child);
  const exit = new Promise<void>((r) => child.once('exit', () => r()));
  await pollUntil(async () => {
    if (hasExited(child)) throw new Error(`location worker exited: ${output.all().join('\n').slice(-4000)}`);
    return output.stdout().includes('\n') ? true : undefined;
  }, { what: 'the location worker to start', timeoutMs: 90_000, intervalMs: 50, stopOn: (e) => e instanceof Error && e.message.startsWith('location worker exited') });
  return {
    child,
    lines: output.lines,
    kill: async () => {
      if (!hasExited(child)) child.kill('SIGKILL');
      await Promise.race([exit, new Promise((r) => setTimeout(r, 5000))]);
    },
  };
}

/** Writes a config file into `dir`; returns its path. */
export function writeConfig(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The parent of the latest location diagnosis (posted after `since`) once every location answered, and its thread. */
export async function locationRun(double: SlackDouble, since: number): Promise<{ parent: Call; thread: Call[] }> {
  let parentTs = '';
  await double.waitFor('the location parent to be updated with the verdicts', (calls) => {
    const u = calls.find((c) => c.at >= since && c.method === 'chat.update' && (c.body.blocks ?? []).some((b) => b.block_id === 'locations-heading'));
    parentTs = u?.body.ts ?? '';
    return u !== undefined;
  }, 60_000);
  // The thread is posted after the update: wait until its headers are all there.
  await new Promise((r) => setTimeout(r, 1500));
  const parent = [...double.calls].reverse().find((c) => c.method === 'chat.update' && c.body.ts === parentTs)!;
  return { parent, thread: double.calls.filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === parentTs) };
}

/**
 * One location `eu-vpc` in a namespace, monitoring one location-only target (a real redis-server on the
 * namespace's host end) every `intervalS` with failuresBeforeAlert 2: the queue Redis, the front end
 * (harness, Slack double) and the location's worker process (its own config; `workerEnv` added to its env).
 */
export interface OneLocation {
  eu: Netns;
  queue: RedisServer;
  target: RedisServer;
  h: Harness;
  q: Redis;
  worker: LocationWorker;
  stop(): Promise<void>;
}

export async function startOneLocation(o: { targetName: string; channel: string; intervalS: number; tmpPrefix: string; workerEnv?: (target: RedisServer) => Record<string, string> }): Promise<OneLocation> {
  const config = (host: string, port: number) => `locations:
  - name: eu-vpc
targets:
  - name: ${o.targetName}
    url: redis://${host}:${port}
    probeFrom: [eu-vpc]
alerts:
  channel: ${o.channel}
  intervalSeconds: ${o.intervalS}
  failuresBeforeAlert: 2
`;
  const tmp = makeTempDir(o.tmpPrefix);
  const parts: Partial<OneLocation> = {};
  const stop = async () => {
    await parts.worker?.kill();
    await parts.h?.stop().catch(() => undefined);
    parts.q?.disconnect();
    await parts.target?.stop();
    await parts.queue?.stop();
    await parts.eu?.destroy();
    await tmp.remove();
  };
  try {
    const eu = parts.eu = await createNetns();
    const bind = ['--bind', eu.hostAddress, '127.0.0.1', '--protected-mode', 'no'];
    const queue = parts.queue = await startRedis({ args: bind });
    const target = parts.target = await startRedis({ args: bind });
    parts.q = new Redis(`redis://127.0.0.1:${queue.port}`, { maxRetriesPerRequest: 1 });
    const h = parts.h = await startHarness({ config: config(eu.hostAddress, target.port), redisUrl: `redis://${eu.hostAddress}:${queue.port}` });
    parts.worker = await startLocationWorker(eu, {
      REDIS_URL: `redis://${eu.hostAddress}:${queue.port}`,
      REDIS_DOCTOR_CONFIG: writeConfig(tmp.path, 'eu-vpc.yaml', config(eu.hostAddress, target.port)),
      REDIS_DOCTOR_QUEUE_PREFIX: h.prefix,
      REDIS_DOCTOR_LOCATION: 'eu-vpc',
      REDIS_DOCTOR_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'info',
      ...(o.workerEnv?.(target) ?? {}),
    });
    return { ...(parts as Omit<OneLocation, 'stop'>), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

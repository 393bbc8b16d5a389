/**
 * Approved fixes at a probe location, with real parts (issue #20): the
 * diagnosed Redis servers run inside the locations' network namespaces, and
 * only each location's own config knows their address and only its own
 * environment holds the password (the front end's config points at a port
 * where nothing listens and its environment has no password). The fix runs
 * in the location's worker process (`ip netns exec`), changes the real
 * server's state, and its verifying diagnosis runs there too. A location
 * whose config says `fixes: guided` runs nothing; a location whose worker is
 * dead is answered at once, and the approval stands until an approver runs
 * it again. What ran is counted on the servers (INFO commandstats).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { fillMemory } from '../lab/redis-states.js';
import { commandCalls, configValue } from '../lab/commandstats.js';
import { makeTempDir } from '../lab/tmp.js';
import { pollUntil } from '../lab/poll.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { actionIds, blockIds, textOf, type Call } from '../slack/helpers/slack-double.js';
import { locationQueue } from '../../src/jobs/locations.js';
import { locationRun, startLocationWorker, writeConfig, type LocationWorker } from './location-lab.js';

const PASSWORD = `loc-fix-${process.pid}-Xy7`;

/** The front end's config: it knows the targets' names and where they are probed from, not how to reach them. */
function frontConfig(eu: Netns, west: Netns): string {
  return `locations:
  - name: eu-vpc
  - name: dc-west
targets:
  - name: fixme
    url: redis://${eu.nsAddress}:1
    passwordEnv: FIX_PW
    probeFrom: [eu-vpc]
    fixes: automatic
  - name: guarded
    url: redis://${eu.nsAddress}:1
    probeFrom: [eu-vpc]
    fixes: automatic
  - name: westonly
    url: redis://${west.nsAddress}:1
    probeFrom: [dc-west]
    fixes: automatic
access:
  diagnose: [U0ALICE, U0BOSS]
  approvers: [U0BOSS]
`;
}

/** A location's config: its own targets' real addresses, and its own fixes setting. */
function locationConfig(targets: string): string {
  return `locations:
  - name: eu-vpc
  - name: dc-west
targets:
${targets}`;
}

describeLab('probe locations: approved fixes run at the location', [need.root(), need.netns(), need.binary('redis-server'), need.binary('iptables')], () => {
  let eu: Netns;
  let west: Netns;
  let queue: RedisServer;
  let fixme: RedisServer;
  let guarded: RedisServer;
  let westonly: RedisServer;
  let h: Harness;
  /** The queue Redis of this test (the harness's own client is on the shared one). */
  let qr: Redis;
  const tmp = makeTempDir('locfix');
  const workers: Record<string, LocationWorker> = {};
  const workerEnv: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    eu = await createNetns();
    west = await createNetns();
    queue = await startRedis({ args: ['--bind', eu.hostAddress, west.hostAddress, '127.0.0.1', '--protected-mode', 'no'] });
    const inNs = (ns: Netns, port: number, password?: string) => startRedis({ netns: ns, port, args: ['--bind', ns.nsAddress, '--protected-mode', 'no'], ...(password ? { password } : {}) });
    [fixme, guarded, westonly] = await Promise.all([inNs(eu, 6379, PASSWORD), inNs(eu, 6380), inNs(west, 6379)]);
    await Promise.all([fillMemory(fixme), fillMemory(guarded), fillMemory(westonly)]);
    h = await startHarness({ config: frontConfig(eu, west), redisUrl: `redis://${eu.hostAddress}:${queue.port}` });
    qr = new Redis(`redis://127.0.0.1:${queue.port}`, { maxRetriesPerRequest: 1 });
    const configs = {
      'eu-vpc': locationConfig(`  - name: fixme
    url: redis://${eu.nsAddress}:6379
    passwordEnv: FIX_PW
    probeFrom: [eu-vpc]
    fixes: automatic
  - name: guarded
    url: redis://${eu.nsAddress}:6380
    probeFrom: [eu-vpc]
`),
      'dc-west': locationConfig(`  - name: westonly
    url: redis://${west.nsAddress}:6379
    probeFrom: [dc-west]
    fixes: automatic
`),
    };
    for (const [name, ns] of [['eu-vpc', eu], ['dc-west', west]] as const) {
      workerEnv[name] = {
        REDIS_URL: `redis://${ns.hostAddress}:${queue.port}`,
        REDIS_DOCTOR_CONFIG: writeConfig(tmp.path, `${name}.yaml`, configs[name]),
        REDIS_DOCTOR_QUEUE_PREFIX: h.prefix,
        REDIS_DOCTOR_LOCATION: name,
        REDIS_DOCTOR_TIMEOUT_MS: '1000',
        LOG_LEVEL: 'info',
        ...(name === 'eu-vpc' ? { FIX_PW: PASSWORD } : {}),
      };
      workers[name] = await startLocationWorker(ns, workerEnv[name]);
    }
  }, 240_000);

  afterAll(async () => {
    await Promise.all(Object.values(workers).map((w) => w.kill()));
    await h?.stop().catch(() => undefined);
    qr?.disconnect();
    await Promise.all([fixme?.stop(), guarded?.stop(), westonly?.stop()]);
    await queue?.stop();
    await eu?.destroy();
    await west?.destroy();
    await tmp.remove();
  }, 60_000);

  /** `/redis-diagnose <target>` (it runs at its location) and the memory finding in its thread. */
  async function findingOf(target: string): Promise<Call> {
    const since = Date.now();
    await h.command({ text: target, user: 'U0ALICE' });
    const { thread } = await locationRun(h.double, since);
    const finding = thread.find((c) => blockIds(c).includes('finding:memory-limit-reached'));
    if (!finding) throw new Error(`no memory finding for ${target}: ${thread.map(textOf).join('\n---\n').slice(0, 2000)}`);
    return finding;
  }

  const requests = () => h.double.ok('chat.postMessage').filter((c) => blockIds(c).some((id) => id.startsWith('approval:')));

  /** Asks for the eviction-policy fix (U0ALICE) and approves it (U0BOSS); the request id and when it was approved. */
  async function approveFix(finding: Call): Promise<{ id: string; at: number }> {
    const before = requests().length;
    await h.click(finding, 'remediate:set-eviction-policy', 'U0ALICE');
    await h.double.waitFor('the approval request', () => requests().length === before + 1);
    const req = requests().at(-1)!;
    const id = actionIds(req)[0]!.slice('approve:'.length);
    const at = Date.now();
    await h.click(req, `approve:${id}`, 'U0BOSS');
    return { id, at };
  }

  const ledgerState = (id: string) => qr.hget(`${h.prefix}:store:remediation:${id}`, 'state');
  const outcomeOf = (id: string) => h.double.ok('chat.postMessage').find((c) => blockIds(c).includes(`outcome:${id}`));
  const logged = (w: LocationWorker, msg: string) => w.lines().filter((l) => l.includes(`"msg":"${msg}"`));

  it('a fix approved for a location\'s target runs in that location\'s worker, changes the server there, and is verified there', async () => {
    // The front end could not do it itself: no password in its environment, no address in its config.
    expect(h.env.FIX_PW).toBeUndefined();
    const finding = await findingOf('fixme');
    await fixme.cli('CONFIG', 'RESETSTAT');
    const diagnosesBefore = logged(workers['eu-vpc']!, 'location diagnosis done').length;
    const { id } = await approveFix(finding);

    await h.double.waitFor('the outcome in the thread', () => outcomeOf(id) !== undefined, 30_000);
    expect(textOf(outcomeOf(id)!)).toMatch(/Applied: `CONFIG SET maxmemory-policy allkeys-lru` on \*fixme\* \(`[0-9.]+:6379`\)/);
    expect(textOf(outcomeOf(id)!)).toContain('Reply: `OK`');
    expect(await ledgerState(id)).toBe('applied');
    // On the server itself, once.
    expect(await configValue(fixme, 'maxmemory-policy')).toBe('allkeys-lru');
    expect(await commandCalls(fixme, 'config|set')).toBe(1);
    // By the eu-vpc worker process (its own log line), not the front end.
    expect(logged(workers['eu-vpc']!, 'location remediation done').some((l) => l.includes(`"outcome":"applied"`) && l.includes(id))).toBe(true);
    expect(await qr.hget(`${h.prefix}:store:remediation:${id}`, 'runner')).toMatch(/^at:eu-vpc:/);
    // The password never reached the queue or the front end's logs.
    expect(h.logs.join('\n')).not.toContain(PASSWORD);
    expect(workers['eu-vpc']!.lines().join('\n')).not.toContain(PASSWORD);

    // The verifying diagnosis: run by the eu-vpc worker, posted in the thread as a verification.
    const verified = (c: Call) => c.method === 'chat.update' && blockIds(c).includes('verification') && textOf(c).includes('verified: healthy');
    await h.double.waitFor('the verification verdict', (calls) => calls.some(verified), 60_000);
    expect(logged(workers['eu-vpc']!, 'location diagnosis done').length).toBeGreaterThan(diagnosesBefore);
    const verdict = h.double.calls.find(verified)!;
    expect(textOf(verdict)).toContain('ran (applied at eu-vpc)');
    expect(verdict.body.thread_ts ?? h.double.ok('chat.postMessage').find((c) => c.ts === verdict.body.ts)?.body.thread_ts).toBe(finding.body.thread_ts);
  }, 180_000);

  it('a location whose own config says fixes: guided for the target runs nothing', async () => {
    const finding = await findingOf('guarded');
    await guarded.cli('CONFIG', 'RESETSTAT');
    const { id } = await approveFix(finding);
    await h.double.waitFor('the outcome in the thread', () => outcomeOf(id) !== undefined, 30_000);
    expect(await ledgerState(id)).toBe('refused');
    expect(textOf(outcomeOf(id)!)).toMatch(/Not run.*not run at eu-vpc: the config of location eu-vpc has `fixes: guided` for guarded/s);
    expect(await qr.hget(`${h.prefix}:store:remediation:${id}`, 'sent')).toBe('0');
    expect(await configValue(guarded, 'maxmemory-policy')).toBe('noeviction');
    expect(await commandCalls(guarded, 'config|set')).toBe(0);
  }, 120_000);

  it('a location whose worker is dead is answered at once; the approval stands and runs once a worker is back', async () => {
    const finding = await findingOf('westonly');
    await westonly.cli('CONFIG', 'RESETSTAT');
    await workers['dc-west']!.kill();
    const remediateQ = locationQueue(h.prefix, 'dc-west', 'remediate');
    const q = new Queue(remediateQ.name, { connection: qr, prefix: remediateQ.prefix });
    try {
      // BullMQ's getWorkers reads CLIENT LIST: the killed process's connections close with it.
      await pollUntil(async () => ((await q.getWorkers()).length === 0 ? true : undefined), { what: 'dc-west to have no worker', timeoutMs: 10_000, intervalMs: 200 });
      const { id, at } = await approveFix(finding);
      const notRun = () => h.double.ok('chat.postMessage').find((c) => blockIds(c).includes(`not-run:${id}`));
      await h.double.waitFor('the not-run answer', () => notRun() !== undefined, 15_000);
      const message = notRun()!;
      expect(message.at - at).toBeLessThan(5000);
      expect(textOf(message)).toMatch(/Not run yet: `CONFIG SET maxmemory-policy allkeys-lru` on \*westonly\* \(`[0-9.]+:6379`\) — no worker is serving dc-west \(last seen/);
      expect(textOf(message)).toContain('Nothing was sent; the approval stands');
      expect(await ledgerState(id)).toBe('approved');
      expect(await qr.hget(`${h.prefix}:store:remediation:${id}`, 'runner')).toBeNull();
      // Nothing left queued at dc-west to run later by surprise.
      expect(Object.values(await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).reduce((a, b) => a + b, 0)).toBe(0);
      expect(await commandCalls(westonly, 'config|set')).toBe(0);

      workers['dc-west'] = await startLocationWorker(west, workerEnv['dc-west']!);
      await pollUntil(async () => ((await q.getWorkers()).length > 0 ? true : undefined), { what: 'dc-west to be served again', timeoutMs: 30_000, intervalMs: 300 });
      // "Run it now": an approver's click queues the standing approval again.
      await h.click(message, `approve:${id}`, 'U0BOSS');
      await h.double.waitFor('the outcome in the thread', () => outcomeOf(id) !== undefined, 30_000);
      expect(await ledgerState(id)).toBe('applied');
      expect(await configValue(westonly, 'maxmemory-policy')).toBe('allkeys-lru');
      expect(await commandCalls(westonly, 'config|set')).toBe(1);
    } finally {
      await q.close();
    }
  }, 240_000);

  it('a location worker killed while its fix is in flight: unknown, never sent again', async () => {
    await westonly.cli('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    const finding = await findingOf('westonly');
    await westonly.cli('CONFIG', 'RESETSTAT');
    const remediateQ = locationQueue(h.prefix, 'dc-west', 'remediate');
    const q = new Queue(remediateQ.name, { connection: qr, prefix: remediateQ.prefix });
    // The server stops answering for a while: the command is written, its reply does not come.
    const sleeping = westonly.cli('DEBUG', 'SLEEP', '4').catch(() => undefined);
    try {
      await new Promise((r) => setTimeout(r, 200));
      const { id } = await approveFix(finding);
      await pollUntil(async () => (((await q.getJobCounts('active')).active ?? 0) > 0 ? true : undefined), { what: 'the fix to be running at dc-west', timeoutMs: 10_000, intervalMs: 50 });
      await new Promise((r) => setTimeout(r, 300));
      await workers['dc-west']!.kill();
      await sleeping;
      // A new worker there fails the stalled job instead of running it again (maxStalledCount 0).
      workers['dc-west'] = await startLocationWorker(west, workerEnv['dc-west']!);
      await h.double.waitFor('the outcome in the thread', () => outcomeOf(id) !== undefined, 120_000);
      expect(await ledgerState(id)).toBe('unknown');
      expect(textOf(outcomeOf(id)!)).toMatch(/Outcome unknown.*it may have run; it is not sent again/s);
      // It did reach the server once (written before the kill), and only once.
      await new Promise((r) => setTimeout(r, 2000));
      expect(await commandCalls(westonly, 'config|set')).toBe(1);
    } finally {
      await sleeping;
      await q.close();
    }
  }, 240_000);
});

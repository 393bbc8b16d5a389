/**
 * The queue Redis under Sentinel (issue #20): REDIS_SENTINELS and
 * REDIS_SENTINEL_MASTER name the bot's own Redis; a failover while commands
 * and monitor ticks run loses no accepted command, posts nothing twice, and
 * the monitor goes on on the new primary.
 *
 * Real parts: a primary, a replica and three Sentinels (quorum 2), the real
 * bot (Bolt receiver, BullMQ worker, monitor) against the Slack double.
 * Two failovers: `SENTINEL FAILOVER` (the operator's switch-over), and the
 * primary SIGKILLed (Sentinel's own failover after down-after-milliseconds).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, need } from '../lab/guard.js';
import { pollUntil } from '../lab/poll.js';
import type { RedisServer } from '../lab/redis.js';
import { sentinelPrimary, startPrimary, startReplica, startSentinel } from '../lab/topology.js';
import { startHarness, type Harness } from '../slack/helpers/harness.js';
import { alertsOf, Switchable } from '../monitor/helpers.js';
import { loadSettings } from '../../src/config/settings.js';

const MASTER = 'rdq';
const ALERTS = 'C0QALERTS';
/**
 * What docs/locations.md asks of a queue Redis under Sentinel: a primary that
 * has lost its replicas refuses writes (-NOREPLICAS), so nothing is accepted
 * on a primary that Sentinel is replacing (Redis's own advice for Sentinel).
 */
const SAFE_WRITES = ['--min-replicas-to-write', '1', '--min-replicas-max-lag', '10'];

describeLab('the queue Redis behind Sentinel', [need.binary('redis-server')], () => {
  const servers: RedisServer[] = [];
  let primary: RedisServer;
  let replica: RedisServer;
  let spare: RedisServer;
  let sentinels: RedisServer[];
  let cache: Switchable;
  let watched: Switchable;
  let web: Harness;

  beforeAll(async () => {
    primary = await startPrimary({ args: SAFE_WRITES });
    servers.push(primary);
    replica = await startReplica(primary, { args: SAFE_WRITES });
    servers.push(replica);
    spare = await startReplica(primary, { args: SAFE_WRITES });
    servers.push(spare);
    sentinels = [];
    for (let i = 0; i < 3; i++) {
      const s = await startSentinel(primary, { masterName: MASTER, quorum: 2, downAfterMs: 1500 });
      servers.push(s);
      sentinels.push(s);
    }
    [cache, watched] = await Promise.all([Switchable.start(), Switchable.start()]);
    web = await startHarness({
      config: [
        'targets:',
        `  - { name: cache, url: "redis://127.0.0.1:${cache.port}" }`,
        `  - { name: watched, url: "redis://127.0.0.1:${watched.port}" }`,
        'access:',
        '  diagnose: ["*"]',
        'alerts:',
        `  channel: ${ALERTS}`,
        '  intervalSeconds: 5',
        '  targets: [watched]',
      ].join('\n'),
      // REDIS_URL gives only credentials, TLS and db: its host is a port nothing listens on.
      redisUrl: 'redis://127.0.0.1:1/0',
      env: {
        REDIS_SENTINELS: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
        REDIS_SENTINEL_MASTER: MASTER,
      },
    });
  }, 60_000);

  afterAll(async () => {
    await web?.stop().catch(() => undefined);
    await Promise.all([cache?.stop(), watched?.stop()]);
    for (const s of servers.reverse()) await s.stop({ graceMs: 0 }).catch(() => undefined);
  });

  /** Diagnosis parents (not alerts) posted in `channel`. */
  function parentsIn(channel: string) {
    return web.double.ok('chat.postMessage').filter((c) => c.body.channel === channel && !c.body.thread_ts);
  }

  /** `n` commands, one every `gapMs`, each in its own channel; `during` runs after the first third. */
  async function commandsAcross(tag: string, n: number, gapMs: number, during: () => Promise<void>): Promise<string[]> {
    const channels: string[] = [];
    let switched: Promise<void> | undefined;
    for (let i = 0; i < n; i++) {
      const channel = `C0${tag}${i}`;
      channels.push(channel);
      const r = await web.command({ text: 'cache', channel });
      expect(r.status, `command ${i} acknowledged`).toBe(200);
      if (i === Math.floor(n / 3)) switched = during();
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    await switched;
    return channels;
  }

  async function expectOnePerChannel(channels: string[]): Promise<void> {
    await web.double.waitFor('a diagnosis in every channel', () => channels.every((c) => parentsIn(c).length > 0), 90_000);
    // Anything posted twice would arrive within a few seconds of the first.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    for (const c of channels) {
      expect(parentsIn(c), `diagnoses in ${c}`).toHaveLength(1);
    }
  }

  async function primaryPort(): Promise<number> {
    return Number((await sentinelPrimary(sentinels[0]!, MASTER)).split(':')[1]);
  }

  it('a queue Redis that accepts writes without replicas is named at start', async () => {
    expect(web.logs.join('\n')).not.toContain('min-replicas-to-write 0');
    const lone = await startPrimary();
    servers.push(lone);
    const watcher = await startSentinel(lone, { masterName: 'lone', quorum: 1 });
    servers.push(watcher);
    const other = await startHarness({
      config: 'targets: []\n',
      redisUrl: 'redis://127.0.0.1:1/0',
      env: { REDIS_SENTINELS: `127.0.0.1:${watcher.port}`, REDIS_SENTINEL_MASTER: 'lone' },
    });
    try {
      expect(other.logs.join('\n')).toContain('min-replicas-to-write 0');
    } finally {
      await other.stop();
    }
  }, 60_000);

  it('the environment is read as Sentinels plus credentials', () => {
    const s = loadSettings({ SLACK_BOT_TOKEN: 'xoxb-x', SLACK_SIGNING_SECRET: 'secret-0123', REDIS_URL: 'rediss://u:p@x:1/2', REDIS_SENTINELS: '10.0.0.1:26379,[::1]:26380', REDIS_SENTINEL_MASTER: 'q' });
    expect(s.queueRedis).toEqual({ url: 'rediss://u:p@x:1/2', sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '::1', port: 26380 }], sentinelMaster: 'q' });
    expect(() => loadSettings({ SLACK_BOT_TOKEN: 'xoxb-x', SLACK_SIGNING_SECRET: 'secret-0123', REDIS_SENTINELS: '10.0.0.1:26379' })).toThrow(/REDIS_SENTINEL_MASTER is required with REDIS_SENTINELS/);
    expect(() => loadSettings({ SLACK_BOT_TOKEN: 'xoxb-x', SLACK_SIGNING_SECRET: 'secret-0123', REDIS_SENTINELS: '10.0.0.1:99999', REDIS_SENTINEL_MASTER: 'q' })).toThrow(/REDIS_SENTINELS is not valid .*no valid port/);
    expect(() => loadSettings({ SLACK_BOT_TOKEN: 'xoxb-x', SLACK_SIGNING_SECRET: 'secret-0123', REDIS_SENTINELS: 'a;b:1', REDIS_SENTINEL_MASTER: 'q' })).toThrow(/no valid host/);
  });

  function member(port: number): RedisServer {
    const m = [primary, replica, spare].find((s) => s.port === port);
    if (!m) throw new Error(`Sentinel names ${port}, not one of ours`);
    return m;
  }

  async function failedOverFrom(old: number): Promise<RedisServer> {
    const port = await pollUntil(async () => {
      const p = await primaryPort();
      return p !== old ? p : undefined;
    }, { what: `Sentinel to name a primary other than ${old}`, timeoutMs: 30_000 });
    return member(port);
  }

  it('SENTINEL FAILOVER while commands arrive: every accepted command answered once, the monitor goes on', async () => {
    const before = await primaryPort();
    expect(before).toBe(primary.port);
    const t0 = Date.now();
    const channels = await commandsAcross('SW', 15, 300, async () => {
      await sentinels[0]!.cli('SENTINEL', 'FAILOVER', MASTER);
    });
    const now = await failedOverFrom(before);
    await expectOnePerChannel(channels);
    console.log(`failover: all answered after ${Date.now() - t0} ms`, channels.map((c) => parentsIn(c)[0]!.at - t0).join(' '));

    // The monitor ticks on the new primary: the watched target goes down → one alert.
    await watched.down();
    await web.double.waitFor('the alert for watched', () => alertsOf(web.double, 'watched').length > 0, 60_000);
    console.log(`failover: alert after ${Date.now() - t0} ms`);
    const state = await now.cli('HGET', `${web.prefix}:store:monitor:state:watched`, 's');
    expect(state, 'the monitor state lives on the new primary').toContain('"lastTick"');
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(alertsOf(web.double, 'watched')).toHaveLength(1);
    await watched.restart();
  }, 180_000);

  it('the primary killed while commands arrive: Sentinel promotes, nothing accepted is lost or posted twice', async () => {
    const old = await primaryPort();
    const current = member(old);
    // Every other member replicates the current primary (the demoted one rejoined after the switch-over).
    for (const other of [primary, replica, spare].filter((m) => m !== current)) {
      await pollUntil(async () => (/master_link_status:up/.test(await other.cli('INFO', 'replication')) ? true : undefined), { what: `${other.port} to replicate ${old}`, timeoutMs: 30_000 });
    }
    const t0 = Date.now();
    const channels = await commandsAcross('KL', 15, 400, async () => {
      await current.stop({ graceMs: 0 });
    });
    await failedOverFrom(old);
    await expectOnePerChannel(channels);
    console.log(`kill: all answered after ${Date.now() - t0} ms`);
  }, 180_000);
});

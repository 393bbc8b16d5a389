/**
 * The topology hop against an attacker (issue #16, items 1 and 2), the
 * attacker's part real:
 *  - a Redis user that may only PUBLISH on __sentinel__:hello (it cannot even
 *    GET) forges Sentinel hellos, on a data node configured as a Sentinel
 *    target and through a real `redis-server --sentinel`, which then lists
 *    the forged peer in SENTINEL SENTINELS: the Sentinel they name is a fake
 *    RESP server recording every byte; it must never see AUTH or the password;
 *  - ad-hoc targets (admitted by resolveJobTarget, the Slack worker's own
 *    path, to the host end of a namespace's veth in 198.18.0.0/15) that are
 *    fake replicas, Sentinels and cluster nodes naming this machine's
 *    loopback (where the bot's queue Redis and HTTP port listen), host names
 *    and other networks: nothing outside the admitted network is contacted,
 *    bus ports included, and the diagnosis names what was not followed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import type { Diagnosis } from '../../src/engine/model/types.js';
import { configSchema } from '../../src/config/schema.js';
import { resolveJobTarget } from '../../src/slack/resolve.js';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { pollUntil } from '../lab/poll.js';
import type { RedisServer } from '../lab/redis.js';
import { startRedis } from '../lab/redis.js';
import { commandCalls } from '../lab/commandstats.js';
import { clusterArgs, startCluster, startPrimary, startSentinel } from '../lab/topology.js';
import { startHttpServer, type FakeServer } from '../lab/fake-servers.js';
import { array, bulk, infoReply, ok, startFakeRedis, type FakeRedis } from '../lab/fake-redis.js';
import { assertNoPlantedSecret, plantSecret } from '../lab/secrets.js';
import { targetOf } from './expect-diagnosis.js';

const check = (d: Diagnosis, id: string) => d.checks.find((c) => c.id === id);
const summary = (d: Diagnosis) => d.checks.map((c) => `${c.id} ${c.status}: ${c.detail}`).join('\n');
const RUN_ID = (c: string) => c.repeat(40);

/** A client of `server` logged in as `user`, sending raw commands (the attacker's connection). */
async function attacker(server: RedisServer, user: string, password: string): Promise<{ send(argv: string[]): Promise<string>; close(): void }> {
  const socket: Socket = connect(server.port, server.host);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const send = (argv: string[]) =>
    new Promise<string>((resolve) => {
      socket.once('data', (d: Buffer) => resolve(d.toString('latin1')));
      socket.write(array(argv.map(bulk)));
    });
  const auth = await send(['AUTH', user, password]);
  if (!auth.startsWith('+OK')) throw new Error(`attacker login failed: ${auth}`);
  return { send, close: () => socket.destroy() };
}

/** A hello as sentinel.c publishes it: ip,port,runid,current_epoch,master name,master ip,master port,master epoch. */
const hello = (host: string, port: number, runId: string, master: RedisServer) => `${host},${port},${runId},0,mymaster,${master.host},${master.port},0`;

/** A fake Sentinel: answers PING, INFO (redis_mode:sentinel) and SENTINEL questions; AUTH "works" so it would be caught. */
function sentinelReplies(primary: RedisServer) {
  return (argv: string[]): string | undefined => {
    const cmd = argv.map((a) => a.toUpperCase());
    if (cmd[0] === 'AUTH') return ok;
    if (cmd[0] === 'PING') return '+PONG\r\n';
    if (cmd[0] === 'INFO') return infoReply({ redis_version: '7.2.4', redis_mode: 'sentinel', run_id: RUN_ID('e') });
    if (cmd[0] === 'SENTINEL' && cmd[1] === 'GET-MASTER-ADDR-BY-NAME') return array([bulk(primary.host), bulk(String(primary.port))]);
    if (cmd[0] === 'SENTINEL' && cmd[1] === 'CKQUORUM') return '+OK 1 usable Sentinels\r\n';
    if (cmd[0] === 'SUBSCRIBE' || cmd[0] === 'PUBLISH') return ':0\r\n';
    return undefined;
  };
}

function expectNoPassword(fake: FakeRedis, password: string): void {
  expect(fake.commands().filter((c) => c[0]?.toUpperCase() === 'AUTH' || c[0]?.toUpperCase() === 'HELLO')).toEqual([]);
  expect(fake.received()).not.toContain(password);
}

describeLab('topology follow policy (issue #16)', [need.binary('redis-server'), need.binary('redis-cli'), need.netns()], () => {
  let ns: Netns;
  const closers: { close?: () => Promise<void>; stop?: (o?: { graceMs?: number }) => Promise<void> }[] = [];
  const fake = async (reply: (argv: string[]) => string | undefined, host?: string): Promise<FakeRedis> => {
    const f = await startFakeRedis({ ...(host ? { host } : {}), reply });
    closers.push(f);
    return f;
  };
  beforeAll(async () => {
    ns = await createNetns();
  }, 30_000);
  afterAll(async () => {
    await Promise.all(closers.map((c) => (c.stop ? c.stop({ graceMs: 0 }) : c.close?.())));
    await ns?.destroy();
  });

  /** The config of a bot whose ad-hoc targets may only be the namespace's host-side address. */
  const policies: (string | undefined)[] = [];
  afterAll(() => expect(policies.every((p) => p === 'ad-hoc')).toBe(true));
  const adHocConfig = () => configSchema.parse({ targets: [], access: { allowAdHocTargets: true, adHocNetworks: [`${ns.hostAddress}/32`] } });
  const adHoc = async (port: number) => {
    // The Slack worker's own resolution: it supplies the ad-hoc follow policy (asserted after the run, in each case).
    const resolved = resolveJobTarget(`${ns.hostAddress}:${port}`, adHocConfig(), {});
    const d = await diagnose(resolved.target, { ...resolved.options, timeoutMs: 1000 });
    policies.push(resolved.options.followPolicy?.kind);
    return d;
  };

  it('item 1: a PUBLISH-only user forges a hello on a data node configured as a Sentinel target; the Sentinel it names is probed without the password', async () => {
    const password = plantSecret('Follow-Pw-1-a8f3c2');
    const primary = await startPrimary({ password });
    closers.push(primary);
    await primary.cli('ACL', 'SETUSER', 'pub', 'on', '>pub-pw-7731', 'resetchannels', '&__sentinel__:hello', '-@all', '+publish');
    const fakeSentinel = await fake(sentinelReplies(primary));
    const pub = await attacker(primary, 'pub', 'pub-pw-7731');
    try {
      // The attacker really is PUBLISH-only.
      expect(await pub.send(['GET', 'x'])).toMatch(/^-NOPERM/);
      const forged = hello(fakeSentinel.host, fakeSentinel.port, RUN_ID('f'), primary);
      const timer = setInterval(() => void pub.send(['PUBLISH', '__sentinel__:hello', forged]), 100);
      let d: Diagnosis;
      try {
        d = await diagnose(targetOf(primary.host, primary.port), { timeoutMs: 1000, credentials: { password }, topology: { sentinelMaster: 'mymaster' }, followPolicy: { kind: 'configured' } });
      } finally {
        clearInterval(timer);
      }
      // The hello was heard and its Sentinel followed (a configured target's topology is followed) …
      expect(check(d, 'sentinel-discovery')?.detail, summary(d)).toContain(`Sentinel ${fakeSentinel.host}:${fakeSentinel.port} names`);
      expect(fakeSentinel.commands().some((c) => c.join(' ') === 'SENTINEL GET-MASTER-ADDR-BY-NAME mymaster'), summary(d)).toBe(true);
      // … but never with the password, and the diagnosis says so.
      expectNoPassword(fakeSentinel, password);
      expect(check(d, 'topology-follow')?.detail).toContain('no password sent to 1 Sentinel learned from hellos');
      assertNoPlantedSecret('the diagnosis', JSON.stringify(d));
    } finally {
      pub.close();
    }
  }, 30_000);

  it('item 1: through a real Sentinel, a forged hello makes it list a fake peer in SENTINEL SENTINELS; the peer never gets the password (the primary it names does)', async () => {
    const password = plantSecret('Follow-Pw-2-c41d9e');
    const primary = await startPrimary();
    closers.push(primary);
    // The Sentinel monitors with the default user; the doctor logs in as `doctor` on both.
    await primary.cli('ACL', 'SETUSER', 'doctor', 'on', `>${password}`, '+@all', '~*', '&*');
    await primary.cli('ACL', 'SETUSER', 'pub', 'on', '>pub-pw-7732', 'resetchannels', '&__sentinel__:hello', '-@all', '+publish');
    const sentinel = await startSentinel(primary, { masterName: 'mymaster' });
    closers.push(sentinel);
    await sentinel.cli('ACL', 'SETUSER', 'doctor', 'on', `>${password}`, '+@all');
    const fakePeer = await fake(sentinelReplies(primary));
    const pub = await attacker(primary, 'pub', 'pub-pw-7732');
    try {
      const forged = hello(fakePeer.host, fakePeer.port, RUN_ID('d'), primary);
      await pollUntil(async () => {
        await pub.send(['PUBLISH', '__sentinel__:hello', forged]);
        return (await sentinel.cli('SENTINEL', 'SENTINELS', 'mymaster')).includes(String(fakePeer.port)) ? true : undefined;
      }, { what: 'the Sentinel to list the forged peer', timeoutMs: 10_000, intervalMs: 200 });
      const before = fakePeer.commands().length; // the real Sentinel talks to its new "peer" too
      const d = await diagnose(targetOf(sentinel.host, sentinel.port), { timeoutMs: 1000, credentials: { user: 'doctor', password }, topology: { sentinelMaster: 'mymaster' } });
      expect(check(d, 'redis-handshake')?.status, summary(d)).toBe('pass');
      expect(check(d, 'sentinel-sentinels')?.detail, summary(d)).toContain(`${fakePeer.host}:${fakePeer.port}`);
      expect(fakePeer.commands().slice(before).some((c) => c.join(' ') === 'SENTINEL GET-MASTER-ADDR-BY-NAME mymaster'), summary(d)).toBe(true);
      expectNoPassword(fakePeer, password);
      expect(check(d, 'topology-follow')?.detail).toContain('no password sent to 1 Sentinel learned from hellos');
      // The primary the Sentinel names is where a Sentinel client sends the password: it got it.
      expect(check(d, 'primary:redis-handshake')).toMatchObject({ status: 'pass', detail: 'AUTH +OK, PING +PONG' });
      assertNoPlantedSecret('the diagnosis', JSON.stringify(d));
    } finally {
      pub.close();
    }
  }, 40_000);

  it('item 1: a node that MEETs a cluster over its bus (no password needed) is followed without the password; the nodes serving slots get it', async () => {
    const password = plantSecret('Follow-Pw-3-77b0e1');
    const cluster = await startCluster(2, { password });
    closers.push({ close: () => cluster.stop() });
    const intruder = await startRedis({ args: clusterArgs() });
    closers.push(intruder);
    const [target, other] = cluster.nodes as [RedisServer, RedisServer];
    await intruder.cli('CLUSTER', 'MEET', target.host, String(target.port));
    const intruderId = (await intruder.cli('CLUSTER', 'MYID')).trim();
    await pollUntil(async () => {
      const line = (await target.cli('CLUSTER', 'NODES')).split('\n').find((l) => l.startsWith(intruderId));
      return line && !line.includes('handshake') ? true : undefined;
    }, { what: 'the cluster to list the intruder', timeoutMs: 10_000, intervalMs: 100 });
    const [intruderAuth, otherAuth] = await Promise.all([commandCalls(intruder, 'auth'), commandCalls(other, 'auth')]);
    const d = await diagnose(targetOf(target.host, target.port), { timeoutMs: 1000, credentials: { password } });
    expect(check(d, 'topology-follow')?.detail, summary(d)).toBe('2 of 2 nodes answer; no password sent to 1 cluster node serving no slots');
    expect(await commandCalls(intruder, 'auth')).toBe(intruderAuth);
    // +2: the diagnosis's AUTH, and the one cli() itself sends (REDISCLI_AUTH) to read the count.
    expect(await commandCalls(other, 'auth')).toBe(otherAuth + 2);
    assertNoPlantedSecret('the diagnosis', JSON.stringify(d));
  }, 40_000);

  it('item 2: an ad-hoc fake replica naming this machine\'s loopback (the queue Redis) or a host name: neither is contacted, both named as not followed', async () => {
    const queue = await fake((argv) => (argv[0] === 'PING' ? '+PONG\r\n' : infoReply({ redis_mode: 'standalone', role: 'master', run_id: RUN_ID('9') })));
    const replicaOf = (host: string) => fake((argv) => {
      if (argv[0] === 'PING') return '+PONG\r\n';
      if (argv[0] === 'INFO') return infoReply({ redis_version: '7.2.4', redis_mode: 'standalone', role: 'slave', master_host: host, master_port: queue.port, master_link_status: 'up' });
      return undefined;
    }, ns.hostAddress);

    const loop = await replicaOf('127.0.0.1');
    const d = await adHoc(loop.port);
    expect(loop.connections(), summary(d)).toBeGreaterThan(0);
    expect(queue.connections(), summary(d)).toBe(0);
    expect(check(d, 'topology-not-followed'), summary(d)).toMatchObject({ status: 'warn', detail: `not followed: 127.0.0.1:${queue.port}: outside the networks ad-hoc targets may use (access.adHocNetworks)` });
    expect(JSON.stringify(d)).not.toContain(RUN_ID('9'));

    const named = await replicaOf('localhost');
    const byName = await adHoc(named.port);
    expect(queue.connections(), summary(byName)).toBe(0);
    expect(check(byName, 'topology-not-followed')?.detail).toBe(`not followed: localhost:${queue.port}: a host name: ad-hoc targets follow IP addresses only`);

    // A configured target off loopback naming loopback: that is its own host's loopback, not this machine's.
    const configured = await diagnose(targetOf(ns.hostAddress, loop.port), { timeoutMs: 1000, followPolicy: { kind: 'configured' } });
    expect(queue.connections(), summary(configured)).toBe(0);
    expect(check(configured, 'topology-not-followed')?.detail).toContain(`not followed: 127.0.0.1:${queue.port}: a loopback or unspecified address named by a target that is not on loopback`);
  }, 30_000);

  it('item 2: an ad-hoc fake Sentinel naming the bot\'s HTTP port as its primary: not contacted, no banner quoted', async () => {
    const http: FakeServer = await startHttpServer();
    closers.push(http);
    const fakeSentinel = await fake((argv) => {
      const cmd = argv.map((a) => a.toUpperCase());
      if (cmd[0] === 'PING') return '+PONG\r\n';
      if (cmd[0] === 'INFO') return infoReply({ redis_version: '7.2.4', redis_mode: 'sentinel', run_id: RUN_ID('c') });
      if (cmd[0] === 'SENTINEL' && cmd[1] === 'MASTERS') {
        return array([array(['name', 'mymaster', 'ip', '127.0.0.1', 'port', String(http.port), 'runid', RUN_ID('b'), 'flags', 'master', 'num-slaves', '0', 'num-other-sentinels', '0', 'quorum', '1'].map(bulk))]);
      }
      return undefined;
    }, ns.hostAddress);
    const d = await adHoc(fakeSentinel.port);
    expect(check(d, 'sentinel-masters')?.detail, summary(d)).toContain(`mymaster 127.0.0.1:${http.port}`);
    expect(http.connections(), summary(d)).toBe(0);
    expect(JSON.stringify(d)).not.toContain('HTTP/1.1');
    expect(check(d, 'topology-not-followed')?.detail).toBe(`not followed: 127.0.0.1:${http.port}: outside the networks ad-hoc targets may use (access.adHocNetworks)`);
  }, 30_000);

  it('item 2: an ad-hoc fake cluster listing 31 attacker-chosen addresses: only the admitted one (and its bus port) is contacted; the rest named, the title bounded', async () => {
    const queue = await fake((argv) => (argv[0] === 'PING' ? '+PONG\r\n' : undefined));
    const queueBus = await fake(() => undefined);
    const admittedBus = await fake(() => undefined, ns.hostAddress);
    const admitted = await fake((argv) => {
      if (argv[0] === 'PING') return '+PONG\r\n';
      if (argv[0] === 'INFO') return infoReply({ redis_version: '7.2.4', redis_mode: 'cluster', role: 'master', run_id: RUN_ID('1') });
      if (argv[0] === 'CLUSTER') return bulk(RUN_ID('1'));
      return undefined;
    }, ns.hostAddress);
    const id = (i: number) => (i + 16).toString(16).padStart(40, '0');
    const lines = (self: number) => [
      `${RUN_ID('0')} ${ns.hostAddress}:${self}@${self + 10000} myself,master - 0 0 1 connected 0-16383`,
      `${RUN_ID('1')} ${ns.hostAddress}:${admitted.port}@${admittedBus.port} master,fail - 0 0 2 disconnected`,
      ...Array.from({ length: 29 }, (_, i) => {
        const host = i % 3 === 0 ? '127.0.0.1' : i % 3 === 1 ? `127.0.0.${i + 2}` : `10.99.0.${i}`;
        return `${id(i)} ${host}:${queue.port}@${queueBus.port} master,fail - 0 0 3 disconnected`;
      }),
      `${id(99)} 0.0.0.0:${queue.port}@${queueBus.port} master,fail - 0 0 3 disconnected`,
    ].join('\n');
    const target: { port: number } = { port: 0 };
    const node = await fake((argv) => {
      const cmd = argv.map((a) => a.toUpperCase());
      if (cmd[0] === 'PING') return '+PONG\r\n';
      if (cmd[0] === 'INFO') return infoReply({ redis_version: '7.2.4', redis_mode: 'cluster', role: 'master', run_id: RUN_ID('0') });
      if (cmd[0] === 'CLUSTER' && cmd[1] === 'INFO') return bulk('cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:32\r\n');
      if (cmd[0] === 'CLUSTER' && cmd[1] === 'NODES') return bulk(lines(target.port));
      if (cmd[0] === 'CONFIG') return array([]);
      if (cmd[0] === 'EXISTS') return ':0\r\n';
      return undefined;
    }, ns.hostAddress);
    target.port = node.port;
    const d = await adHoc(node.port);
    expect(check(d, 'cluster-nodes')?.detail, summary(d)).toMatch(/^32 nodes/);
    // Nothing outside the admitted network: no node, no bus port.
    expect(queue.connections(), summary(d)).toBe(0);
    expect(queueBus.connections(), summary(d)).toBe(0);
    // The admitted node was probed, and, flagged failing, its bus port too.
    expect(admitted.commands().some((c) => c[0] === 'PING'), summary(d)).toBe(true);
    expect(admittedBus.connections(), summary(d)).toBe(1);
    expect(check(d, 'topology-not-followed')?.detail, summary(d)).toMatch(/^not followed: 127\.0\.0\.1:\d+: outside the networks ad-hoc targets may use \(access\.adHocNetworks\) \(and 29 more\)$/);
    const finding = d.findings.find((f) => f.cause === 'cluster-down');
    expect(finding?.title.length).toBeLessThan(200);
    expect(finding?.evidence.join('\n')).toContain(`not followed: 127.0.0.1:${queue.port} (outside the networks ad-hoc targets may use (access.adHocNetworks)); nothing was sent there`);
  }, 30_000);
});

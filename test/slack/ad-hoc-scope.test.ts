/**
 * From Slack, the engine probes only what was admitted. An ad-hoc target that
 * is one of the bot host's own non-loopback addresses (here our end of a lab
 * veth, in 198.18.0.0/15) used to make the engine PING 127.0.0.1:<port> as
 * well and quote the reply in the channel — the bot's own queue Redis
 * answered +PONG. Now the loopback probe is off for ad-hoc targets; the CLI
 * and configured targets keep it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { blockIds, textOf } from './helpers/slack-double.js';
import { infoReply, startFakeRedis, type FakeRedis } from '../lab/fake-redis.js';

describeLab('ad-hoc targets from Slack are probed as admitted', [need.root(), need.netns(), need.binary('redis-server')], () => {
  let ns: Netns;
  let loopbackOnly: RedisServer;
  let h: Harness;
  let fakeReplica: FakeRedis | undefined;

  beforeAll(async () => {
    ns = await createNetns();
    // Listens on 127.0.0.1 only: reachable through the loopback probe, not at the admitted address.
    loopbackOnly = await startRedis();
    h = await startHarness({
      config: [
        'targets:',
        '  - name: mine',
        `    url: redis://${ns.hostAddress}:${loopbackOnly.port}`,
        'access:',
        '  allowAdHocTargets: true',
        '  adHocNetworks: [198.18.0.0/15]',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await h?.stop();
    await fakeReplica?.close();
    await loopbackOnly?.stop();
    await ns?.destroy();
  });

  async function verdictFor(text: string, channel: string) {
    await h.command({ text, channel });
    await h.double.waitFor(`the verdict for ${text}`, (calls) => calls.some((c) => c.method === 'chat.update' && c.body.channel === channel && blockIds(c).includes('verdict')));
    await new Promise((r) => setTimeout(r, 300));
    return h.double.calls.filter((c) => c.body.channel === channel && c.status === 200).map(textOf).join('\n');
  }

  it('an ad-hoc address of this machine: no loopback probe, no reply from 127.0.0.1 in the channel', async () => {
    const all = await verdictFor(`${ns.hostAddress}:${loopbackOnly.port}`, 'C0ADHOC');
    expect(all).not.toContain('loopback-probe');
    expect(all).not.toContain('127.0.0.1');
    expect(all).not.toContain('+PONG');
    expect(all).not.toContain('bind-loopback-only');
    expect(all).toContain('connection-refused');
  });

  it('an ad-hoc fake replica naming a Redis on this machine\'s loopback as its primary: not followed, and the channel says so', async () => {
    const runId = /run_id:(\w+)/.exec(await loopbackOnly.cli('INFO', 'server'))![1]!;
    const before = Number(/total_connections_received:(\d+)/.exec(await loopbackOnly.cli('INFO', 'stats'))![1]);
    fakeReplica = await startFakeRedis({
      host: ns.hostAddress,
      reply: (argv) => (argv[0] === 'PING' ? '+PONG\r\n' : argv[0] === 'INFO' ? infoReply({ redis_version: '7.2.4', redis_mode: 'standalone', role: 'slave', master_host: '127.0.0.1', master_port: loopbackOnly.port, master_link_status: 'up' }) : undefined),
    });
    const all = await verdictFor(`${ns.hostAddress}:${fakeReplica.port}`, 'C0FOLLOW');
    expect(fakeReplica.connections()).toBeGreaterThan(0);
    expect(all).not.toContain(runId);
    expect(all).toContain(`not followed: 127.0.0.1:${loopbackOnly.port}`);
    // Only this test's own INFO (through the Unix socket) reached it: +1.
    expect(Number(/total_connections_received:(\d+)/.exec(await loopbackOnly.cli('INFO', 'stats'))![1])).toBe(before + 1);
  });

  it('the same address as a configured target (the admin chose it): the loopback probe still explains it', async () => {
    const all = await verdictFor('mine', 'C0NAMED');
    expect(all).toContain('bind-loopback-only');
  });
});

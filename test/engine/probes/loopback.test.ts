import type os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackAddress } from '../../../src/engine/shared/address.js';
import { isLocalNonLoopback, probeLoopback } from '../../../src/engine/probes/loopback.js';
import { probeTcp } from '../../../src/engine/probes/tcp.js';
import { describeLab, need } from '../../lab/guard.js';
import { startRedis, type RedisServer } from '../../lab/redis.js';
import { createNetns, type Netns } from '../../lab/netns.js';

describe('address classification', () => {
  const interfaces = {
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
    eth0: [
      { address: '10.1.2.3', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '10.1.2.3/24' },
      { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fe80::1/64', scopeid: 2 },
    ],
  } as ReturnType<typeof os.networkInterfaces>;

  it('knows loopback addresses', () => {
    expect(isLoopbackAddress('127.0.0.1')).toBe(true);
    expect(isLoopbackAddress('127.3.4.5')).toBe(true);
    expect(isLoopbackAddress('::1')).toBe(true);
    expect(isLoopbackAddress('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackAddress('10.1.2.3')).toBe(false);
  });

  it('finds addresses of this machine that are not loopback', () => {
    expect(isLocalNonLoopback('10.1.2.3', interfaces)).toBe(true);
    expect(isLocalNonLoopback('::ffff:10.1.2.3', interfaces)).toBe(true);
    expect(isLocalNonLoopback('FE80::1', interfaces)).toBe(true);
    expect(isLocalNonLoopback('127.0.0.1', interfaces)).toBe(false);
    expect(isLocalNonLoopback('10.1.2.4', interfaces)).toBe(false);
  });
});

// A non-loopback address of this machine that stays on it: our end of a lab
// veth (198.18.0.0/15), never the machine's own uplink address.
describeLab(
  'loopback probe for a Redis bound to 127.0.0.1',
  [need.binary('redis-server'), need.root(), need.netns()],
  () => {
    let redis: RedisServer;
    let ns: Netns;
    let address: string;
    beforeAll(async () => {
      ns = await createNetns();
      address = ns.hostAddress;
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.stop();
      await ns?.destroy();
    });

    it("the machine's own address refuses, loopback answers +PONG", async () => {
      const tcp = await probeTcp([address], redis.port, 1000);
      expect(tcp.observation.code).toBe('ECONNREFUSED');
      expect(isLocalNonLoopback(address)).toBe(true);
      const probe = await probeLoopback(address, redis.port, 1000);
      expect(probe).toMatchObject({ address: '127.0.0.1', port: redis.port, redis: true, reply: '+PONG' });
    });

    it('reports no Redis when loopback refuses too', async () => {
      const probe = await probeLoopback(address, 1, 1000);
      expect(probe).toMatchObject({ address: '127.0.0.1', port: 1, redis: false });
      expect(probe.reply).toBeUndefined();
    });
  },
);

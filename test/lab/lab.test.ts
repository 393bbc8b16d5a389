/**
 * The lab's own mechanics: what other suites rely on when they import it.
 * (The Redis fault states check themselves when built: see redis-states.ts.)
 */
import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createNxdomainNetns } from './dns.js';
import { run } from './exec.js';
import { describeLab, labRequirement, need } from './guard.js';
import { createNetns } from './netns.js';
import { freePort, freePortWithFreeNeighbours } from './ports.js';
import { isAlive } from './procs.js';
import { startRedis } from './redis.js';
import { mountFullTmpfs } from './tmpfs.js';

describe('guard', () => {
  const saved = { CI: process.env.CI, REQUIRE_LAB: process.env.REQUIRE_LAB };
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('returns nothing when the requirement holds', () => {
    expect(labRequirement('root', true)).toBeUndefined();
  });

  it('returns the skip reason locally', () => {
    delete process.env.CI;
    delete process.env.REQUIRE_LAB;
    expect(labRequirement('the frobnicator binary', false)).toBe('needs the frobnicator binary');
  });

  it('throws instead when the lab is required', () => {
    delete process.env.CI;
    process.env.REQUIRE_LAB = '1';
    expect(() => labRequirement('the frobnicator binary', false)).toThrow(/lab prerequisite missing: needs the frobnicator binary/);
    delete process.env.REQUIRE_LAB;
    process.env.CI = 'true';
    expect(() => labRequirement('root', false)).toThrow(/needs root/);
  });
});

describe('ports', () => {
  it('never hands out the same port twice', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    expect(new Set(ports).size).toBe(20);
  });

  it('finds a port with free neighbours', async () => {
    const port = await freePortWithFreeNeighbours();
    const bound = await Promise.all([port - 1, port, port + 1].map((p) => run('node', ['-e', `require('net').createServer().listen(${p}, '127.0.0.1', function () { this.close() })`])));
    expect(bound.map((r) => r.code)).toEqual([0, 0, 0]);
  });
});

describeLab('redis', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  it('stop() ends the process and removes its directory', async () => {
    const server = await startRedis();
    expect(await server.cli('PING')).toBe('PONG');
    await server.stop();
    await server.stop();
    expect(isAlive(server.pid)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
  });
});

describeLab('netns', [need.netns(), need.binary('iptables')], () => {
  it('gives a /30 in 198.18.0.0/15 and leaves nothing behind', async () => {
    const ns = await createNetns();
    try {
      expect(ns.name).toMatch(new RegExp(`^rdlab-${process.pid}-\\d+$`));
      const [a, b, c, d] = ns.nsAddress.split('.').map(Number);
      expect(a).toBe(198);
      expect([18, 19]).toContain(b);
      expect(d! % 4).toBe(2);
      expect(ns.hostAddress).toBe(`${a}.${b}.${c}.${d! - 1}`);
      expect((await ns.exec(['ip', '-o', '-4', 'addr', 'show', 'dev', ns.nsIf]))).toContain(`${ns.nsAddress}/30`);
      await ns.iptables(['-A', 'INPUT', '-p', 'tcp', '--dport', '1', '-j', 'DROP']);
    } finally {
      await ns.destroy();
      await ns.destroy();
    }
    expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(ns.name);
    expect((await run('ip', ['link', 'show', ns.hostIf])).code).not.toBe(0);
  });

  it('makes every name NXDOMAIN for the engine run inside, answered on the veth', async () => {
    const dns = await createNxdomainNetns();
    try {
      const out = await dns.netns.exec([process.execPath, '-e', "require('dns').lookup('lab-check.example', (e) => console.log(e && e.code))"]);
      expect(out.trim()).toBe('ENOTFOUND');
      expect(dns.responder.queries).toContain('lab-check.example');
    } finally {
      await dns.destroy();
    }
    expect(existsSync(`/etc/netns/${dns.netns.name}`)).toBe(false);
  });
});

describeLab('tmpfs', [need.root(), need.binary('mount')], () => {
  it('is full, and gone after unmount', async () => {
    const tmpfs = await mountFullTmpfs();
    try {
      expect((await statfs(tmpfs.path)).bavail).toBe(0);
    } finally {
      await tmpfs.unmount();
    }
    expect(existsSync(tmpfs.path)).toBe(false);
  });
});

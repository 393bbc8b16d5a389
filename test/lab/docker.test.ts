/**
 * The Docker lab itself (lab/docker.ts): a real engine with the Redis image, ports published
 * on all addresses, on 127.0.0.1 only and not at all behaving as on any Docker host, seen
 * from this machine and from a "remote" client in a namespace; and nothing left behind.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDockerd, dockerClient, type DockerLab } from './docker.js';
import { run } from './exec.js';
import { describeLab, need, which } from './guard.js';
import { createNetns, type Netns } from './netns.js';
import { freePort } from './ports.js';
import { connectRaw } from './raw-client.js';

async function ping(host: string, port: number): Promise<string> {
  const c = await connectRaw(host, port);
  try {
    return await c.command('PING');
  } finally {
    c.close();
  }
}

async function pingFrom(ns: Netns, host: string, port: number): Promise<string> {
  const r = await run('ip', ['netns', 'exec', ns.name, 'redis-cli', '-h', host, '-p', String(port), '--no-auth-warning', 'PING'], { timeoutMs: 10_000 });
  return `${r.stdout}${r.stderr}`.trim();
}

describeLab('docker lab', [need.root(), need.netns(), ['dockerd (apt-get install docker.io)', which('dockerd') !== undefined && dockerClient() !== undefined], ['debootstrap', which('debootstrap') !== undefined], need.binary('redis-cli')], () => {
  let d: DockerLab;
  let ns: Netns;
  const ports = { all: 0, loopback: 0, none: 0 };

  beforeAll(async () => {
    d = await startDockerd();
    ns = await createNetns();
    // The namespace reaches this machine through its veth; the engine's proxies listen here.
    const image = await d.redisImage();
    ports.all = await freePort();
    ports.loopback = await freePort();
    ports.none = await freePort();
    await d.docker(['run', '-d', '--name', d.name('all'), '-p', `${ports.all}:6379`, image]);
    await d.docker(['run', '-d', '--name', d.name('lo'), '-p', `127.0.0.1:${ports.loopback}:6379`, image]);
    await d.docker(['run', '-d', '--name', d.name('none'), image]);
  }, 900_000);

  afterAll(async () => {
    await ns?.destroy();
    const bridge = d?.bridge;
    await d?.stop();
    if (bridge) expect((await run('ip', ['link', 'show', bridge])).code).not.toBe(0);
  });

  it('a port published on all addresses answers from here and from another host', async () => {
    await expect.poll(() => ping('127.0.0.1', ports.all).catch((e: Error) => e.message), { timeout: 10_000 }).toBe('+PONG');
    expect(await pingFrom(ns, ns.hostAddress, ports.all)).toBe('PONG');
  });

  it('a port published on 127.0.0.1 answers only here; an unpublished one nowhere', async () => {
    await expect.poll(() => ping('127.0.0.1', ports.loopback).catch((e: Error) => e.message), { timeout: 10_000 }).toBe('+PONG');
    expect(await pingFrom(ns, ns.hostAddress, ports.loopback)).toMatch(/Connection refused/);
    expect(await pingFrom(ns, ns.hostAddress, ports.none)).toMatch(/Connection refused/);
    const inspect = JSON.parse(await d.docker(['inspect', d.name('none')])) as { State: { Running: boolean }; NetworkSettings: { Ports: Record<string, unknown> } }[];
    expect(inspect[0]!.State.Running).toBe(true);
    expect(inspect[0]!.NetworkSettings.Ports).toEqual({ '6379/tcp': null });
  });

  it('keeps its state under its own roots', () => {
    expect(existsSync(d.socket)).toBe(true);
    expect(d.host).toBe(`unix://${d.socket}`);
  });
});

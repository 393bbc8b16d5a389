/**
 * Issue #18 over SSH, against a real sshd in a network namespace that also runs
 * the redis-server: the `ssh-host-tuning` section (THP mode, the namespace's
 * ephemeral port range, TIME_WAIT counted per port) in the one-script run, and
 * TIME_WAIT on the target port tied to the redis-server listening there as
 * connection-churn evidence. The TIME_WAIT sockets are real: clients send QUIT,
 * the server closes first, so they sit on its side.
 */
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { targetOf } from './expect-diagnosis.js';
import { startRedisWithConf, startSshHost, type SshHost } from './ssh-lab.js';

const REQUIREMENTS = [need.netns(), need.binary('redis-server'), need.binary('sshd'), need.binary('ssh-keygen'), need.binary('ss')];

/** `count` connections that send QUIT and wait for the server to close, `parallel` at a time. */
async function quitConnections(host: string, port: number, count: number, parallel = 8): Promise<void> {
  let left = count;
  const one = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const s = net.connect(port, host);
      s.setTimeout(5000, () => s.destroy());
      s.on('connect', () => s.write('*1\r\n$4\r\nQUIT\r\n'));
      s.on('data', () => {});
      s.on('error', () => {});
      s.on('close', () => resolve());
    });
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (left-- > 0) await one();
  }));
}

describeLab('SSH host tuning for the slow-path causes', REQUIREMENTS, () => {
  let ns: Netns;
  let host: SshHost;
  beforeAll(async () => {
    ns = await createNetns();
    host = await startSshHost(ns);
  });
  afterAll(async () => {
    await host?.stop();
    await ns?.destroy();
  });

  it('THP mode, port range and TIME_WAIT counts in one section; TIME_WAIT on the port is churn evidence tied to the server listening there', async () => {
    const server = await startRedisWithConf(ns, ['port 6379', 'protected-mode no', 'bind 0.0.0.0']);
    try {
      const started = Date.now();
      await quitConnections(ns.nsAddress, 6379, 2500);
      // The lifetime average counts once the server has been up 10 s.
      await new Promise((r) => setTimeout(r, Math.max(0, 11_000 - (Date.now() - started))));
      const d = await diagnose(targetOf(ns.nsAddress, 6379), { timeoutMs: 3000, ssh: host.ssh() });
      const thp = /\[(always|madvise|never)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1];
      const range = (await ns.exec(['cat', '/proc/sys/net/ipv4/ip_local_port_range'])).trim().split(/\s+/);
      const tuning = d.checks.find((c) => c.id === 'ssh-host-tuning');
      expect(tuning, JSON.stringify(d.checks)).toMatchObject({ status: 'pass' });
      expect(tuning!.detail).toMatch(new RegExp(`^transparent huge pages ${thp}, ephemeral ports ${range[0]}-${range[1]}, \\d+ sockets in TIME_WAIT$`));
      expect(Number(/(\d+) sockets in TIME_WAIT/.exec(tuning!.detail)?.[1])).toBeGreaterThanOrEqual(1000);
      const f = d.findings.find((x) => x.cause === 'connection-churn');
      expect(f, JSON.stringify(d.findings)).toBeDefined();
      const text = f!.evidence.join('\n');
      expect(text).toMatch(new RegExp(`ss -tan state time-wait on ${ns.nsAddress.replace(/\./g, '\\.')}: \\d{4,} sockets in TIME_WAIT on port 6379`));
      expect(text).toContain(`net.ipv4.ip_local_port_range on ${ns.nsAddress}: ${range[0]} ${range[1]}`);
      expect(f!.remediations.map((r) => r.id)).toEqual(['reuse-connections', 'widen-ephemeral-ports']);
    } finally {
      await server.stop();
    }
  }, 90_000);
});

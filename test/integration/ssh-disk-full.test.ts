/**
 * A full data filesystem: the Redis `dir` on a tmpfs filled to ENOSPC. The
 * tmpfs is mounted before sshd and redis-server start, so the mount
 * namespaces `ip netns exec` gives them both contain it. Redis keeps running
 * and answers PING; only the host evidence (df of its cwd, which is its dir)
 * shows the problem.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { mountFullTmpfs, type FullTmpfs } from '../lab/tmpfs.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';
import { startSshHost, type SshHost } from './ssh-lab.js';

describeLab('SSH checks: full data filesystem', [need.netns(), need.binary('redis-server'), need.binary('sshd'), need.binary('ssh-keygen'), need.root()], () => {
  let ns: Netns;
  let disk: FullTmpfs;
  let host: SshHost;
  let server: RedisServer;

  beforeAll(async () => {
    disk = await mountFullTmpfs(256);
    ns = await createNetns();
    host = await startSshHost(ns);
    server = await startRedis({ netns: ns, dataDir: disk.path, args: ['--protected-mode', 'no'] });
  });
  afterAll(async () => {
    await server?.stop();
    await host?.stop();
    await ns?.destroy();
    await disk?.unmount();
  });

  it('disk-full is the primary cause, quoting df of the data directory', async () => {
    const d = await diagnose(targetOf(ns.nsAddress, 6379), { timeoutMs: 2000, ssh: host.ssh() });
    expectDiagnosis(d, { primaryCause: 'disk-full', verdict: 'degraded', evidence: new RegExp(`df -P -k on ${ns.nsAddress}: \\S+ 256 256 0 100% ${disk.path}`) });
    expect(d.findings[0]).toMatchObject({ severity: 'critical', details: { path: disk.path, usePercent: 100, availableBytes: 0 } });
    expect(d.findings[0]?.evidence[1]).toBe(`redis-server pid ${server.pid}, which serves :${server.port}, works in ${disk.path} (its dir); 0 MiB free of 256 KiB on ${disk.path}`);
  });
});

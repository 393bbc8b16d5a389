/**
 * Remote checks against a real sshd in a network namespace that also runs the
 * redis-server under test (issue #3). The client — diagnose() in this process —
 * reaches both over the veth, so the network probes see a remote host and the
 * SSH checks see that host's processes, sockets and firewall. Each case asserts
 * the primary cause and the host line that decided it.
 *
 * The host's history is not the test's (issue #17): before the cases run, a
 * redis-server in a memory cgroup of its own (not in the namespace, no port the
 * cases use) is OOM-killed for real, so the kernel log every case reads holds an
 * unrelated redis-server kill, as do kills other processes left before. No case
 * may take it for its server's; the OOM cases kill their own server, in its own
 * cgroup, and the diagnosis must name that kill by its pid or cgroup.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import type { Diagnosis } from '../../src/engine/model/types.js';
import type { TargetHistory } from '../../src/engine/model/options.js';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { describeLab, need } from '../lab/guard.js';
import { createMemoryCgroup, kernelOomLines, type MemoryCgroup } from '../lab/memcg.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { freePort } from '../lab/ports.js';
import { startRedis } from '../lab/redis.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';
import { startRedisWithConf, startSshHost, type SshHost } from './ssh-lab.js';

const REQUIREMENTS = [need.netns(), need.binary('redis-server'), need.binary('iptables'), need.binary('sshd'), need.binary('ssh-keygen'), need.binary('prlimit'), need.binary('setpriv'), need.memcg(), need.binary('dmesg')];

/** Small enough to kill an idle redis-server (a few MiB) as soon as it grows; room for it to start. */
const CGROUP_LIMIT = 24 << 20;

/** Another server's kill, as a host keeps it in its kernel log: pid, cgroup, and the wall-clock window it fell in. */
interface UnrelatedKill {
  pid: number;
  memcg: string;
  before: number;
  after: number;
}

async function oomKillUnrelatedRedis(): Promise<UnrelatedKill> {
  const cg = await createMemoryCgroup(CGROUP_LIMIT);
  try {
    // On the host's loopback, not in the namespace: ps shows it, the namespace's ss never does.
    const server = await startRedis({ memoryCgroup: cg });
    try {
      const before = Date.now();
      await cg.oomKill(server);
      const after = Date.now();
      expect(await kernelOomLines(server.pid), 'the kernel logged the kill').not.toEqual([]);
      return { pid: server.pid, memcg: cg.memcg, before, after };
    } finally {
      await server.stop();
    }
  } finally {
    await cg.remove();
  }
}

describeLab('SSH checks decide the cause', REQUIREMENTS, () => {
  let ns: Netns;
  let host: SshHost;
  let unrelated: UnrelatedKill;

  beforeAll(async () => {
    unrelated = await oomKillUnrelatedRedis();
    ns = await createNetns();
    host = await startSshHost(ns);
  });
  afterAll(async () => {
    await host?.stop();
    await ns?.destroy();
  });

  const run = (port = 6379, timeoutMs = 2000, history?: TargetHistory): Promise<Diagnosis> => diagnose(targetOf(ns.nsAddress, port), { timeoutMs, ssh: host.ssh(), ...(history ? { history } : {}) });
  const check = (d: Diagnosis, id: string) => d.checks.find((c) => c.id === id);

  it('Redis bound to loopback only → bind-loopback-only, from ss and the bind line of its redis.conf', async () => {
    const server = await startRedisWithConf(ns, ['bind 127.0.0.1 -::1', 'port 6379', 'protected-mode yes']);
    try {
      const d = await run();
      expectDiagnosis(d, { primaryCause: 'bind-loopback-only', verdict: 'unreachable', evidence: new RegExp(`ss -ltnp on ${ns.nsAddress}: LISTEN .*127\\.0\\.0\\.1:6379 .*redis-server",pid=${server.pid}`) });
      expect(d.findings[0]?.evidence).toContain(`${server.confPath}:9: bind 127.0.0.1 -::1`);
      expect(check(d, 'ssh-connect')?.status).toBe('pass');
      expect(check(d, 'ssh-redis-conf')?.detail).toContain(server.confPath);
    } finally {
      await server.stop();
    }
  });

  it('bind and requirepass set in an included file → bind-loopback-only quoting that file; the password stays on the host', async () => {
    const secret = `include-Secret-${process.pid}-k3`;
    const server = await startRedisWithConf(ns, ['port 6379', 'protected-mode yes'], [], { 'net.conf': ['bind 127.0.0.1 -::1', `requirepass ${secret}`] });
    try {
      const d = await run();
      expectDiagnosis(d, { primaryCause: 'bind-loopback-only', verdict: 'unreachable' });
      expect(d.findings[0]?.evidence).toContain(`${server.included['net.conf']}:1: bind 127.0.0.1 -::1`);
      expect(check(d, 'ssh-redis-conf')?.detail).toContain(`${server.confPath} (7 directives, 1 included file)`);
      expect(JSON.stringify(d)).not.toContain(secret);
    } finally {
      await server.stop();
    }
  });

  it('nothing running → server-not-running, although ps shows other redis-servers of this machine', async () => {
    const d = await run();
    expectDiagnosis(d, { primaryCause: 'server-not-running', verdict: 'unreachable', evidence: /nothing listens on port 6379, and no redis-server listens on any port/ });
    expect(d.findings.map((f) => f.cause)).not.toContain('connection-refused');
    expect(check(d, 'ssh-systemd')?.status).toBe('skip');
    // The kernel log holds another cgroup's redis-server kill: a note, not the cause.
    expect(d.findings.map((f) => f.cause)).not.toContain('oom-killed');
    expect(check(d, 'ssh-kernel-oom')?.detail).toContain(`pid ${unrelated.pid} in ${unrelated.memcg}`);
    expect(check(d, 'ssh-kernel-oom')?.detail).toMatch(/not linked to port 6379 .*: not this server's, not a cause$/);
  });

  it('a healthy server on a host whose kernel log holds an unrelated redis-server OOM kill → healthy', async () => {
    const server = await startRedis({ netns: ns, args: ['--protected-mode', 'no'] });
    try {
      const d = await run();
      expect(d.findings.map((f) => f.cause)).not.toContain('oom-killed');
      expect(d).toMatchObject({ verdict: 'healthy', primaryCause: null });
      expect(check(d, 'ssh-kernel-oom')?.detail).toContain(`pid ${unrelated.pid} in ${unrelated.memcg}`);
    } finally {
      await server.stop();
    }
  });

  it('the monitor\'s window (last answer, first failed probe) around a kill ties it to the target: oom-killed, likely', async () => {
    const port = await freePort();
    const history = { lastAnsweredAt: new Date(unrelated.before - 5000).toISOString(), firstFailedAt: new Date(unrelated.after + 5000).toISOString() };
    const d = await run(port, 2000, history);
    expectDiagnosis(d, { primaryCause: 'oom-killed', verdict: 'unreachable', evidence: new RegExp(`Killed process ${unrelated.pid} \\(redis-server\\)`) });
    expect(d.findings[0]?.confidence).toBe('likely');
    expect(d.findings[0]?.evidence.join('\n')).toMatch(/killed at \S+, between this target's last answer \(.*\) and its first failed probe/);
  });

  it('its own server OOM-killed in its cgroup → oom-killed by the pid in its pid file; restarted in that cgroup → a warning by the cgroup', async () => {
    // A port (and so a pid file name) of this test's own; /var/run/redis_<port>.pid is where Redis' redis.conf puts it.
    const port = await freePort();
    const pidfile = `/var/run/redis_${port}.pid`;
    expect(existsSync(pidfile), `${pidfile} exists already`).toBe(false);
    const cg: MemoryCgroup = await createMemoryCgroup(CGROUP_LIMIT);
    const args = ['--protected-mode', 'no', '--pidfile', pidfile];
    try {
      const server = await startRedis({ netns: ns, port, memoryCgroup: cg, args });
      try {
        await cg.oomKill(server);
      } finally {
        await server.stop();
      }
      const d = await run(port);
      expectDiagnosis(d, { primaryCause: 'oom-killed', verdict: 'unreachable', evidence: new RegExp(`Killed process ${server.pid} \\(redis-server\\)`) });
      expect(d.findings[0]).toMatchObject({ severity: 'critical', confidence: 'confirmed', details: { pid: server.pid, running: false } });
      expect(d.findings[0]?.evidence).toContain(`killed pid ${server.pid} served :${port}: it is in ${pidfile}`);
      expect(d.findings[0]?.evidence.join('\n')).not.toContain(`Killed process ${unrelated.pid} `);

      await cg.setLimit(256 << 20);
      const again = await startRedis({ netns: ns, port, memoryCgroup: cg, args });
      try {
        const d2 = await run(port);
        expectDiagnosis(d2, { primaryCause: 'oom-killed', verdict: 'degraded' });
        expect(d2.findings[0]).toMatchObject({ severity: 'warning', confidence: 'confirmed', details: { pid: server.pid, running: true } });
        expect(d2.findings[0]?.evidence).toContain(`task_memcg ${cg.memcg} is the cgroup of redis-server pid ${again.pid}, which serves :${port} now`);
      } finally {
        await again.stop();
      }
    } finally {
      await rm(pidfile, { force: true });
      await cg.remove();
    }
  });

  it('Redis on a port the neighbour scan does not try, nothing configured for the typed one → wrong-port, confirmed from ss', async () => {
    // 7378: no redis.conf on the machine names it (Debian's /etc/redis/redis.conf is for 6379).
    const server = await startRedis({ netns: ns, port: 7479, args: ['--protected-mode', 'no'] });
    try {
      const d = await run(7378);
      expectDiagnosis(d, { primaryCause: 'wrong-port', verdict: 'unreachable', evidence: new RegExp(`ss -ltnp on ${ns.nsAddress}: LISTEN .*:7479 .*redis-server`) });
      expect(d.findings[0]).toMatchObject({ confidence: 'confirmed', details: { suggestedPort: 7479 } });
    } finally {
      await server.stop();
    }
  });

  it('open-files limit 256 (a non-root server) → fd-limit-too-low, quoting /proc/<pid>/limits read over SSH', async () => {
    const server = await startRedis({ netns: ns, runAsNobody: true, nofile: 256, args: ['--protected-mode', 'no'] });
    try {
      const d = await run();
      expectDiagnosis(d, { primaryCause: 'fd-limit-too-low', verdict: 'degraded', evidence: new RegExp(`/proc/${server.pid}/limits on ${ns.nsAddress.replace(/\./g, '\\.')}: Max open files 256 256 files`) });
      expect(d.findings[0]?.evidence).toContain('maxclients defaults to 10000, which needs 10032 descriptors');
      expect(d.findings[0]?.details).toMatchObject({ maxclients: 224, nofile: 256 });
      expect(check(d, 'ssh-proc-limits')?.detail).toBe(`pid ${server.pid}: open files 256`);
    } finally {
      await server.stop();
    }
  });

  it('iptables REJECT in front of a listening Redis → firewall-blocked, quoting the rule', async () => {
    const server = await startRedis({ netns: ns, args: ['--protected-mode', 'no'] });
    await ns.iptables(['-A', 'INPUT', '-p', 'tcp', '--dport', '6379', '-j', 'REJECT']);
    try {
      const d = await run();
      expectDiagnosis(d, {
        primaryCause: 'firewall-blocked',
        verdict: 'unreachable',
        evidence: /iptables on .*: -A INPUT -p tcp -m tcp --dport 6379 -j REJECT --reject-with icmp-port-unreachable/,
      });
      expect(d.findings[0]?.details).toMatchObject({ tool: 'iptables', action: 'reject' });
      expect(d.findings.map((f) => f.cause)).not.toContain('connection-refused');
    } finally {
      await ns.iptables(['-F', 'INPUT']);
      await server.stop();
    }
  });

  it('iptables DROP in front of a listening Redis → firewall-blocked instead of a bare timeout', async () => {
    const server = await startRedis({ netns: ns, args: ['--protected-mode', 'no'] });
    await ns.iptables(['-A', 'INPUT', '-p', 'tcp', '--dport', '6379', '-j', 'DROP']);
    try {
      const d = await run(6379, 1000);
      expectDiagnosis(d, { primaryCause: 'firewall-blocked', verdict: 'unreachable', evidence: /iptables on .*: -A INPUT -p tcp -m tcp --dport 6379 -j DROP/ });
      expect(d.findings[0]?.details).toMatchObject({ action: 'drop' });
      expect(d.findings[0]?.evidence[0]).toMatch(/ETIMEDOUT/);
      expect(d.findings.map((f) => f.cause)).not.toContain('connection-timeout');
    } finally {
      await ns.iptables(['-F', 'INPUT']);
      await server.stop();
    }
  });
});

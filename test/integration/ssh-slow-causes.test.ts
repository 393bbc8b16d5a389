/**
 * Issue #18 over SSH, against a real sshd in a network namespace that also runs
 * the redis-server: the `ssh-host-tuning` section (THP mode, the namespace's
 * ephemeral port range, TIME_WAIT counted per port) in the one-script run, and
 * TIME_WAIT on the target port tied to the redis-server listening there as
 * connection-churn evidence. The TIME_WAIT sockets are real: clients send QUIT,
 * the server closes first, so they sit on its side.
 *
 * Then the server log (`ssh-redis-log`), read by an account whose login runs a
 * slow ~/.bashrc, through sudo -n and the drop-in of docs/remote-checks.md: a
 * SIGSTOPped subscriber behind a small pub/sub limit that Redis really closes
 * (its line in the real log, after 50 MB of hostile lines), diagnosed once the
 * client is gone — output-buffer-disconnects from the log alone; another
 * instance's log on the same host is not taken.
 *
 * And the disk under the AOF: a redis-server with `appendfsync everysec` whose
 * data directory is an ext4 on a loop device throttled to 32 kB/s of writes for
 * its process (lab/slow-disk.ts): its fsyncs really wait, INFO aof_delayed_fsync
 * grows, its log says so, and latency-spikes names the device under the AOF.
 */
import net from 'node:net';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { renderJson } from '../../src/cli/render-json.js';
import { renderText } from '../../src/cli/render-text.js';
import { makeStyle } from '../../src/cli/style.js';
import { renderResult } from '../../src/slack/views/diagnosis.js';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { createSlowDisk, slowDiskAvailable, type SlowDisk } from '../lab/slow-disk.js';
import { targetOf } from './expect-diagnosis.js';
import { pollUntil } from '../lab/poll.js';
import { spawnTracked, stopProcess } from '../lab/procs.js';
import { addLoginAccount, installSudoers, readmeSudoers, shellStarts, startRedisWithConf, startSshHost, sudoPath, type LoginAccount, type SshHost } from './ssh-lab.js';
import { rm } from 'node:fs/promises';

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

const SLOW = `rdslow${process.pid}`;
const SUDOERS = `/etc/sudoers.d/rd-slow-${process.pid}`;
/** Like `eval "$(pyenv init -)"`: 0.6 s of CPU on every login. */
const SLOW_RC = ["timeout 0.6 sh -c 'while :; do :; done'"];

/** A subscriber that names itself, then reads nothing once stopped (SIGSTOP): its replies pile up on the server. */
function subscriber(host: string, port: number, name: string) {
  const cmd = (args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  const hello = cmd(['CLIENT', 'SETNAME', name]) + cmd(['SUBSCRIBE', 'events']);
  return spawnTracked([process.execPath, '-e', `const s = require('net').connect(${port}, ${JSON.stringify(host)}, () => s.write(${JSON.stringify(hello)})); s.on('data', (d) => { if (String(d).includes('subscribe')) console.log('subscribed'); }); s.on('error', () => {});`]);
}

describeLab('the server log over SSH: output-buffer closures after the client is gone (issue #18)', [...REQUIREMENTS, need.root(), ...['sudo', 'visudo', 'useradd', 'userdel', 'bash', 'timeout'].map((b) => need.binary(b))], () => {
  let ns: Netns;
  let host: SshHost;
  let account: LoginAccount | undefined;
  beforeAll(async () => {
    ns = await createNetns();
    host = await startSshHost(ns);
    account = await addLoginAccount(host, SLOW, SLOW_RC);
  });
  afterAll(async () => {
    await rm(SUDOERS, { force: true });
    await rm(`${SUDOERS}.new`, { force: true });
    await host?.stop();
    await account?.remove();
    await ns?.destroy();
  });

  it('a subscriber Redis closed for its output buffer: confirmed from the log of the server on the port, hostile lines bounded, the other instance\'s log not taken, two shells at most', async () => {
    const server = await startRedisWithConf(ns, ['port 6379', 'protected-mode no', 'bind 0.0.0.0', 'client-output-buffer-limit pubsub 262144 131072 60']);
    const other = await startRedisWithConf(ns, ['port 6380', 'protected-mode no', 'bind 0.0.0.0']);
    const log = join(server.dir, 'redis.log');
    const otherLog = join(other.dir, 'redis.log');
    const cat = sudoPath('cat')!;
    const tail = sudoPath('tail')!;
    // The conf and the logs are readable by root only (the lab's temp dirs are 0700): through sudo, as docs/remote-checks.md says.
    await installSudoers(SUDOERS, [...readmeSudoers(SLOW), `${SLOW} ALL=(root) NOPASSWD: ${[server.confPath, other.confPath].map((c) => `${cat} ${c}`).join(', ')}, ${[log, otherLog].map((l) => `${tail} -c 262145 ${l}`).join(', ')}`]);
    let sub: ReturnType<typeof subscriber> | undefined;
    try {
      // The other instance on the same host: closures in its own log are not this server's.
      appendFileSync(otherLog, `${other.pid}:M 07 Dec 2026 03:00:00.000 # Client id=9 addr=10.9.9.9:1 laddr=x fd=9 name=other age=1 idle=0 flags=P db=0 cmd=subscribe scheduled to be closed ASAP for overcoming of output buffer limits.\n`);
      // 50 MB of hostile lines before the real one; the closure at its start lies outside the tail read.
      appendFileSync(log, `${server.pid}:M 07 Dec 2026 01:00:00.000 # Client id=2 addr=10.1.1.1:1 laddr=x fd=9 name=rd-early-closed age=1 idle=0 flags=S db=0 cmd=psync scheduled to be closed ASAP for overcoming of output buffer limits.\n`);
      const noise = `${server.pid}:M 07 Dec 2026 01:30:00.000 * \u202e<!channel> @here password=hunter2 ${'w'.repeat(400)}\n`;
      const mb = noise.repeat(Math.ceil((1 << 20) / Buffer.byteLength(noise)));
      for (let i = 0; i < 50; i++) appendFileSync(log, mb);
      appendFileSync(log, `${'v '.repeat(600_000)}\n`);
      appendFileSync(log, `${server.pid}:M 07 Dec 2026 02:00:00.000 # Client id=3 addr=\u202e<!channel>:1 laddr=x fd=9 name=password=hunter2<@U123> age=1 idle=0 flags=P db=0 cmd=subscribe scheduled to be closed ASAP for overcoming of output buffer limits.\n`);

      const name = `rd-sub-${process.pid}`;
      sub = subscriber(ns.nsAddress, 6379, name);
      let said = '';
      sub.stdout!.on('data', (d) => (said += String(d)));
      await pollUntil(async () => (said.includes('subscribed') ? true : undefined), { what: 'subscriber subscribed', timeoutMs: 10_000 });
      process.kill(sub.pid!, 'SIGSTOP');
      const pub = net.connect(6379, ns.nsAddress);
      await new Promise<void>((resolve, reject) => pub.once('connect', resolve).once('error', reject));
      pub.on('data', () => {});
      const payload = 'x'.repeat(64 * 1024);
      const publish = `*3\r\n$7\r\nPUBLISH\r\n$6\r\nevents\r\n$${payload.length}\r\n${payload}\r\n`;
      // Bounded flood (at most 800 × 64 kB) until Redis writes its line for our subscriber.
      let sent = 0;
      const line = await pollUntil(async () => {
        if (sent < 800) {
          pub.write(publish.repeat(20));
          sent += 20;
        }
        return new RegExp(`Client [^\n]{0,2000}name=${name} [^\n]{0,2000}for overcoming of output buffer limits`).exec(readFileSync(log, 'latin1').slice(-65536))?.[0];
      }, { what: 'Redis closing the subscriber', timeoutMs: 30_000, intervalMs: 100 });
      expect(line).toContain('flags=P');
      pub.destroy();

      const before = host.log().length;
      const d = await diagnose(targetOf(ns.nsAddress, 6379), { timeoutMs: 3000, ssh: host.ssh({ user: SLOW, sudo: true }) });
      const starts = shellStarts(host.log().slice(before), SLOW);
      expect(starts).toBeGreaterThanOrEqual(1);
      expect(starts).toBeLessThanOrEqual(2);
      const check = d.checks.find((c) => c.id === 'ssh-redis-log');
      expect(check, JSON.stringify(d.checks)).toMatchObject({ status: 'pass' });
      expect(check!.detail).toContain(`${log}: 2 output-buffer closures in the last 256 kB`);
      expect(check!.detail).toContain(`${otherLog}: 1 output-buffer closure`);

      const f = d.findings.find((x) => x.cause === 'output-buffer-disconnects');
      expect(f, JSON.stringify(d.findings)).toMatchObject({ severity: 'warning', confidence: 'confirmed', details: { atRisk: 0, logged: 2 } });
      const text = f!.evidence.join('\n');
      expect(text).toMatch(new RegExp(`^server log ${log.replace(/[.]/g, '\\.')} on ${ns.nsAddress.replace(/[.]/g, '\\.')} \\(the logfile of ${server.confPath.replace(/[.]/g, '\\.')}, the config of redis-server pid ${server.pid} listening on :6379\\): 2 clients closed "for overcoming of output buffer limits" in its last 256 kB \\(07 Dec 2026 02:00:00\\.000 – \\d{2} \\w{3} \\d{4} [0-9:.]+, host time\\); the last at \\d{2} \\w{3} \\d{4} [0-9:.]+, \\d+ s ago by the host's clock: pub/sub subscriber \\(flags=P\\) [0-9.]+:\\d+ \\(name "${name}"\\), last command subscribe, logged by pid ${server.pid}$`, 'm'));
      expect(text).not.toContain('CLIENT LIST:');
      expect(text).not.toContain(otherLog);
      const all = JSON.stringify(d);
      expect(all).not.toContain('hunter2');
      expect(all).not.toContain('\u202e');
      expect(all).not.toContain('rd-early-closed');
      expect(f!.remediations.map((r) => r.id)).toEqual(['fix-slow-subscribers']);

      // The newest line is hostile now: its fields reach the evidence escaped, redacted and bounded, in every output.
      appendFileSync(log, `${server.pid}:M 07 Dec 2026 23:59:59.999 # Client id=4 addr=\u202e<!channel>:1 laddr=x fd=9 name=password=hunter2<@U123> age=1 idle=0 flags=P db=0 cmd=<https://evil.example|click> scheduled to be closed ASAP for overcoming of output buffer limits.\n`);
      const h = await diagnose(targetOf(ns.nsAddress, 6379), { timeoutMs: 3000, ssh: host.ssh({ user: SLOW, sudo: true }) });
      const hostile = h.findings.find((x) => x.cause === 'output-buffer-disconnects')!;
      expect(hostile.evidence[0]).toContain('3 clients closed');
      // (Its time is fixed: on another day than 7 Dec 2026 the host's clock gives it an age.)
      expect(hostile.evidence[0]).toMatch(/the last at 07 Dec 2026 23:59:59\.999(, [^:]+ ago by the host's clock)?: pub\/sub subscriber \(flags=P\) \\u202e<!channel>:1 \(name "password=<redacted>"\), last command <https:\/\/evil\.example\|click>/);
      for (const [where, out] of [['json', renderJson(h)], ['text', renderText(h, makeStyle(false))], ['slack', JSON.stringify(renderResult(h))]] as const) {
        expect(out, where).not.toContain('hunter2');
        expect(out, where).not.toContain('\u202e');
        expect(out.length, where).toBeLessThan(200_000);
      }
      const slack = JSON.stringify(renderResult(h));
      expect(slack).not.toContain('<!channel>');
      expect(slack).not.toContain('<https://evil');
    } finally {
      if (sub) {
        try {
          process.kill(sub.pid!, 'SIGCONT');
        } catch {
          /* gone */
        }
        await stopProcess(sub, 500);
      }
      await server.stop();
      await other.stop();
    }
  }, 120_000);
});

describeLab('the disk under the AOF, really slow (issue #18)', [...REQUIREMENTS, need.root(), need.binary('losetup'), need.binary('mkfs.ext4'), need.binary('redis-cli'), ['a block-I/O cgroup controller (blkio v1 or io v2)', slowDiskAvailable()] as const], () => {
  let disk: SlowDisk;
  let ns: Netns;
  let host: SshHost;
  beforeAll(async () => {
    // Before sshd and redis-server start: the mount namespaces `ip netns exec` gives them see the mount.
    disk = await createSlowDisk({ writeBytesPerSec: 32 << 10 });
    ns = await createNetns();
    host = await startSshHost(ns);
  });
  afterAll(async () => {
    await disk?.unthrottle();
    await host?.stop();
    await ns?.destroy();
    await disk?.remove();
  });

  it('appendfsync everysec on a throttled disk: aof_delayed_fsync, the log line, and the device under the AOF; likely', async () => {
    const server = await startRedisWithConf(ns, ['port 6379', 'protected-mode no', 'bind 0.0.0.0', `dir ${disk.path}`, 'appendonly yes', 'appendfsync everysec']);
    try {
      await disk.throttle(server.pid);
      const info = async () => ns.exec(['redis-cli', '-p', '6379', 'INFO', 'persistence']);
      // Each EVAL appends ~820 kB to the AOF; at 32 kB/s an fsync takes far longer than the 2 s Redis waits.
      const delayed = await pollUntil(async () => {
        await ns.exec(['redis-cli', '-p', '6379', 'EVAL', "for i=1,200 do redis.call('set','k'..i, string.rep('x', 4096)) end return 1", '0']);
        const n = Number(/aof_delayed_fsync:(\d+)/.exec(await info())?.[1] ?? 0);
        return n > 0 ? n : undefined;
      }, { what: 'aof_delayed_fsync > 0', timeoutMs: 40_000, intervalMs: 500 });
      expect(delayed).toBeGreaterThan(0);
      await pollUntil(async () => (readFileSync(join(server.dir, 'redis.log'), 'utf8').includes('AOF fsync is taking too long') ? true : undefined), { what: 'the slow-fsync log line', timeoutMs: 10_000 });

      const d = await diagnose(targetOf(ns.nsAddress, 6379), { timeoutMs: 5000, ssh: host.ssh() });
      const f = d.findings.find((x) => x.cause === 'latency-spikes');
      expect(f, JSON.stringify(d.findings)).toMatchObject({ severity: 'warning', confidence: 'likely', details: { diskBusy: true } });
      const text = f!.evidence.join('\n');
      expect(text).toMatch(/INFO aof_delayed_fsync:\d+ — writes waited for an fsync the disk had not finished/);
      expect(text).toMatch(new RegExp(`^df -P -k on ${ns.nsAddress.replace(/[.]/g, '\\.')}: ${disk.device} \\d+ \\d+ \\d+ \\d+% \\S+ — the AOF \\(${disk.path}/appendonlydir, in the data directory of the server on :6379\\) is on ${disk.device}, mounted on \\S+, \\d+% used: every fsync waits for this device$`, 'm'));
      expect(text).toMatch(new RegExp(`^server log ${join(server.dir, 'redis.log').replace(/[.]/g, '\\.')} \\(the logfile of ${server.confPath.replace(/[.]/g, '\\.')}, the config of redis-server pid ${server.pid} listening on :6379\\): \\d+ × "Asynchronous AOF fsync is taking too long \\(disk is busy\\?\\)" in all \\d+ kB`, 'm'));
      expect(f!.remediations.map((r) => r.id)).toContain('tune-fork-and-persistence');
    } finally {
      await disk.unthrottle();
      await server.stop();
    }
  }, 120_000);
});

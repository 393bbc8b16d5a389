/**
 * Secrets on the Redis host never reach any output: a requirepass in
 * redis.conf (which the checks read) and a masterauth on the redis-server
 * command line (which ps shows, because set-proc-title is off). Checked in
 * the Diagnosis, the CLI's JSON and text output (driven through run() with
 * --ssh/--ssh-key/--ssh-known-hosts, so the flags are exercised too) and the
 * raw SSH observation.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run } from '../../src/cli/run.js';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import { runRemoteChecks } from '../../src/engine/remote/index.js';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';
import { startRedisWithConf, startSshHost, type ConfRedis, type SshHost } from './ssh-lab.js';

const CONF_SECRET = `conf-Secret-${process.pid}-x9`;
const ARGV_SECRET = `argv-Secret-${process.pid}-q7`;

function capture() {
  let text = '';
  return { stream: { isTTY: false, write: (chunk: string) => ((text += chunk), true) }, text: () => text };
}

describeLab('SSH checks never leak secrets read on the host', [need.netns(), need.binary('redis-server'), need.binary('sshd'), need.binary('ssh-keygen')], () => {
  let ns: Netns;
  let host: SshHost;
  let server: ConfRedis;

  beforeAll(async () => {
    ns = await createNetns();
    host = await startSshHost(ns);
    server = await startRedisWithConf(ns, ['port 6379', `bind ${ns.nsAddress} 127.0.0.1`, `requirepass ${CONF_SECRET}`], ['--masterauth', ARGV_SECRET]);
  });
  afterAll(async () => {
    await server?.stop();
    await host?.stop();
    await ns?.destroy();
  });

  it('the host really holds both secrets where the checks look', async () => {
    const r = await runRemoteChecks(host.ssh(), { target: targetOf(ns.nsAddress, 6379), timeoutMs: 2000 });
    const conf = r.observation.redisConf?.find((f) => f.path === server.confPath);
    expect(conf).toMatchObject({ source: 'process', requirepassSet: true });
    expect(conf?.lines.map((l) => l.text)).toContain('requirepass <redacted>');
    expect(r.observation.processes?.find((p) => p.pid === server.pid)?.args).toBe(`redis-server ${server.confPath} --masterauth <redacted>`);
    const all = JSON.stringify(r);
    expect(all).not.toContain(CONF_SECRET);
    expect(all).not.toContain(ARGV_SECRET);
  });

  it('diagnose(): auth-required, and neither secret in the document', async () => {
    const d = await diagnose(targetOf(ns.nsAddress, 6379), { timeoutMs: 2000, ssh: host.ssh() });
    expectDiagnosis(d, { primaryCause: 'auth-required', verdict: 'unreachable' });
    expect(d.checks.find((c) => c.id === 'ssh-redis-conf')?.status).toBe('pass');
    const all = JSON.stringify(d);
    expect(all).not.toContain(CONF_SECRET);
    expect(all).not.toContain(ARGV_SECRET);
  });

  it('the CLI with --ssh, --ssh-key and --ssh-known-hosts: JSON and text output are clean', async () => {
    const argv = ['diagnose', `${ns.nsAddress}:6379`, '--timeout', '2000', '--ssh', `root@${ns.nsAddress}`, '--ssh-key', host.keyPath, '--ssh-known-hosts', host.knownHostsPath];
    for (const json of [true, false]) {
      const out = capture();
      const err = capture();
      const code = await run({ argv: json ? [...argv, '--json'] : argv, env: {}, stdout: out.stream, stderr: err.stream });
      expect(code, err.text()).toBe(1);
      const text = out.text() + err.text();
      expect(text).not.toContain(CONF_SECRET);
      expect(text).not.toContain(ARGV_SECRET);
      if (json) {
        const d = JSON.parse(out.text()) as { primaryCause: string; checks: { id: string; status: string }[] };
        expect(d.primaryCause).toBe('auth-required');
        expect(d.checks.find((c) => c.id === 'ssh-connect')?.status).toBe('pass');
        expect(d.checks.find((c) => c.id === 'ssh-ps')?.status).toBe('pass');
      } else {
        expect(text).toMatch(/auth-required|Authentication required/i);
      }
    }
  });
  it('the ssh block of a config file target works the same way', async () => {
    const config = join(host.dir, 'redis-doctor.yaml');
    writeFileSync(config, ['targets:', ...host.configTarget('lab-cache'), ''].join('\n'));
    const out = capture();
    const err = capture();
    const code = await run({ argv: ['diagnose', 'lab-cache', '--config', config, '--json', '--timeout', '2000'], env: {}, stdout: out.stream, stderr: err.stream });
    expect(code, err.text()).toBe(1);
    const d = JSON.parse(out.text()) as { primaryCause: string; checks: { id: string; status: string }[] };
    expect(d.primaryCause).toBe('auth-required');
    expect(d.checks.filter((c) => c.id.startsWith('ssh-') && c.status === 'pass').map((c) => c.id)).toEqual(expect.arrayContaining(['ssh-connect', 'ssh-ps', 'ssh-ss', 'ssh-redis-conf']));
    expect(out.text()).not.toContain(CONF_SECRET);
  });
});

/**
 * The SSH session itself (issue #3): one connection per diagnosis with the
 * commands as parallel channels — also when sshd admits fewer sessions per
 * connection than we open (its MaxSessions: refused channels wait and run
 * again) —, every command bounded by the step timeout, and key auth from an
 * ssh-agent when no key file is given.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/engine/remote/catalogue.js';
import { runRemoteChecks } from '../../src/engine/remote/index.js';
import { SshSession } from '../../src/engine/remote/session.js';
import { runOk } from '../lab/exec.js';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { pollUntil } from '../lab/poll.js';
import { spawnTracked, stopProcess } from '../lab/procs.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { targetOf } from './expect-diagnosis.js';
import { startSshHost, type SshHost } from './ssh-lab.js';

const REQUIREMENTS = [need.netns(), ...['redis-server', 'sshd', 'ssh-keygen', 'ssh-agent', 'ssh-add'].map((b) => need.binary(b))];

describeLab('SSH session: one connection, parallel channels, bounded steps, agent', REQUIREMENTS, () => {
  let ns: Netns;
  let host: SshHost;
  let server: RedisServer;

  beforeAll(async () => {
    ns = await createNetns();
    // Fewer sessions per connection than the 10 channels the checks open at once.
    host = await startSshHost(ns, ['MaxSessions 2']);
    server = await startRedis({ netns: ns, args: ['--protected-mode', 'no'] });
  });
  afterAll(async () => {
    await server?.stop();
    await host?.stop();
    await ns?.destroy();
  });

  const ctx = () => ({ target: targetOf(ns.nsAddress, 6379), timeoutMs: 3000 });

  it('the whole catalogue over one connection, although sshd refuses channels beyond 2 at a time', async () => {
    const before = host.log().length;
    const r = await runRemoteChecks(host.ssh(), ctx());
    const log = host.log().slice(before);
    expect(log.match(/Accepted publickey for root/g)).toHaveLength(1);
    expect(log.match(/Connection from /g)).toHaveLength(1);
    expect(r.observation.commands.map((c) => c.id)).toEqual(CATALOGUE.map((e) => e.id));
    expect(r.observation.commands.filter((c) => c.detail.startsWith('SSH channel refused'))).toEqual([]);
    for (const id of ['ps', 'ss', 'free', 'redis-conf', 'proc-limits', 'df']) expect(r.observation.commands.find((c) => c.id === id)?.status, id).toBe('ok');
    expect(r.observation.listeners?.find((l) => l.port === 6379)?.pid).toBe(server.pid);
  });

  it('a command that outlives the step bound is cut off at it, and the session stays usable', async () => {
    const { session, info } = await SshSession.open(host.ssh(), 3000);
    expect(info.ok).toBe(true);
    try {
      const slow = await session!.exec('sleep 5; echo late', 300);
      expect(slow).toMatchObject({ timedOut: true, stdout: '', exitCode: null });
      const next = await session!.exec('echo ok', 3000);
      expect(next).toMatchObject({ timedOut: false, stdout: 'ok\n', exitCode: 0 });
    } finally {
      session?.close();
    }
  });

  it('an ssh-agent holding the key logs in without a key file; with neither, no-credentials and no connection', async () => {
    const sock = join(host.dir, 'agent.sock');
    const agent = spawnTracked(['ssh-agent', '-D', '-a', sock]);
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      await pollUntil(async () => (existsSync(sock) ? true : undefined), { what: 'ssh-agent socket', timeoutMs: 5000 });
      await runOk('ssh-add', [host.keyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
      // The session reads $SSH_AUTH_SOCK, as ssh does.
      process.env.SSH_AUTH_SOCK = sock;
      const { privateKey: _key, ...withoutKey } = host.ssh();
      const before = host.log().length;
      const r = await runRemoteChecks({ ...withoutKey, useAgent: true }, ctx());
      expect(r.observation.session).toMatchObject({ ok: true, authAttempted: true });
      expect(host.log().slice(before)).toMatch(/Accepted publickey for root/);
      const none = await runRemoteChecks({ ...withoutKey, useAgent: false }, ctx());
      expect(none.observation.session).toMatchObject({ ok: false, failureReason: 'no-credentials', authAttempted: false });
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      await stopProcess(agent, 500);
    }
  });
});

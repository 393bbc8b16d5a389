/**
 * The SSH session itself (issues #3, #10): one connection per diagnosis with
 * the catalogue as two scripts on two channels — also when sshd admits only
 * one session per connection (MaxSessions 1: the follow-up waits for the first
 * script's channel to close) —, a step cut off at its bound, and key auth from
 * an ssh-agent when no key file is given.
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
import { shellStarts, startSshHost, type SshHost } from './ssh-lab.js';

const REQUIREMENTS = [need.netns(), ...['redis-server', 'sshd', 'ssh-keygen', 'ssh-agent', 'ssh-add'].map((b) => need.binary(b))];

describeLab('SSH session: one connection, two channels, bounded steps, agent', REQUIREMENTS, () => {
  let ns: Netns;
  let host: SshHost;
  let server: RedisServer;

  beforeAll(async () => {
    ns = await createNetns();
    // Fewer sessions per connection than the 2 channels the checks open at once.
    host = await startSshHost(ns, ['MaxSessions 1']);
    server = await startRedis({ netns: ns, args: ['--protected-mode', 'no'] });
  });
  afterAll(async () => {
    await server?.stop();
    await host?.stop();
    await ns?.destroy();
  });

  const ctx = () => ({ target: targetOf(ns.nsAddress, 6379), timeoutMs: 3000 });

  it('the whole catalogue over one connection in two shells, although sshd admits one session at a time', async () => {
    const before = host.log().length;
    const r = await runRemoteChecks(host.ssh(), ctx());
    const log = host.log().slice(before);
    expect(log.match(/Accepted publickey for root/g)).toHaveLength(1);
    expect(log.match(/Connection from /g)).toHaveLength(1);
    // The second channel was refused while the first ran, then opened after it.
    expect(shellStarts(log, 'root')).toBe(2);
    expect(r.observation.shellStarts).toBe(2);
    expect(r.observation.commands.map((c) => c.id)).toEqual(CATALOGUE.map((e) => e.id));
    expect(r.observation.commands.filter((c) => c.detail.startsWith('SSH channel refused'))).toEqual([]);
    for (const id of ['ps', 'ss', 'free', 'redis-conf', 'proc-limits', 'df']) expect(r.observation.commands.find((c) => c.id === id)?.status, id).toBe('ok');
    expect(r.observation.listeners?.find((l) => l.port === 6379)?.pid).toBe(server.pid);
  });

  it('a command that outlives the step bound is cut off at it, and the session stays usable', async () => {
    const { session, info } = await SshSession.open(host.ssh(), 3000);
    expect(info.ok).toBe(true);
    try {
      const slow = await session!.exec('sleep 1; echo late', 300);
      expect(slow).toMatchObject({ timedOut: true, stdout: '', exitCode: null });
      // sshd keeps a session whose command still runs (session_close_by_channel): with MaxSessions 1
      // the next channel opens once `sleep 1` is over.
      const next = await pollUntil(async () => {
        const r = await session!.exec('echo ok', 3000);
        return r.openFailed ? undefined : r;
      }, { what: 'a channel after the cut one', timeoutMs: 5000, intervalMs: 100 });
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

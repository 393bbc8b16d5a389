import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE, defaultConfPaths, planPhase2 } from '../../src/engine/remote/catalogue.js';
import { outcomeOf } from '../../src/engine/remote/outcome.js';
import { dfScript, kubectlScript, preamble, procLimitsScript, redisConfScript } from '../../src/engine/remote/scripts.js';
import type { ExecResult } from '../../src/engine/remote/session.js';
import { isSafeAbsolutePath, safeContainerId, safeInt, safePath, UnsafeValueError } from '../../src/engine/remote/shell.js';
import type { RemoteObservation } from '../../src/engine/remote/types.js';
import { which } from '../lab/exec.js';
import { labRequirement } from '../lab/guard.js';
import { startRedis, type RedisServer } from '../lab/redis.js';
import { runLocally } from './run-script.js';

const entry = (id: string) => CATALOGUE.find((e) => e.id === id)!;
const emptyObs = (): RemoteObservation => ({ session: { ok: true, host: 'h', port: 22, durationMs: 0 }, commands: [] });
const result = (r: Partial<ExecResult>): ExecResult => ({ stdout: '', stderr: '', exitCode: 0, timedOut: false, openFailed: false, truncated: false, durationMs: 3, ...r });

describe('values that may reach a remote command line', () => {
  it('integers only within bounds', () => {
    expect(safeInt(6379)).toBe('6379');
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 53]) expect(() => safeInt(bad)).toThrow(UnsafeValueError);
  });

  it('absolute paths of plain characters only, single-quoted', () => {
    expect(safePath('/etc/redis/redis.conf')).toBe("'/etc/redis/redis.conf'");
    for (const bad of ['etc/redis.conf', '/etc/redis/../shadow', "/tmp/a'b", '/tmp/a b', '/tmp/$(id)', '/tmp/`id`', '/tmp/a;b', '/tmp/a\nb', '/tmp//x', '/tmp/*']) {
      expect(isSafeAbsolutePath(bad), bad).toBe(false);
    }
    expect(() => safeContainerId('abc; reboot')).toThrow(UnsafeValueError);
  });

  it('the step timeout reaches kubectl as whole seconds, capped (a --timeout of 400 s must not cancel the command)', () => {
    expect(kubectlScript(2)).toContain(' --request-timeout=2s ');
    expect(kubectlScript(400)).toContain(' --request-timeout=300s ');
  });

  it('phase-2 plans use only parsed pids and validated paths; a bad path never reaches a script', () => {
    const obs = emptyObs();
    obs.processes = [{ pid: 812, user: 'redis', args: 'redis-server /etc/redis/redis.conf', configPath: '/etc/redis/redis.conf', defunct: false, titlePort: 6380 }];
    obs.listeners = [{ address: '0.0.0.0', port: 6380, process: 'redis-server', pid: 812, line: '' }];
    obs.systemd = { units: [{ id: 'redis-server.service', summary: '', configPath: '/etc/redis/$(x).conf' }] };
    const plan = planPhase2(obs, 6379, 2);
    expect(plan.pids).toEqual([812]);
    expect(plan.conf.map((c) => `${c.source} ${c.path}`)).toEqual(['process /etc/redis/redis.conf', ...defaultConfPaths([6379, 6380]).slice(1).map((p) => `default ${p}`)]);
    expect(redisConfScript(plan.conf)).not.toContain('$(x)');
    expect(() => procLimitsScript([812, -1])).toThrow(UnsafeValueError);
    expect(() => dfScript([], [{ conf: '/etc/x y.conf', dir: '/var/lib/redis' }])).toThrow(UnsafeValueError);
    expect(() => dfScript([], [{ conf: '/etc/redis/redis.conf', dir: '/var/lib/$(id)' }])).toThrow(UnsafeValueError);
  });
});

describe('guards: what a script checks first, repeated for the combined scripts', () => {
  it('every guard names the tools its script looks for and the test it exits 125 on', () => {
    const plan = { pids: [812], conf: [{ path: '/etc/redis/redis.conf', source: 'default' as const }], confDirs: [], containerIds: ['0123456789ab'], timeoutSec: 2 };
    const guarded = CATALOGUE.filter((e) => e.guard);
    expect(guarded.map((e) => e.id)).toEqual(CATALOGUE.filter((e) => e.needs.length === 0).map((e) => e.id));
    for (const e of guarded) {
      const script = e.script(plan)!;
      // `command -v <tool>`, or a loop over the tools (iptables, ip6tables) with `command -v $t`.
      for (const tool of e.guard!.tools) expect(script, e.id).toMatch(new RegExp(`command -v ${tool} >/dev/null 2>&1|for t in [^;]*\\b${tool}\\b`));
      expect(script, e.id).toContain('exit 127');
      if (e.guard!.service) expect(script, e.id).toContain(`${e.guard!.service} || exit 125`);
    }
  });
});

describe('exit status and stderr → outcome', () => {
  it('127 is a missing tool, 125 an absent service, both skipped', () => {
    expect(outcomeOf(entry('ufw'), result({ exitCode: 127 }), emptyObs())).toMatchObject({ status: 'missing', detail: 'ufw not installed' });
    expect(outcomeOf(entry('systemd'), result({ exitCode: 125 }), emptyObs())).toMatchObject({ status: 'unavailable', detail: 'systemd is not the init system here (no /run/systemd/system)' });
  });

  it('permission problems are "denied", daemons that are down "unavailable", the rest "failed"', () => {
    expect(outcomeOf(entry('nft'), result({ exitCode: 1, stderr: 'Operation not permitted (you must be root)\n' }), emptyObs()).status).toBe('denied');
    expect(outcomeOf(entry('ss'), result({ exitCode: 1, stderr: 'sudo: a password is required\n' }), emptyObs()).status).toBe('denied');
    expect(outcomeOf(entry('docker-ps'), result({ exitCode: 1, stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n' }), emptyObs()).status).toBe('unavailable');
    expect(outcomeOf(entry('free'), result({ exitCode: 2, stderr: 'free: bad option\n' }), emptyObs())).toMatchObject({ status: 'failed', detail: 'free: bad option', exitCode: 2 });
  });

  it('a per-item script that read nothing because sudo refused is "denied", not an empty success', () => {
    const refused = result({ stdout: '### pid 812\n', stderr: 'sudo: a password is required\n' });
    expect(outcomeOf(entry('proc-limits'), refused, emptyObs())).toMatchObject({ status: 'denied', detail: '/proc/<pid>/limits: sudo: a password is required' });
    expect(outcomeOf(entry('redis-conf'), result({ stdout: '### denied /etc/redis/redis.conf process\n' }), emptyObs())).toMatchObject({ status: 'denied', detail: 'cannot read /etc/redis/redis.conf' });
    const withDefaults = '### denied /srv/redis/a.conf process\n### denied /etc/redis/redis.conf default\n### denied /etc/redis/6379.conf default\n';
    expect(outcomeOf(entry('redis-conf'), result({ stdout: withDefaults }), emptyObs()).detail).toBe('cannot read /srv/redis/a.conf (nor 2 default locations)');
    expect(outcomeOf(entry('proc-limits'), result({ stdout: '### pid 812\n' }), emptyObs())).toMatchObject({ status: 'ok', detail: 'no limits readable' });
  });

  it('timeouts, refused channels and cut output', () => {
    expect(outcomeOf(entry('ps'), result({ exitCode: null, timedOut: true, durationMs: 2000 }), emptyObs()).status).toBe('timeout');
    expect(outcomeOf(entry('ps'), result({ exitCode: null, openFailed: true, stderr: '(SSH) Channel open failure: open failed' }), emptyObs()).detail).toMatch(/^SSH channel refused/);
    expect(outcomeOf(entry('ps'), result({ truncated: true }), emptyObs()).detail).toBe('output too large, cut');
  });

  it('stderr quoted in a detail is redacted', () => {
    const o = outcomeOf(entry('ps'), result({ exitCode: 1, stderr: 'error near --requirepass s3cretvalue\n' }), emptyObs());
    expect(o.detail).toBe('error near --requirepass <redacted>');
  });
});

describe('the phase-1 scripts, run locally through /bin/sh -s', () => {
  it('each ends in ok, missing or unavailable on this machine, never in a shell error', async () => {
    const statuses: Record<string, string> = {};
    for (const e of CATALOGUE.filter((c) => c.needs.length === 0)) {
      const res = await runLocally(e.script({ pids: [], conf: [], confDirs: [], containerIds: [], timeoutSec: 2 })!);
      expect(res.stderr, e.id).not.toMatch(/syntax error|unexpected|not found.*line/i);
      statuses[e.id] = outcomeOf(e, result({ stdout: res.stdout, stderr: res.stderr, exitCode: res.code }), emptyObs()).status;
    }
    for (const [id, status] of Object.entries(statuses)) expect(['ok', 'missing', 'unavailable', 'denied'], `${id}: ${status}`).toContain(status);
    // Present on every lab machine (.ci/run installs them):
    expect(statuses.ps).toBe('ok');
    expect(statuses.ss).toBe('ok');
    expect(statuses.free).toBe('ok');
  });
});

describe('sudo, configured per target', () => {
  it('wraps only the privileged commands in sudo -n (never prompts), and awk never runs privileged', () => {
    expect(preamble(true)).toContain('sudo -n "$@"');
    expect(preamble(false)).toContain('s() { "$@"; }');
    const conf = redisConfScript([{ path: '/etc/redis/redis.conf', source: 'default' }]);
    expect(conf).toContain('r() { if [ -r "$1" ]; then cat "$1"; else s cat "$1"; fi; }');
    expect(conf).toContain(`y=$(r "$1" | awk '`);
    expect(conf).not.toMatch(/s awk/);
    expect(dfScript([1], [{ conf: '/etc/redis/redis.conf', dir: '/var/lib/redis' }])).not.toMatch(/awk/);
  });

  it('with sudo configured, a host without sudo is reported as denied, not as missing tools', async () => {
    const res = await runLocally(entry('ss').script({ pids: [], conf: [], confDirs: [], containerIds: [], timeoutSec: 2 })!, { sudo: true });
    const o = outcomeOf(entry('ss'), result({ stdout: res.stdout, stderr: res.stderr, exitCode: res.code }), emptyObs());
    if (which('sudo') === undefined) expect(o).toMatchObject({ status: 'denied', detail: 'sudo not installed', exitCode: 126 });
    else expect(['ok', 'denied']).toContain(o.status); // sudo -n as root passes; as another user it may ask for a password
  });
});

describe('phase-2 scripts against a real redis-server', () => {
  let server: RedisServer | undefined;
  const skip = labRequirement('redis-server', which('redis-server') !== undefined);

  beforeAll(async () => {
    if (!skip) server = await startRedis({ nofile: 256, args: ['--maxclients', '10000'] });
  });
  afterAll(async () => server?.stop());

  it.skipIf(skip)('df measures the process cwd (its dir); /proc/<pid>/limits shows the lowered limit', async () => {
    const s = server!;
    const obs = emptyObs();
    const df = await runLocally(dfScript([s.pid], []));
    expect(outcomeOf(entry('df'), result({ stdout: df.stdout, exitCode: df.code }), obs).status).toBe('ok');
    expect(obs.disks?.[0]).toMatchObject({ origin: 'process-cwd', pid: s.pid, path: s.dir });
    const lim = await runLocally(procLimitsScript([s.pid]));
    outcomeOf(entry('proc-limits'), result({ stdout: lim.stdout, exitCode: lim.code }), obs);
    expect(obs.fileLimits).toEqual([{ pid: s.pid, soft: 256, hard: 256, line: 'Max open files 256 256 files' }]);
    // Its memory cgroup, as /proc/<pid>/cgroup names it here (v1 memory line, else the v2 line).
    const own = readFileSync(`/proc/${s.pid}/cgroup`, 'utf8').split('\n');
    const memcg = (own.find((l) => /^\d+:[^:]*\bmemory\b[^:]*:/.test(l)) ?? own.find((l) => l.startsWith('0::')))!.replace(/^[^:]*:[^:]*:/, '');
    expect(obs.cgroups).toEqual([{ pid: s.pid, memcg }]);
  });
});

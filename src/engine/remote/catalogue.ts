/**
 * The fixed catalogue: one entry per remote command, chosen by id, each with
 * its parser. Most need nothing from the host and run in the first script;
 * the others (`needs`) run in the follow-up script, built once the commands
 * whose parsed pids, config paths or container ids they use are back (df's
 * need of redis-conf is met inside the follow-up, in shell: batch.ts).
 * Parsers fill the observation and return a one-line summary; raw output is
 * never kept.
 */
import { parseDfOutput } from './parsers/df.js';
import { applyDockerInspect, applyDockerLogs, parseDockerPs, splitDockerInspectOutput } from './parsers/docker.js';
import { MAX_EVENT_CONTAINERS, parseEventsOutput } from '../docker/events.js';
import { parseFirewalldListAll } from './parsers/firewall/firewalld.js';
import { parseIptablesSave } from './parsers/firewall/iptables.js';
import { parseNftRuleset } from './parsers/firewall/nft.js';
import { parseUfwStatus } from './parsers/firewall/ufw.js';
import { parseFree } from './parsers/free.js';
import { parseHostTuning, parseProcStatus } from './parsers/host-tuning.js';
import { parseKernelOom } from './parsers/kernel-oom.js';
import { parseKubectl } from './parsers/kubectl.js';
import { parsePs } from './parsers/ps.js';
import { parseProcCgroups, parseProcLimits } from './parsers/proc-limits.js';
import { parsePidFiles, parseRedisConfOutput, unreadableConfs } from './parsers/redis-conf.js';
import { parseRedisLogs } from './parsers/redis-log.js';
import { looksDenied, splitSections } from './parsers/sections.js';
import { parseListeners } from './parsers/ss.js';
import { parseSystemdShow } from './parsers/systemd.js';
import * as S from './scripts.js';
import { isSafeAbsolutePath } from './shell.js';
import { isSafeUnitName } from '../shared/shell-words.js';
import type { DiskUsage, RedisConfFile, RemoteCommandId, RemoteCommandStatus, RemoteObservation } from './types.js';

export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

export interface ParseResult {
  status: RemoteCommandStatus;
  detail: string;
}

/** What the scripts with `needs` may use: only values parsed from earlier output, validated again when built. */
export interface Plan {
  pids: number[];
  conf: S.ConfCandidate[];
  /** `dir` of the config files read (absolute, validated): the data directories they name. */
  confDirs: S.ConfDataDir[];
  containerIds: string[];
  /** Redis containers not running well (docker ps State, Status), whose log tail docker-inspect reads: the target port's first. */
  containerLogIds?: string[];
  /** Default pid file locations of the target port (redis-conf reads them with those its files name). */
  pidFiles?: string[];
  /** The systemd unit whose MainPID listens on the target port: its journal is the log of a server with `logfile ""`. */
  servingUnit?: string;
  timeoutSec: number;
  /** docker-events: since when (the last good probe, epoch seconds); absent: the host's last 15 min. */
  eventsSinceSec?: number;
}

export interface CatalogueEntry {
  id: RemoteCommandId;
  /** Commands whose parsed output this one's script needs; it starts as soon as they are done. */
  needs: RemoteCommandId[];
  /** The script, or null when there is nothing to look at (no pid, no container). */
  script(plan: Plan): string | null;
  /**
   * What its script checks first, repeated for the combined scripts (batch.ts): the shell that
   * runs them tests it with builtins and reports 127 / 125 without starting a process.
   */
  guard?: S.Guard;
  /** redis-conf: the follow-up script collects the `dir` values it prints … */
  collectsDirs?: boolean;
  /** … and df gets them as arguments (batch.ts). */
  takesDirs?: boolean;
  /** redis-log gets the `logfile` values redis-conf printed, likewise. */
  takesLogs?: boolean;
  parse(out: CommandOutput, obs: RemoteObservation): ParseResult;
}

/** What the commands with `needs` are planned from: pids, config paths named by processes and units. */
const PROCESS_FACTS: RemoteCommandId[] = ['ps', 'ss', 'systemd'];

const ok = (detail: string): ParseResult => ({ status: 'ok', detail });

/**
 * Scripts that read several things report per item and exit 0. When not one item could be
 * read and the tools said why (sudo refused, permission denied), the check is "denied".
 */
function deniedIfNothing(found: number, stderr: string, what: string): ParseResult | undefined {
  if (found > 0 || !looksDenied(stderr)) return undefined;
  const line = stderr.split('\n').map((l) => l.trim()).find((l) => looksDenied(l)) ?? '';
  return { status: 'denied', detail: `${what}: ${line.slice(0, 160)}` };
}
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function firewallStatus(tables: RemoteObservation['firewall'], tool: string): string {
  const mine = (tables ?? []).filter((t) => t.tool === tool);
  const rules = mine.reduce((n, t) => n + Object.values(t.chains).reduce((m, c) => m + c.rules.length, 0), 0);
  return `${plural(rules, 'rule')} in ${plural(mine.length, 'table')}`;
}

function addFirewall(obs: RemoteObservation, tables: NonNullable<RemoteObservation['firewall']>): void {
  obs.firewall = [...(obs.firewall ?? []), ...tables];
}

export const CATALOGUE: readonly CatalogueEntry[] = [
  {
    id: 'ps',
    needs: [],
    guard: { tools: ['ps'] },
    script: () => S.PS_SCRIPT,
    parse(out, obs) {
      obs.processes = parsePs(out.stdout);
      const live = obs.processes.filter((p) => !p.defunct);
      const shown = live.slice(0, 4).map((p) => `pid ${p.pid} "${p.args}"`).join('; ');
      return ok(live.length ? `${live.length} redis-server process${live.length === 1 ? '' : 'es'}: ${shown}${live.length > 4 ? '; …' : ''}` : 'no redis-server process');
    },
  },
  {
    id: 'ss',
    needs: [],
    guard: { tools: ['ss', 'netstat'] },
    script: () => S.SS_SCRIPT,
    parse(out, obs) {
      obs.listeners = parseListeners(out.stdout);
      const redis = obs.listeners.filter((l) => l.process === 'redis-server');
      return ok(`${plural(obs.listeners.length, 'listening socket')}${redis.length ? `; redis-server on ${redis.map((l) => `${l.address}:${l.port}`).join(', ')}` : ''}`);
    },
  },
  {
    id: 'systemd',
    needs: [],
    guard: { tools: ['systemctl'], service: S.SYSTEMD_BOOTED },
    script: () => S.SYSTEMD_SCRIPT,
    parse(out, obs) {
      const units = parseSystemdShow(out.stdout).filter((u) => u.loadState !== 'not-found');
      obs.systemd = { units };
      return ok(units.length ? units.map((u) => u.summary).join('; ') : 'no redis unit');
    },
  },
  {
    id: 'docker-ps',
    needs: [],
    guard: { tools: ['docker'], service: S.DOCKER_REACHABLE },
    script: () => S.DOCKER_PS_SCRIPT,
    parse(out, obs) {
      const containers = parseDockerPs(out.stdout);
      obs.docker = { containers };
      const redis = containers.filter((c) => c.redis);
      return ok(`${plural(containers.length, 'container')}${redis.length ? `; redis: ${redis.map((c) => `${c.name} (${c.portsText || 'no ports'})`).join(', ')}` : ''}`);
    },
  },
  {
    id: 'kubectl',
    needs: [],
    guard: { tools: ['kubectl'], service: S.KUBECONFIG_PRESENT },
    script: (plan) => S.kubectlScript(plan.timeoutSec),
    parse(out, obs) {
      const k = parseKubectl(out.stdout);
      if (!k) return { status: 'failed', detail: 'kubectl: output not understood' };
      obs.kubernetes = k;
      return ok(`${plural(k.services.length, 'service')}, ${plural(k.endpoints.length, 'endpoints object')}`);
    },
  },
  {
    id: 'free',
    needs: [],
    guard: { tools: ['free'] },
    script: () => S.FREE_SCRIPT,
    parse(out, obs) {
      const mem = parseFree(out.stdout);
      if (!mem) return { status: 'failed', detail: 'free: output not understood' };
      obs.memory = mem;
      const mib = (b: number) => `${Math.round(b / 1048576)} MiB`;
      return ok(`memory ${mib(mem.totalBytes)}, available ${mib(mem.availableBytes ?? mem.freeBytes)}`);
    },
  },
  {
    id: 'host-tuning',
    needs: [],
    guard: { tools: ['head'] },
    script: () => S.HOST_TUNING_SCRIPT,
    parse(out, obs) {
      const t = parseHostTuning(out.stdout);
      obs.hostTuning = t;
      return ok([
        `transparent huge pages ${t.thp ?? 'unknown'}`,
        t.portRange ? `ephemeral ports ${t.portRange[0]}-${t.portRange[1]}` : 'ephemeral ports unknown',
        `${t.timeWaitTotal ?? '?'} sockets in TIME_WAIT`,
      ].join(', '));
    },
  },
  {
    id: 'kernel-oom',
    needs: [],
    guard: { tools: ['dmesg', 'journalctl'] },
    script: () => S.KERNEL_OOM_SCRIPT,
    parse(out, obs) {
      const oom = parseKernelOom(out.stdout);
      if (!oom) return { status: 'failed', detail: 'kernel log: output not understood' };
      obs.oom = oom;
      return ok(`${oom.source}: ${oom.kills.length ? `${plural(oom.kills.length, 'OOM kill')} of redis-server` : 'no OOM kill of redis-server'}`);
    },
  },
  {
    id: 'iptables',
    needs: [],
    guard: { tools: ['iptables', 'ip6tables'] },
    script: () => S.IPTABLES_SCRIPT,
    parse(out, obs) {
      const sections = splitSections(out.stdout).filter((s) => s.name === 'iptables' || s.name === 'ip6tables');
      const good = sections.filter((s) => s.rc === 0);
      addFirewall(obs, good.map((s) => parseIptablesSave(s.body.join('\n'), s.name as 'iptables' | 'ip6tables')));
      const bad = sections.find((s) => s.rc !== 0);
      if (good.length === 0 && bad) {
        const text = bad.body.join(' ').trim();
        return { status: looksDenied(text) ? 'denied' : 'failed', detail: `${bad.name}: ${text.slice(0, 160)}` };
      }
      return ok(`iptables -S: ${firewallStatus(obs.firewall, 'iptables')}; ip6tables -S: ${firewallStatus(obs.firewall, 'ip6tables')}`);
    },
  },
  {
    id: 'nft',
    needs: [],
    guard: { tools: ['nft'] },
    script: () => S.NFT_SCRIPT,
    parse(out, obs) {
      addFirewall(obs, parseNftRuleset(out.stdout));
      return ok(`nft list ruleset: ${firewallStatus(obs.firewall, 'nft')}`);
    },
  },
  {
    id: 'ufw',
    needs: [],
    guard: { tools: ['ufw'] },
    script: () => S.UFW_SCRIPT,
    parse(out, obs) {
      const tables = parseUfwStatus(out.stdout);
      addFirewall(obs, tables);
      return ok(tables[0]?.active ? `ufw active: ${firewallStatus(obs.firewall, 'ufw')}` : 'ufw inactive');
    },
  },
  {
    id: 'firewalld',
    needs: [],
    guard: { tools: ['firewall-cmd'] },
    script: () => S.FIREWALLD_SCRIPT,
    parse(out, obs) {
      const tables = parseFirewalldListAll(out.stdout);
      addFirewall(obs, tables);
      return ok(`firewalld zones: ${tables.map((t) => t.entryChains[0]).join(', ') || 'none'}`);
    },
  },
  {
    id: 'redis-conf',
    needs: PROCESS_FACTS,
    collectsDirs: true,
    script: (plan) => (plan.conf.length ? S.redisConfScript(plan.conf, plan.pidFiles) : null),
    parse(out, obs) {
      obs.redisConf = parseRedisConfOutput(out.stdout);
      obs.pidFiles = parsePidFiles(out.stdout, obs.redisConf);
      const denied = unreadableConfs(out.stdout);
      // A default location that cannot be read may not exist at all; only say so when nothing was read.
      if (obs.redisConf.length === 0 && denied.length > 0) {
        const named = denied.filter((d) => d.source !== 'default').map((d) => d.path);
        const defaults = denied.length - named.length;
        const detail = named.length ? `${named.join(', ')}${defaults ? ` (nor ${plural(defaults, 'default location')})` : ''}` : denied.map((d) => d.path).join(', ');
        return { status: 'denied', detail: `cannot read ${detail}` };
      }
      const files = obs.redisConf.map((f) => `${f.path} (${plural(f.lines.length, 'directive')}${f.included?.length ? `, ${plural(f.included.length, 'included file')}` : ''})`);
      const unread = denied.filter((d) => d.source !== 'default').map((d) => `cannot read ${d.path}`);
      return ok([...files, ...unread].join(', ') || 'no readable redis.conf');
    },
  },
  {
    id: 'proc-limits',
    needs: PROCESS_FACTS,
    script: (plan) => (plan.pids.length ? S.procLimitsScript(plan.pids) : null),
    parse(out, obs) {
      obs.fileLimits = parseProcLimits(out.stdout);
      obs.cgroups = parseProcCgroups(out.stdout);
      obs.processStatus = parseProcStatus(out.stdout);
      const denied = deniedIfNothing(obs.fileLimits.length, out.stderr, '/proc/<pid>/limits');
      if (denied) return denied;
      return ok(obs.fileLimits.map((l) => `pid ${l.pid}: open files ${l.soft ?? 'unlimited'}`).join('; ') || 'no limits readable');
    },
  },
  {
    id: 'df',
    // After redis-conf: the `dir` of a config file may stand in an included file.
    needs: [...PROCESS_FACTS, 'redis-conf'],
    takesDirs: true,
    script: (plan) => S.dfScript(plan.pids, plan.confDirs),
    parse(out, obs) {
      obs.disks = attributeConfigDirs(parseDfOutput(out.stdout), obs.redisConf ?? []);
      return ok(obs.disks.map((d) => `${d.path}: ${d.usePercent}% used`).join('; ') || 'no data directory found');
    },
  },
  {
    id: 'redis-log',
    // After redis-conf: the `logfile` of a config file (shell data, batch.ts), and the unit serving the port.
    needs: [...PROCESS_FACTS, 'redis-conf'],
    takesLogs: true,
    script: (plan) => S.redisLogScript(plan.servingUnit),
    parse(out, obs) {
      obs.serverLogs = parseRedisLogs(out.stdout);
      const logs = obs.serverLogs.map((l) => {
        const name = l.source === 'journal' ? `journal of ${l.path}` : l.path;
        if (l.status !== 'read') return `${name}: ${l.status === 'not-a-file' ? 'not a regular file' : l.status === 'denied' ? 'cannot read' : 'no such file'}`;
        return `${name}: ${plural(l.bufferClosures, 'output-buffer closure')}${l.slowFsyncs ? `, ${plural(l.slowFsyncs, 'slow AOF fsync')}` : ''} in the last ${Math.round(l.bytesRead / 1024)} kB${l.firstAt ? ` (since ${l.firstAt})` : ''}`;
      });
      const denied = obs.serverLogs.length > 0 && obs.serverLogs.every((l) => l.status === 'denied');
      return { status: denied ? 'denied' : 'ok', detail: logs.join('; ') || 'no log file named by a config file read' };
    },
  },
  {
    id: 'docker-inspect',
    needs: ['docker-ps'],
    script: (plan) => (plan.containerIds.length ? S.dockerInspectScript(plan.containerIds, plan.containerLogIds) : null),
    parse(out, obs) {
      if (!obs.docker) return ok('nothing to inspect');
      const { inspect, logs } = splitDockerInspectOutput(out.stdout);
      obs.docker.containers = applyDockerLogs(applyDockerInspect(obs.docker.containers, inspect), logs);
      const read = obs.docker.containers.filter((c) => c.logTail);
      const unread = logs.filter((l) => l.unread !== undefined).map((l) => `log of ${l.id.slice(0, 12)} not read: ${l.unread}`);
      return ok([`inspected ${plural(obs.docker.containers.filter((c) => c.networkMode).length, 'container')}${read.length ? `; log tail of ${read.map((c) => c.name).join(', ')}` : ''}`, ...unread].join('; '));
    },
  },
  {
    id: 'docker-events',
    needs: ['docker-ps'],
    script: (plan) => (plan.containerIds.length ? S.dockerEventsScript(plan.containerIds.slice(0, MAX_EVENT_CONTAINERS), plan.eventsSinceSec) : null),
    parse(out, obs) {
      if (!obs.docker) return ok('nothing to read');
      const ids = eventContainerIds(obs);
      const ev = parseEventsOutput(out.stdout, out.stderr, ids);
      obs.docker.events = ev;
      if (!ev.ok) return { status: looksDenied(out.stderr) ? 'denied' : 'failed', detail: ev.error ?? 'docker events failed' };
      const by = new Map<string, number>();
      for (const e of ev.events) by.set(e.action, (by.get(e.action) ?? 0) + 1);
      const window = ev.sinceFrom === 'last-good-probe' ? `since the last good probe (${ev.since})` : 'in the last 15 min';
      return ok(`${plural(ev.count, 'event')} of ${plural(ids.length, 'Redis container')} ${window}${by.size ? `: ${[...by].map(([a, n]) => `${a} ×${n}`).join(', ')}` : ''}${ev.truncated ? ` (cut at the ${ev.truncated === 'bytes' ? 'byte cap' : 'event cap'})` : ''}`);
    },
  },
];

/** The containers whose events are read: the Redis ones docker ps listed (the plan's), at most MAX_EVENT_CONTAINERS. */
function eventContainerIds(obs: RemoteObservation): string[] {
  return (obs.docker?.containers ?? []).filter((c) => c.redis).map((c) => c.id).slice(0, 10).slice(0, MAX_EVENT_CONTAINERS);
}

/**
 * The order the sections run in. First what the follow-up script is planned from (so it can
 * start while the rest runs), then the firewall, memory and the kernel log; the slow tools
 * (ufw and firewall-cmd are Python, kubectl talks to a cluster) last. The report keeps
 * catalogue order.
 */
/** `docker ps` Status of a container up for less than a minute (Docker's own wording). */
const JUST_STARTED = /^Up (?:Less than a second|\d{1,2} seconds)\b/;

export const RUN_ORDER: readonly RemoteCommandId[] = [
  'ps', 'ss', 'systemd', 'docker-ps', 'iptables', 'nft', 'free', 'host-tuning', 'kernel-oom', 'ufw', 'firewalld', 'kubectl',
  'redis-conf', 'df', 'proc-limits', 'redis-log', 'docker-inspect', 'docker-events',
];

/**
 * The follow-up df measures every `dir` a config file printed (shell data, batch.ts), labelled `-`.
 * Redis uses the last `dir` of a file with its includes read in place, so only a directory that is
 * the `dir` of a config file read is kept, once per such file, as that file's data directory.
 */
export function attributeConfigDirs(disks: DiskUsage[], confs: RedisConfFile[]): DiskUsage[] {
  return disks.flatMap((d) => {
    if (d.origin !== 'config-dir' || d.configPath !== '-') return [d];
    return confs.filter((f) => f.dir === d.path && isSafeAbsolutePath(f.dir)).map((f) => ({ ...d, configPath: f.path }));
  });
}

const MAX_PIDS = 8;
/** Container logs read at most (the Engine API's MAX_LOGS). */
const MAX_LOGS = 3;
/** Config files named by processes and units come first, then the default locations. */
const MAX_CONF_CANDIDATES = 12;

/** Default redis.conf locations (Debian/Ubuntu, RHEL, Homebrew, the utils/install_server.sh layout). */
export function defaultConfPaths(ports: number[]): string[] {
  const paths = ['/etc/redis/redis.conf', '/etc/redis.conf', '/usr/local/etc/redis.conf', '/etc/redis/redis-server.conf'];
  for (const p of ports) if (Number.isInteger(p) && p > 0 && p < 65536) paths.push(`/etc/redis/${p}.conf`);
  return paths;
}

/** Inputs of the scripts with `needs`, from the observation so far; every value is re-validated by the script builders. */
export function planPhase2(obs: RemoteObservation, targetPort: number, timeoutSec: number, eventsSinceSec?: number): Plan {
  const live = (obs.processes ?? []).filter((p) => !p.defunct);
  const listenerPids = (obs.listeners ?? []).filter((l) => l.process === 'redis-server' && l.pid).map((l) => l.pid!);
  // When ss names processes, the redis-servers that listen in this host's network namespace are the
  // ones a client of this host reaches; the others ps shows live in containers or other namespaces.
  const ssKnowsPids = (obs.listeners ?? []).some((l) => l.pid !== undefined);
  const pids = [...new Set(ssKnowsPids ? listenerPids : live.map((p) => p.pid))].slice(0, MAX_PIDS);
  const conf: S.ConfCandidate[] = [];
  const add = (path: string | undefined, source: S.ConfCandidate['source']) => {
    if (path && isSafeAbsolutePath(path) && !conf.some((c) => c.path === path)) conf.push({ path, source });
  };
  for (const p of live) add(p.configPath, 'process');
  for (const u of obs.systemd?.units ?? []) add(u.configPath, 'systemd');
  const ports = [targetPort, ...live.map((p) => p.titlePort ?? p.argPort ?? 0)];
  for (const path of defaultConfPaths([...new Set(ports)])) add(path, 'default');
  const confDirs = (obs.redisConf ?? []).filter((f) => f.dir !== undefined && isSafeAbsolutePath(f.dir)).map((f) => ({ conf: f.path, dir: f.dir! }));
  const redis = (obs.docker?.containers ?? []).filter((c) => c.redis);
  const containerIds = redis.map((c) => c.id).slice(0, 10);
  // As the Engine API read does (docker/engine-api.ts): the log tail of the Redis containers not
  // running well, at most 3, those whose ports name the target's first (a stopped one shows none).
  // "Up 3 seconds" counts: a container in a restart loop is caught between two crashes as often
  // as not, and `docker ps` cannot tell it from a healthy one that just started (its log tells).
  const containerLogIds = redis
    .filter((c) => !c.running || c.state === 'restarting' || /\(unhealthy\)/.test(c.status) || JUST_STARTED.test(c.status))
    .map((c, i) => ({ c, i, w: c.ports.some((p) => p.hostPort === targetPort) ? 0 : 1 }))
    .sort((a, b) => a.w - b.w || a.i - b.i)
    .slice(0, MAX_LOGS)
    .map(({ c }) => c.id);
  const onPort = new Set((obs.listeners ?? []).filter((l) => l.port === targetPort && l.process === 'redis-server' && l.pid).map((l) => l.pid!));
  const unit = (obs.systemd?.units ?? []).find((u) => u.mainPid !== undefined && onPort.has(u.mainPid) && isSafeUnitName(u.id));
  return { pids, conf: conf.slice(0, MAX_CONF_CANDIDATES), confDirs, containerIds, containerLogIds, pidFiles: [S.defaultPidFile(targetPort)], ...(unit ? { servingUnit: unit.id } : {}), timeoutSec, ...(eventsSinceSec !== undefined ? { eventsSinceSec } : {}) };
}

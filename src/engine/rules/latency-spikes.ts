/**
 * The server stalls every client now and then for reasons other than a slow
 * command: a fork for BGSAVE/BGREWRITEAOF (the whole server pauses while the
 * kernel copies the page tables: latest_fork_usec), an fsync the AOF waits
 * for (appendfsync always; aof_delayed_fsync counts writes that waited for a
 * slow disk), mass expiry or eviction cycles, or a host that makes even O(1)
 * commands slow (`fast-command`: swap, CPU steal, transparent huge pages).
 *
 * Evidence, in order of strength:
 *  - the latency monitor's own record (LATENCY LATEST, with
 *    latency-monitor-threshold > 0): events of STALL_MS or more within
 *    RECENT_S of the server's clock. The server recorded the stall;
 *    `likely` from LIKELY_MS, else `possible` (whether the application's
 *    timeouts are these depends on their timeouts) — as slow-commands;
 *  - INFO: latest_fork_usec of FORK_STALL_MS or more, aof_delayed_fsync > 0;
 *  - over SSH, tied to the pid serving the port: that process's VmSwap
 *    (SWAP_KB or more), and transparent huge pages `always` on the host
 *    the server listens on; with AOF stalls, the disk under the AOF (df of
 *    the data directory, /proc/pressure/io, the log's "AOF fsync is taking
 *    too long" lines: `likely` only when the pressure or the log points at
 *    the disk).
 * A warning needs a stall seen: a recent event, a slow fork, delayed fsyncs,
 * a swapping server. THP `always` alone, or
 * events older than RECENT_S, are an info note. A `command` event is a slow
 * command (DEBUG SLEEP, KEYS …): SLOWLOG names which (slow-commands); here it
 * is the latency monitor's record of the stall, with the same fix offered.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { LatencyEvent, Observations, Remediation } from '../model/types.js';
import { config, infoNumber, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';
import { confsForPort, hostName } from './helpers/host.js';
import { servesHere, servingPids } from './helpers/serving.js';
import { logSpan, tiedServerLog } from './helpers/server-log.js';
import { dataDisks } from './disk-full.js';
import type { RemoteObservation } from '../remote/types.js';

export const RECENT_S = 3600;
export const STALL_MS = 100;
export const LIKELY_MS = 1000;
export const FORK_STALL_MS = 100;
/** VmSwap from which a server is said to swap (kB). */
export const SWAP_KB = 1024;
/** Host I/O pressure (% of the time every task waited for I/O, /proc/pressure/io `full`) that points at the disk. */
export const IO_FULL_PERCENT = 10;

/**
 * The disk under the AOF (issue #18): the filesystem of the data directory of the server on the
 * port (df of its cwd, or of its config's `dir`: disk-full's tie), the AOF directory in it
 * (`appenddirname`, Redis ≥ 7), the host's I/O pressure, and the server log's own "Asynchronous
 * AOF fsync is taking too long (disk is busy?)" lines. `busy` when the pressure or the log points
 * at the disk; the filesystem alone says where, not that it is slow.
 */
function aofDisk(obs: Observations, host: RemoteObservation): { evidence: string[]; busy: boolean } {
  const evidence: string[] = [];
  let busy = false;
  const disk = dataDisks(obs, host)[0];
  if (disk) {
    const pid = servingPids(obs)[0];
    const conf = confsForPort(host, obs.target.port, pid).find((c) => c.appendDirName !== undefined);
    const major = Number(/^(\d+)\./.exec(obs.info?.sections.server?.redis_version ?? '')?.[1] ?? Number.NaN);
    const aofDir = major >= 7 || conf ? `${disk.path}/${conf?.appendDirName ?? 'appendonlydir'}` : disk.path;
    evidence.push(`df -P -k on ${hostName(host)}: ${disk.line} — the AOF (${aofDir}, in the data directory of the server on :${obs.target.port}) is on ${disk.filesystem}, mounted on ${disk.mountedOn}, ${disk.usePercent}% used: every fsync waits for this device`);
  }
  const psi = host.hostTuning?.ioPressure;
  if (psi) {
    busy = psi.full10 >= IO_FULL_PERCENT || psi.full60 >= IO_FULL_PERCENT;
    evidence.push(`/proc/pressure/io on ${hostName(host)}: some avg10=${psi.some10} avg60=${psi.some60}, full avg10=${psi.full10} avg60=${psi.full60} — ${busy ? 'all tasks stalled on I/O for that share of the time: the host\'s disks are busy' : 'little I/O stall on the host now (host-wide, every disk)'}`);
  }
  const tied = tiedServerLog(obs);
  const log = tied?.log?.status === 'read' ? tied.log : undefined;
  if (log && log.slowFsyncs > 0) {
    busy = true;
    evidence.push(`server log ${tied!.name} (${tied!.tie}): ${log.slowFsyncs} × "Asynchronous AOF fsync is taking too long (disk is busy?)" in ${logSpan(log)}${log.lastSlowFsyncAt ? `, the last at ${log.lastSlowFsyncAt}` : ''}`);
  }
  return { evidence, busy };
}

const WHAT: Record<string, string> = {
  fork: 'fork for BGSAVE/BGREWRITEAOF',
  'aof-fsync-always': 'AOF fsync on every write (appendfsync always)',
  'aof-write': 'AOF write',
  'aof-write-pending-fsync': 'AOF write waiting for an fsync',
  'aof-write-active-child': 'AOF write during a rewrite',
  'aof-write-alone': 'AOF write',
  'aof-fstat': 'AOF fstat',
  'aof-rename': 'AOF rename after a rewrite',
  'expire-cycle': 'active expiry cycle (many keys expiring at once)',
  'eviction-cycle': 'eviction cycle (maxmemory)',
  'eviction-del': 'eviction of a big key',
  'fast-command': 'O(1) commands that were slow (the host: swap, CPU, THP)',
  command: 'slow commands',
  'while-blocked-cron': 'cron while blocked',
  'active-defrag-cycle': 'active defragmentation cycle',
};

function describe(e: LatencyEvent): string {
  return WHAT[e.event] ? `${e.event} (${WHAT[e.event]})` : e.event;
}

export const rule = defineRule({
  cause: 'latency-spikes',
  impact: 'degrading',
  evaluate(obs) {
    const log = obs.latencyEvents;
    const evidence: string[] = [];
    const stalls: string[] = [];
    let maxMs = 0;
    let fork = false;
    let fsync = false;
    let swapKb: number | undefined;
    let thp = false;
    const events = log && log.error === undefined ? log.events : [];
    const recent = events.filter((e) => e.at >= log!.nowSec - RECENT_S && e.at <= log!.nowSec + 60 && e.latestMs >= STALL_MS);
    for (const e of [...recent].sort((a, b) => b.maxMs - a.maxMs).slice(0, 4)) {
      evidence.push(`LATENCY LATEST: ${describe(e)} latest ${e.latestMs} ms, ${Math.max(0, log!.nowSec - e.at)} s ago, worst ${e.maxMs} ms`);
      stalls.push(e.event);
      maxMs = Math.max(maxMs, e.latestMs);
      if (e.event === 'fork') fork = true;
      if (e.event.startsWith('aof-')) fsync = true;
    }
    const history = log?.history;
    if (history && recent.some((e) => e.event === history.event) && history.samples.length > 1) {
      const last = history.samples.slice(-6).map((s) => `${s.ms} ms`).join(', ');
      evidence.push(`LATENCY HISTORY ${history.event}: ${history.samples.length} recorded, the last: ${last}`);
    }
    const old = events.filter((e) => !recent.includes(e) && e.maxMs >= STALL_MS);
    const forkUsec = infoNumber(obs, 'latest_fork_usec');
    if (forkUsec !== undefined && forkUsec >= FORK_STALL_MS * 1000) {
      evidence.push(`INFO latest_fork_usec:${forkUsec} — the last fork paused every client for ${Math.round(forkUsec / 1000)} ms${infoNumber(obs, 'used_memory') ? ` (used_memory ${Math.round(infoNumber(obs, 'used_memory')! / 1048576)} MiB)` : ''}`);
      stalls.push('fork');
      fork = true;
      maxMs = Math.max(maxMs, forkUsec / 1000);
    }
    const delayed = infoNumber(obs, 'aof_delayed_fsync');
    if (delayed !== undefined && delayed > 0) {
      evidence.push(`INFO aof_delayed_fsync:${delayed} — writes waited for an fsync the disk had not finished`);
      stalls.push('aof-delayed-fsync');
      fsync = true;
    }
    const bgsave = infoNumber(obs, 'rdb_last_bgsave_time_sec');
    if ((fork || fsync) && bgsave !== undefined && bgsave > 0) evidence.push(`INFO rdb_last_bgsave_time_sec:${bgsave}`);

    const host = servesHere(obs);
    let diskBusy = false;
    if (host && fsync && obs.info?.sections.persistence?.aof_enabled !== '0') {
      const disk = aofDisk(obs, host);
      evidence.push(...disk.evidence);
      diskBusy = disk.busy;
    }
    if (host) {
      const pids = servingPids(obs);
      const status = (host.processStatus ?? []).find((s) => pids.includes(s.pid) && s.vmSwapKb !== undefined);
      if (status && status.vmSwapKb! >= SWAP_KB) {
        swapKb = status.vmSwapKb!;
        evidence.push(`/proc/${status.pid}/status on ${hostName(host)}: VmSwap ${status.vmSwapKb} kB (the redis-server listening on port ${obs.target.port}): pages in swap are disk reads on the main thread`);
        stalls.push('swap');
      }
      if (host.hostTuning?.thp === 'always') {
        thp = true;
        evidence.push(`/sys/kernel/mm/transparent_hugepage/enabled on ${hostName(host)}: [always] — after a fork, writes copy 2 MB pages (Redis ≥ 6.2 turns THP off for itself unless disable-thp is no)`);
      }
    }
    if (stalls.length === 0 && !thp && old.length === 0) return undefined;
    if (old.length && stalls.length === 0) evidence.push(`older events: ${old.slice(0, 3).map((e) => `${e.event} worst ${e.maxMs} ms`).join(', ')} (more than an hour ago)`);
    const threshold = config(obs, 'latency-monitor-threshold');
    if (threshold === '0') evidence.push('latency-monitor-threshold is 0: the latency monitor records nothing; turn it on to see the next stall with its cause');
    if (obs.latency) evidence.push(`latency sample now: p99 ${obs.latency.p99Ms} ms over ${obs.latency.samplesMs.length} PINGs`);
    const t = fixTarget(obs);
    const remediations: Remediation[] = [];
    if (thp) remediations.push(REMEDIATIONS['disable-transparent-huge-pages'](t));
    if (swapKb !== undefined) remediations.push(REMEDIATIONS['stop-redis-swapping'](t, { swapKb }));
    if (fork || fsync) remediations.push(REMEDIATIONS['tune-fork-and-persistence'](t, { fork, fsync }));
    if (stalls.includes('command')) remediations.push(REMEDIATIONS['replace-blocking-commands'](t));
    remediations.push(REMEDIATIONS['watch-latency-events'](t, { thresholdOff: threshold === '0' }));
    const names = [...new Set(stalls)];
    return {
      // A stall seen (recorded, a slow fork, delayed fsyncs, a swapping server) is a warning; THP alone, or old events, a note.
      severity: stalls.length > 0 ? 'warning' : 'info',
      // The disk under the AOF counts only when its pressure or the server's own log points at it.
      confidence: maxMs >= LIKELY_MS || swapKb !== undefined || (fsync && diskBusy) ? 'likely' : 'possible',
      title: stalls.length
        ? `${targetLabel(obs)} stalls every client now and then: ${names.join(', ')}${maxMs ? ` (up to ${Math.round(maxMs)} ms)` : ''}`
        : thp ? `${targetLabel(obs)} runs on a host with transparent huge pages always: forks will stall it` : `${targetLabel(obs)} had latency spikes more than an hour ago`,
      evidence,
      remediations,
      details: { events: names.join(',') || 'none', maxMs: Math.round(maxMs), ...(swapKb !== undefined ? { swapKb } : {}), thp, ...(fsync && host ? { diskBusy } : {}) },
    };
  },
});

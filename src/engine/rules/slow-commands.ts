/**
 * SLOWLOG shows commands that blocked the server long enough to time clients
 * out. Redis executes commands one at a time on its main thread, so while a
 * KEYS over a million keys runs (~150 ms) every other client waits: their
 * requests time out (`Timeout performing GET`, `Command timed out`) while a
 * PING a moment later answers at once and the server looks healthy.
 *
 * Counted: entries within RECENT_S of the server's clock (INFO
 * server_time_usec; this machine's when INFO had none) and of at least
 * STALL_MS (Redis logs from 10 ms by default, slowlog-log-slower-than; a few
 * tens of ms are routine, 100 ms is where pooled clients with short timeouts
 * and latency-sensitive callers start to fail). That the server was blocked is
 * certain (it recorded it); whether it is what the application's timeouts are
 * depends on their timeouts: `likely` from LIKELY_MS (a second reaches the
 * default timeouts of several clients), else `possible`.
 *
 * One or two such entries in the hour, with the latency sample small now, are a
 * past event (a killed script, one KEYS by hand, a hiccup of a loaded host): an
 * info note, and the verdict stays what the rest says — otherwise a verified
 * SCRIPT KILL would read "not fixed" for an hour. A warning (degraded) takes a
 * pattern — RECURRING entries or more in the hour — or a stall the latency
 * sample sees now (p99 at or above STALL_MS).
 *
 * Arguments never reach the finding: the probe keeps only command names and
 * KEYS/SCAN shapes (probes/slowlog.ts); client addresses and names are capped
 * and escaped there.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { SlowlogEntry } from '../model/types.js';
import { clip, ms, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

export const RECENT_S = 3600;
export const STALL_MS = 100;
export const LIKELY_MS = 1000;
export const RECURRING = 3;
const SHOWN = 5;

function ago(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, seconds)} s ago`;
  return `${Math.round(seconds / 60)} min ago`;
}

function who(e: SlowlogEntry): string {
  if (e.client === undefined && e.clientName === undefined) return 'an unrecorded client';
  return [e.client, e.clientName !== undefined ? `(client name "${e.clientName}")` : undefined].filter(Boolean).join(' ');
}

export const rule = defineRule({
  cause: 'slow-commands',
  impact: 'degrading',
  evaluate(obs) {
    const log = obs.slowlog;
    if (!log || log.error !== undefined) return undefined;
    // A clock skew of a minute either way is tolerated; an entry from the future beyond that is not trusted.
    const recent = log.entries.filter((e) => e.at >= log.nowSec - RECENT_S && e.at <= log.nowSec + 60 && e.durationUs >= STALL_MS * 1000);
    if (recent.length === 0) return undefined;
    const bySlowest = [...recent].sort((a, b) => b.durationUs - a.durationUs);
    const maxMs = bySlowest[0]!.durationUs / 1000;
    const commands = [...new Set(bySlowest.map((e) => e.command))];
    const clients = [...new Set(bySlowest.map(who))].slice(0, 3);
    const perCommand = commands.slice(0, 4).map((c) => {
      const of = recent.filter((e) => e.command === c);
      return `${c} (${of.length}×, up to ${ms(Math.max(...of.map((e) => e.durationUs)) / 1000)})`;
    });
    const clock = log.clock === 'server' ? 'the server\'s clock' : 'this machine\'s clock (INFO had no server_time_usec)';
    const t = fixTarget(obs);
    const stallingNow = obs.latency !== undefined && obs.latency.p99Ms >= STALL_MS;
    const pattern = recent.length >= RECURRING || stallingNow;
    return {
      severity: pattern ? 'warning' : 'info',
      confidence: maxMs >= LIKELY_MS ? 'likely' : 'possible',
      title: `${targetLabel(obs)} was blocked by slow commands in the last hour — ${perCommand.join(', ')}: every other client waited behind them`,
      evidence: [
        ...bySlowest.slice(0, SHOWN).map((e) => clip(`SLOWLOG #${e.id}: ${e.shape ?? e.command} took ${ms(e.durationUs / 1000)}, ${ago(log.nowSec - e.at)}, from ${who(e)}`, 240)),
        `${recent.length} of the ${log.entries.length} entries read are within the last hour (by ${clock}) and took ${STALL_MS} ms or more; Redis runs one command at a time, so each stalled every client for as long`,
        ...(pattern ? [] : [`${recent.length === 1 ? 'one entry' : 'two entries'} and a small latency sample now: a past stall, noted; ${RECURRING} or more in the hour, or a slow sample, would make it a warning`]),
        'arguments (keys, values) are not shown: SLOWLOG keeps them and they can be user data',
        ...(obs.latency ? [`latency sample now: p50 ${obs.latency.p50Ms} ms, p99 ${obs.latency.p99Ms} ms over ${obs.latency.samplesMs.length} PINGs (the stall is over when these are small)`] : []),
      ],
      remediations: [REMEDIATIONS['replace-blocking-commands'](t, { commands: commands.slice(0, 6), clients }), REMEDIATIONS['watch-slow-commands'](t)],
      details: { commands: commands.slice(0, 6).join(','), maxMs: Math.round(maxMs), entries: recent.length, clock: log.clock },
    };
  },
});

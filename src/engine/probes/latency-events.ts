/**
 * LATENCY LATEST and LATENCY HISTORY <event> (Redis ≥ 2.8.13, latency.c), read
 * into plain numbers. LATENCY LATEST answers one row per event the latency
 * monitor recorded (only when `latency-monitor-threshold` > 0, in ms):
 *   [event-name, unix-time-of-latest, latest-ms, all-time-max-ms]
 * (Redis 7.4 and later may add fields after these; they are ignored). The
 * events (latency.c callers): `fork`, `rdb-unlink-temp-file`, `aof-fsync-always`,
 * `aof-write`, `aof-write-pending-fsync`, `aof-write-active-child`,
 * `aof-write-alone`, `aof-fstat`, `aof-rename`, `aof-rewrite-diff-write`,
 * `active-defrag-cycle`, `expire-cycle`, `eviction-cycle`, `eviction-del`,
 * `command` (a slow command), `fast-command` (an O(1) command that was slow:
 * the host, not the command), `while-blocked-cron`, `module-acquire-GIL`.
 * LATENCY HISTORY <event> answers up to 160 [unix-time, ms] pairs.
 *
 * Everything is hostile: event names must be short plain tokens or are shown
 * as `<unreadable event>`; numbers are bounded digit strings; at most
 * MAX_EVENTS rows and MAX_HISTORY pairs are kept.
 */
import type { LatencyEvent, RespReply } from '../model/types.js';
import { showInvisible } from '../shared/text.js';
import type { RespNode } from './resp-parser.js';

const MAX_EVENTS = 24;
const MAX_HISTORY = 32;
const NAME_MAX = 40;

function token(node: RespNode | undefined): string {
  const t = node?.kind === 'string' || node?.kind === 'status' ? node.text.slice(0, NAME_MAX + 1) : '';
  return t.length > 0 && t.length <= NAME_MAX && /^[A-Za-z][A-Za-z0-9_-]*$/.test(t) ? t : '<unreadable event>';
}

function integer(node: RespNode | undefined): number | undefined {
  if (node?.kind !== 'integer') return undefined;
  const t = node.text.slice(0, 20);
  return /^[0-9]{1,15}$/.test(t) ? Number(t) : undefined;
}

/** The rows of a LATENCY LATEST reply; anything else gives none. */
export function parseLatencyLatest(reply: RespNode | undefined): LatencyEvent[] {
  if (reply?.kind !== 'array' || !reply.items) return [];
  const out: LatencyEvent[] = [];
  for (const row of reply.items.slice(0, MAX_EVENTS)) {
    const [name, at, latest, max] = row.items ?? [];
    const a = integer(at);
    const l = integer(latest);
    const m = integer(max);
    if (a === undefined || l === undefined || m === undefined) continue;
    out.push({ event: token(name), at: a, latestMs: l, maxMs: Math.max(m, l) });
  }
  return out;
}

/** The pairs of a LATENCY HISTORY reply, oldest first, the newest MAX_HISTORY kept. */
export function parseLatencyHistory(reply: RespNode | undefined): { at: number; ms: number }[] {
  if (reply?.kind !== 'array' || !reply.items) return [];
  const out: { at: number; ms: number }[] = [];
  for (const row of reply.items.slice(-MAX_HISTORY)) {
    const [at, ms] = row.items ?? [];
    const a = integer(at);
    const m = integer(ms);
    if (a !== undefined && m !== undefined) out.push({ at: a, ms: m });
  }
  return out;
}

/** The event whose history is worth one more command: the highest all-time max. */
export function worstEvent(events: readonly LatencyEvent[]): LatencyEvent | undefined {
  return events.filter((e) => e.event !== '<unreadable event>').reduce<LatencyEvent | undefined>((a, b) => (!a || b.maxMs > a.maxMs ? b : a), undefined);
}

/** An error reply in wire form, capped and escaped: `-ERR unknown command 'LATENCY'…`. */
export function errorWire(reply: RespReply | undefined): string | undefined {
  if (reply?.kind !== 'error') return undefined;
  const t = reply.text.slice(0, 161);
  return showInvisible(`-${t.length > 160 ? `${t.slice(0, 159)}…` : t}`.replace(/[\r\n]/g, ' '));
}

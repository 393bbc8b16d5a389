/**
 * On the handshake's still-open connection (resp.ts keepOpen): SLOWLOG GET 32
 * and PINGs timed one by one — what a client's request meets, which a single
 * PING does not show.
 *
 * The first write also carries what the other slow-path causes read (issue
 * #18), so the healthy path still adds one round trip: LATENCY LATEST, CLIENT
 * LIST, CONFIG GET client-output-buffer-limit / latency-monitor-threshold /
 * maxclients and INFO stats (total_connections_received, latest_fork_usec,
 * client_output_buffer_limit_disconnections). The sample's last PING carries
 * INFO stats again (the connections opened while the sample ran) and, when
 * LATENCY LATEST named an event, LATENCY HISTORY of the worst one: no round
 * trip of their own. A reply's time is taken when it arrives, so the PING
 * replied before them is timed as the others.
 *
 * The choice: PINGs go one at a time (a client waits for each reply before the
 * next request, so each round trip is what an application's request meets,
 * queueing behind a slow command included); pipelined PINGs would be answered
 * in one burst and measure the burst. SLOWLOG GET rides in the first write,
 * with a warm-up PING that is not counted (its time includes SLOWLOG's reply).
 * SAMPLE_PINGS round trips on loopback cost about a millisecond or two; the
 * whole sample is bounded by min(step budget, SAMPLE_MAX_MS), and a PING that
 * does not come back ends it (`stopped`), the connection then closed.
 */
import type { ClientListObservation, ConnectionsObservation, InfoObservation, LatencyEventsObservation, LatencySample, SlowlogObservation } from '../model/types.js';
import type { PlannedCommand, RespConnection } from './resp-connection.js';
import type { RespNode } from './resp-parser.js';
import { now, since } from '../shared/clock.js';
import { parseSlowlog, slowlogError, SLOWLOG_ENTRIES } from './slowlog.js';
import { errorWire, parseLatencyHistory, parseLatencyLatest, worstEvent } from './latency-events.js';
import { parseClientList } from './client-list.js';
import { parseInfo } from './info.js';

export const SAMPLE_PINGS = 20;
export const SAMPLE_MAX_MS = 1500;

export interface SlowSampleOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Ask SLOWLOG GET too (not on a Sentinel, which has no SLOWLOG). */
  slowlog: boolean;
  /** INFO server_time_usec, when INFO had it: the clock SLOWLOG timestamps are compared with. */
  serverTimeUsec?: number;
  /** Ask CLIENT LIST (not when INFO counts more clients than the list is read for: a reply of megabytes). */
  clientList?: boolean;
}

export interface SlowSampleResult {
  latency?: LatencySample;
  slowlog?: SlowlogObservation;
  latencyEvents?: LatencyEventsObservation;
  clients?: ClientListObservation;
  /** CONFIG GET values the server showed (client-output-buffer-limit, latency-monitor-threshold, maxclients). */
  config?: Record<string, string>;
  /** INFO stats, the later read when both came. */
  stats?: InfoObservation['sections'];
  connections?: ConnectionsObservation;
}

/** Asked with SLOWLOG on a server that is not a Sentinel. */
export const CONFIG_READS = ['client-output-buffer-limit', 'latency-monitor-threshold', 'maxclients'] as const;

const STATS = { label: 'INFO stats', args: ['INFO', 'stats'] };

/** CONFIG GET <name>'s reply [name, value] (RESP2) or {name: value} (RESP3): the value, capped. */
function configValue(name: string, node: RespNode | undefined): string | undefined {
  const items = node?.items;
  if (!items || items.length < 2 || items[0]!.text.toLowerCase() !== name) return undefined;
  const v = items[1]!.text;
  return v.length > 400 ? undefined : v;
}

function statsOf(node: RespNode | undefined): InfoObservation['sections'] | undefined {
  return node?.kind === 'string' ? parseInfo(node.text.slice(0, 64 * 1024)).sections : undefined;
}

function received(stats: InfoObservation['sections'] | undefined): number | undefined {
  const t = stats?.['stats']?.['total_connections_received'];
  return t !== undefined && /^[0-9]{1,15}$/.test(t) ? Number(t) : undefined;
}

/** Nearest-rank percentile of sorted values: with 20 samples p99 is the slowest, said as it is. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarize(samplesMs: number[], stopped?: LatencySample['stopped']): LatencySample | undefined {
  if (samplesMs.length === 0) return undefined;
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const maxMs = sorted[sorted.length - 1]!;
  const sample: LatencySample = { samplesMs, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs, slowest: samplesMs.indexOf(maxMs) };
  if (stopped) sample.stopped = stopped;
  return sample;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export async function sampleSlowness(conn: RespConnection, options: SlowSampleOptions): Promise<SlowSampleResult> {
  const started = now();
  const limit = Math.min(options.timeoutMs, SAMPLE_MAX_MS);
  const left = () => Math.max(1, limit - since(started));
  const result: SlowSampleResult = {};
  const extended: PlannedCommand[] = options.slowlog
    ? [
        { label: `SLOWLOG GET ${SLOWLOG_ENTRIES}`, args: ['SLOWLOG', 'GET', String(SLOWLOG_ENTRIES)] },
        { label: 'LATENCY LATEST', args: ['LATENCY', 'LATEST'] },
        ...(options.clientList !== false ? [{ label: 'CLIENT LIST', args: ['CLIENT', 'LIST'] }] : []),
        ...CONFIG_READS.map((name) => ({ label: `CONFIG GET ${name}`, args: ['CONFIG', 'GET', name] })),
        STATS,
      ]
    : [];
  const warm = await conn.exchange([...extended, { label: 'PING', args: ['PING'] }], left(), options.signal);
  const at = (label: string) => warm.replies.find((r) => r.command === label)?.reply;
  const statsAt = now();
  const server = options.serverTimeUsec !== undefined && options.serverTimeUsec > 0;
  const clock = { nowSec: server ? Math.floor(options.serverTimeUsec! / 1e6) : Math.floor(Date.now() / 1000), clock: server ? ('server' as const) : ('local' as const) };
  let before: number | undefined;
  let worst: string | undefined;
  if (options.slowlog) {
    const reply = at(`SLOWLOG GET ${SLOWLOG_ENTRIES}`);
    const slowlog: SlowlogObservation = { entries: parseSlowlog(reply), ...clock };
    const error = slowlogError(reply);
    if (error !== undefined) slowlog.error = error;
    if (reply) result.slowlog = slowlog;

    const latest = at('LATENCY LATEST');
    if (latest) {
      const events: LatencyEventsObservation = { events: parseLatencyLatest(latest), ...clock };
      const e = errorWire(latest);
      if (e !== undefined) events.error = e;
      result.latencyEvents = events;
      worst = worstEvent(events.events)?.event;
    }
    const list = at('CLIENT LIST');
    if (list?.kind === 'string') result.clients = parseClientList(list.text);
    else if (list) {
      const e = errorWire(list);
      if (e !== undefined) result.clients = { ...parseClientList(''), error: e };
    }
    const config: Record<string, string> = {};
    for (const name of CONFIG_READS) {
      const v = configValue(name, at(`CONFIG GET ${name}`));
      if (v !== undefined) config[name] = v;
    }
    if (Object.keys(config).length) result.config = config;
    const stats = statsOf(at(STATS.label));
    if (stats) result.stats = stats;
    before = received(stats);
  }
  const samples: number[] = [];
  let stopped: LatencySample['stopped'];
  if (warm.timedOut || warm.closed || warm.nonResp) stopped = warm.timedOut ? 'timeout' : 'closed';
  while (!stopped && samples.length < SAMPLE_PINGS && since(started) < limit) {
    // The last PING carries the second INFO stats and the worst event's history.
    const last = options.slowlog && samples.length === SAMPLE_PINGS - 1;
    const tail: PlannedCommand[] = last ? [STATS, ...(worst ? [{ label: `LATENCY HISTORY ${worst}`, args: ['LATENCY', 'HISTORY', worst] }] : [])] : [];
    const ping = await conn.exchange([{ label: 'PING', args: ['PING'] }, ...tail], left(), options.signal);
    const reply = ping.replies[0];
    if (!reply?.reply) stopped = ping.timedOut ? 'timeout' : 'closed';
    else if (reply.reply.kind !== 'status') stopped = 'error';
    else samples.push(round(reply.durationMs));
    if (last) {
      const stats = statsOf(ping.replies[1]?.reply);
      if (stats) result.stats = stats;
      const after = received(stats);
      if (before !== undefined) result.connections = after !== undefined && after >= before ? { before, after, windowMs: Math.max(1, round(since(statsAt))) } : { before };
      const history = ping.replies[2]?.reply;
      if (worst && result.latencyEvents && history) result.latencyEvents.history = { event: worst, samples: parseLatencyHistory(history) };
    }
    if (!stopped && (ping.timedOut || ping.closed || ping.nonResp)) stopped = ping.timedOut ? 'timeout' : 'closed';
  }
  if (before !== undefined && !result.connections) result.connections = { before };
  const latency = summarize(samples, stopped);
  if (latency) result.latency = latency;
  return result;
}

/**
 * After the handshake, on its still-open connection (the target only, not a
 * node followed one hop away): the latency sample and SLOWLOG GET
 * (probes/slow-sample.ts), reported as the `latency-sample` and `slowlog`
 * checks; LATENCY LATEST and CLIENT LIST from the same write as the
 * `latency-monitor` and `client-list` checks, the connections opened during
 * the sample as `connection-rate`. The check lines quote what was measured;
 * whether it is a cause is the rules' business (slow-commands,
 * latency-spikes, output-buffer-disconnects, connection-churn).
 */
import type { ClientListObservation, ConnectionsObservation, LatencyEventsObservation, LatencySample, SlowlogObservation } from '../model/types.js';
import type { RespConnection } from '../probes/resp-connection.js';
import { sampleSlowness } from '../probes/slow-sample.js';
import { MAX_LINES } from '../probes/client-list.js';
import { infoField } from '../probes/info.js';
import { now, since } from '../shared/clock.js';
import type { CheckOutcome } from './steps.js';
import type { ProbeContext } from './network-probes.js';

const f = (ms: number) => `${ms < 10 ? ms.toFixed(2) : Math.round(ms)} ms`;

export function latencyCheck(latency: LatencySample | undefined, timeoutMs: number): CheckOutcome {
  if (!latency) return { status: 'warn', detail: `no PING answered on the open connection within ${Math.round(timeoutMs)} ms` };
  const n = latency.samplesMs.length;
  const stopped = latency.stopped ? `; stopped after ${n}: ${latency.stopped === 'timeout' ? 'a PING went unanswered' : latency.stopped === 'error' ? 'a PING got an error' : 'the connection closed'}` : '';
  return {
    status: latency.stopped ? 'warn' : 'pass',
    detail: `${n} PINGs one at a time: p50 ${f(latency.p50Ms)}, p99 ${f(latency.p99Ms)}, max ${f(latency.maxMs)} (PING #${latency.slowest + 1})${stopped}`,
  };
}

export function slowlogCheck(slowlog: SlowlogObservation): CheckOutcome {
  if (slowlog.error !== undefined) return { status: 'skip', detail: `SLOWLOG GET → ${slowlog.error}` };
  const n = slowlog.entries.length;
  if (n === 0) return { status: 'pass', detail: 'SLOWLOG is empty' };
  const slowest = slowlog.entries.reduce((a, b) => (b.durationUs > a.durationUs ? b : a));
  return { status: 'pass', detail: `${n} entries; the slowest ${slowest.command} ${f(slowest.durationUs / 1000)}` };
}

export function latencyMonitorCheck(events: LatencyEventsObservation, thresholdMs: string | undefined): CheckOutcome {
  if (events.error !== undefined) return { status: 'skip', detail: `LATENCY LATEST → ${events.error}` };
  const off = thresholdMs === '0' ? ' (latency-monitor-threshold 0: the monitor is off, nothing is recorded)' : thresholdMs !== undefined ? ` (latency-monitor-threshold ${thresholdMs} ms)` : '';
  if (events.events.length === 0) return { status: 'pass', detail: `no latency event recorded${off}` };
  const shown = [...events.events].sort((a, b) => b.maxMs - a.maxMs).slice(0, 4).map((e) => `${e.event} latest ${e.latestMs} ms, max ${e.maxMs} ms`);
  return { status: 'pass', detail: `${events.events.length} event${events.events.length === 1 ? '' : 's'}: ${shown.join('; ')}${off}` };
}

export function clientListCheck(clients: ClientListObservation): CheckOutcome {
  if (clients.error !== undefined) return { status: 'skip', detail: `CLIENT LIST → ${clients.error}` };
  const top = clients.sources[0];
  const buffered = clients.buffered[0];
  return {
    status: 'pass',
    detail: [
      `${clients.total}${clients.truncated ? '+' : ''} other client${clients.total === 1 ? '' : 's'}`,
      ...(clients.idle ? [`${clients.idle} idle ${clients.idleSec} s or more`] : []),
      ...(clients.pubsubClients ? [`${clients.pubsubClients} pub/sub`] : []),
      ...(clients.replicaClients ? [`${clients.replicaClients} replica${clients.replicaClients === 1 ? '' : 's'}`] : []),
      ...(top && top.count > 1 ? [`most from ${top.source} (${top.count})`] : []),
      ...(buffered ? [`largest output buffer ${buffered.omemBytes} bytes (${buffered.kind} client ${buffered.addr})`] : []),
    ].join(', '),
  };
}

export function connectionRateCheck(c: ConnectionsObservation): CheckOutcome {
  if (c.after === undefined || c.windowMs === undefined) return { status: 'skip', detail: `total_connections_received ${c.before}; the sample ended before the second read` };
  const n = c.after - c.before;
  return { status: 'pass', detail: `${n} connection${n === 1 ? '' : 's'} opened by other clients in ${Math.round(c.windowMs)} ms (total_connections_received ${c.before} → ${c.after})` };
}

export async function runSlowPhase(ctx: ProbeContext, conn: RespConnection): Promise<void> {
  const { obs } = ctx;
  const sentinel = infoField(obs.info?.sections, 'redis_mode') === 'sentinel';
  const usec = Number(infoField(obs.info?.sections, 'server_time_usec') ?? '');
  // More clients than the list is read for: not asked (megabytes, and O(clients) on the server's thread).
  const connected = Number(infoField(obs.info?.sections, 'connected_clients') ?? '');
  const clientList = !(Number.isFinite(connected) && connected > MAX_LINES);
  const timeoutMs = ctx.budget();
  const started = now();
  const result = await sampleSlowness(conn, {
    timeoutMs,
    signal: ctx.signal,
    slowlog: !sentinel,
    clientList,
    ...(Number.isFinite(usec) && usec > 0 ? { serverTimeUsec: usec } : {}),
  });
  if (result.latency) obs.latency = result.latency;
  ctx.steps.note('latency-sample', latencyCheck(result.latency, Math.min(timeoutMs, since(started))), since(started));
  if (result.slowlog) {
    obs.slowlog = result.slowlog;
    ctx.steps.note('slowlog', slowlogCheck(result.slowlog), 0);
  }
  if (result.config) obs.config = { ...obs.config, ...result.config };
  if (result.stats && obs.info) obs.info.sections['stats'] = { ...obs.info.sections['stats'], ...result.stats['stats'] };
  if (result.latencyEvents) {
    obs.latencyEvents = result.latencyEvents;
    ctx.steps.note('latency-monitor', latencyMonitorCheck(result.latencyEvents, result.config?.['latency-monitor-threshold']), 0);
  }
  if (result.clients) {
    obs.clients = result.clients;
    ctx.steps.note('client-list', clientListCheck(result.clients), 0);
  } else if (!sentinel && !clientList) {
    ctx.steps.note('client-list', { status: 'skip', detail: `connected_clients ${connected}: CLIENT LIST not asked (more than ${MAX_LINES} clients)` }, 0);
  }
  if (result.connections) {
    // Both reads come after the handshake's connect: the difference is other clients' connections.
    obs.connections = result.connections;
    ctx.steps.note('connection-rate', connectionRateCheck(result.connections), 0);
  }
}

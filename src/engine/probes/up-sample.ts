/**
 * The monitor's latency sample and server identity, on the probe's own
 * connection after its PING answered (up.ts `sample`): a few PINGs timed one
 * at a time (as probes/slow-sample.ts does for a diagnosis: each round trip is
 * what a client's request meets, queueing behind a slow command included),
 * then, when asked, `INFO server` for `run_id` and `uptime_in_seconds` — sent
 * in the same write as the last PING (no round trip of its own: the PING's
 * reply comes first and is timed alone), about 1 KB, parsed within a cap.
 *
 * A PING that does not come back within what is left of the probe's bound
 * ends the sample and counts with the time it waited (a lower bound: the
 * target is at least that slow), marked `stopped: 'timeout'`. The probe is
 * still up: its handshake PING answered.
 */
import type { LatencySample } from '../model/types.js';
import type { RespConnection } from './resp-connection.js';
import type { RespNode } from './resp-parser.js';
import { now, since } from '../shared/clock.js';
import { summarize } from './slow-sample.js';

export interface UpSampleOptions {
  /** PINGs timed one by one (0: none). */
  pings: number;
  /** Read INFO server (run_id, uptime_in_seconds) after the PINGs. */
  serverInfo?: boolean;
  /** What is left of the probe's bound. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ServerIdentity {
  /** INFO server run_id: 40 hex characters, new at every start of the process. */
  runId?: string;
  uptimeSeconds?: number;
}

type RespReply = RespNode;
const PING = { label: 'PING', args: ['PING'] };
const INFO_SERVER = { label: 'INFO server', args: ['INFO', 'server'] };

export interface UpSample {
  latency?: LatencySample;
  server?: ServerIdentity;
}

/** Only the start of INFO server is read for the two fields: they are among its first lines. */
const INFO_SCAN_MAX = 16 * 1024;
const LINE_MAX = 200;
const round = (ms: number) => Math.round(ms * 100) / 100;

function isRunId(v: string): boolean {
  if (v.length !== 40) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** run_id and uptime_in_seconds from INFO server text (outside text: capped, no regex over it). */
export function parseServerIdentity(text: string): ServerIdentity {
  const out: ServerIdentity = {};
  const head = text.slice(0, INFO_SCAN_MAX);
  let start = 0;
  while (start < head.length) {
    let end = head.indexOf('\n', start);
    if (end < 0) end = head.length;
    const line = head.slice(start, Math.min(end, start + LINE_MAX)).trim();
    start = end + 1;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (key === 'run_id' && isRunId(value)) out.runId = value;
    else if (key === 'uptime_in_seconds' && value.length > 0 && value.length <= 12 && /^\d+$/.test(value)) out.uptimeSeconds = Number(value);
    if (out.runId !== undefined && out.uptimeSeconds !== undefined) break;
  }
  return out;
}

export async function sampleUp(conn: RespConnection, o: UpSampleOptions): Promise<UpSample> {
  const started = now();
  const left = () => o.timeoutMs - since(started);
  const samples: number[] = [];
  let stopped: LatencySample['stopped'];
  let infoReply: RespReply | undefined;
  let infoAsked = false;
  while (!stopped && samples.length < o.pings && left() >= 1) {
    const sentAt = now();
    // The last PING carries INFO server along (bench/README.md "Monitor": one round trip less per tick).
    const withInfo = o.serverInfo === true && samples.length === o.pings - 1;
    const ping = await conn.exchange(withInfo ? [PING, INFO_SERVER] : [PING], left(), o.signal);
    if (withInfo) {
      infoAsked = true;
      infoReply = ping.replies[1]?.reply;
    }
    const reply = ping.replies[0]?.reply;
    if (ping.timedOut && !reply) {
      stopped = 'timeout';
      samples.push(round(since(sentAt)));
    } else if (!reply || ping.nonResp) stopped = 'closed';
    else if (reply.kind !== 'status') stopped = 'error';
    else samples.push(round(ping.replies[0]!.durationMs));
  }
  const out: UpSample = {};
  const latency = summarize(samples, stopped);
  if (latency) out.latency = latency;
  if (o.serverInfo && !infoAsked && !stopped && conn.open && left() >= 1) {
    const info = await conn.exchange([INFO_SERVER], left(), o.signal);
    infoReply = info.replies[0]?.reply;
  }
  // An ACL that denies INFO (-NOPERM), a managed service that renamed it: no identity, nothing else changes.
  if (infoReply && !stopped && infoReply.kind !== 'error') {
    const id = parseServerIdentity(infoReply.text);
    if (id.runId !== undefined || id.uptimeSeconds !== undefined) out.server = id;
  }
  return out;
}

/**
 * Reads Docker's state from an Engine API unix socket (issue #19): list (all containers,
 * stopped ones too: they keep their HostConfig.PortBindings), inspect, and the tail of a log.
 * Read-only GETs only: nothing here starts, stops, execs or pulls.
 *
 * Transport: node:http on the unix socket, one GET per call. docker-modem (what dockerode is
 * built on) was the first choice, but it requires ssh2 synchronously when it loads, for a
 * transport we never use (it verifies no host key): 185–310 ms of blocked loop measured in
 * `bench/docker.mjs` (the CLI with `--docker-host` 0.4–0.6 s slower than without), for five
 * GETs whose bodies we stream and cap ourselves anyway. Every call reads the response stream
 * with a byte cap, an abort signal and the bound of the whole phase: an engine that hangs,
 * sends garbage or a gigabyte costs at most the bound and MAX_*_BYTES.
 *
 * The engine's answers are outside text like a host's: parsed by docker/inspect.ts (JSON.parse
 * is linear; each text capped), log lines redacted before they are kept.
 */
import { request, type IncomingMessage } from 'node:http';
import type { DockerContainer } from '../remote/types.js';
import { capLine } from '../shared/lines.js';
import { redactCommandLine } from '../remote/parsers/ps.js';
import { looksLikeRedis } from '../remote/parsers/docker.js';
import { inspectFacts, portMap, str } from './inspect.js';
import { demuxLogTail, redactLogLine } from './log-tail.js';
import { now } from '../shared/clock.js';
import { EVENT_ACTIONS, MAX_EVENT_BYTES, MAX_EVENT_CONTAINERS, MAX_EVENTS, parseEventLines, type DockerEvents, type EventsWindow } from './events.js';

/** A container list of 200 containers with long labels stays well under this. */
export const MAX_LIST_BYTES = 4 * 1024 * 1024;
export const MAX_INSPECT_BYTES = 1024 * 1024;
/** The log tail: at most this many lines, read from at most this many bytes (a 50 MB log costs no more). */
export const LOG_TAIL_LINES = 30;
export const MAX_LOG_BYTES = 64 * 1024;
/** Containers inspected at most: the named one, those that look like Redis, those with the target port. */
export const MAX_INSPECTED = 20;
/** Logs read at most: Redis containers that are not running well. */
export const MAX_LOGS = 3;
const MAX_CONTAINERS = 200;

export class DockerApiError extends Error {
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'timeout' | 'http' | 'garbage' | 'too-large',
  ) {
    super(message);
    this.name = 'DockerApiError';
  }
}

export interface GetOptions {
  /** Keep what came when the byte cap (or `timeoutMs`) is reached, instead of failing: a log tail, the events. */
  partial?: boolean;
  /** A bound of this call's own (partial answers resolve with what came; others fail), inside the phase's. */
  timeoutMs?: number;
}

export interface EngineAnswer {
  status: number;
  body: Buffer;
  /** Cut: at the byte cap, or at the call's own time bound (only with `partial`). */
  cut?: 'bytes' | 'time';
}

export interface EngineClient {
  get(path: string, query: Record<string, string | number | boolean>, maxBytes: number, options?: GetOptions): Promise<EngineAnswer>;
}

/** A client on the unix socket at `socketPath`, every request bounded by `signal` and the socket timeout. */
export function engineClient(socketPath: string, signal: AbortSignal, timeoutMs: number): EngineClient {
  return {
    get(path, query, maxBytes, options = {}) {
      // A log tail keeps what it has; any other answer this large is not one an engine gives.
      const partial = options.partial ?? path.endsWith('/logs');
      const own = new AbortController();
      const onPhaseAbort = () => own.abort();
      signal.addEventListener('abort', onPhaseAbort, { once: true });
      let timedOut = false;
      const timer = options.timeoutMs !== undefined ? setTimeout(() => ((timedOut = true), own.abort()), Math.max(1, options.timeoutMs)) : undefined;
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onPhaseAbort);
      };
      return new Promise<EngineAnswer>((resolve, reject) => {
        if (signal.aborted) return reject(new DockerApiError('the Docker phase ran out of time', 'timeout'));
        dial(socketPath, path, query, timeoutMs, own.signal, (err, res) => {
          if (err || !res) {
            const code = (err as NodeJS.ErrnoException | null)?.code ?? '';
            if (timedOut && !signal.aborted) return reject(new DockerApiError(`no answer to ${path} within ${options.timeoutMs} ms`, 'timeout'));
            const aborted = signal.aborted || err?.name === 'AbortError';
            return reject(new DockerApiError(aborted ? 'the Docker phase ran out of time' : `cannot reach the Docker Engine socket ${socketPath}${code ? ` (${code})` : ''}`, aborted ? 'timeout' : 'unreachable'));
          }
          const stream = res as IncomingMessage;
          const chunks: Buffer[] = [];
          let size = 0;
          let done = false;
          const finish = (e?: DockerApiError, cut?: EngineAnswer['cut']) => {
            if (done) return;
            done = true;
            own.signal.removeEventListener('abort', onAbort);
            cleanup();
            if (e || cut) stream.destroy();
            if (e) reject(e);
            else resolve({ status: stream.statusCode ?? 0, body: Buffer.concat(chunks), ...(cut ? { cut } : {}) });
          };
          const onAbort = () => {
            // The call's own bound on a partial read: what came is the answer. The phase's bound fails it.
            if (timedOut && partial && !signal.aborted) return finish(undefined, 'time');
            finish(new DockerApiError(timedOut && !signal.aborted ? `no complete answer to ${path} within ${options.timeoutMs} ms` : 'the Docker phase ran out of time', 'timeout'));
          };
          own.signal.addEventListener('abort', onAbort, { once: true });
          if (own.signal.aborted) onAbort();
          stream.on('data', (c: Buffer) => {
            if (done) return;
            size += c.length;
            if (size > maxBytes) {
              if (partial) {
                chunks.push(c.subarray(0, Math.max(0, c.length - (size - maxBytes))));
                return finish(undefined, 'bytes');
              }
              return finish(new DockerApiError(`the Docker Engine sent more than ${maxBytes} bytes for ${path}`, 'too-large'));
            }
            chunks.push(c);
          });
          stream.on('end', () => finish());
          stream.on('error', () => (timedOut && partial && !signal.aborted ? finish(undefined, 'time') : finish(new DockerApiError(signal.aborted ? 'the Docker phase ran out of time' : `the Docker Engine closed the answer to ${path}`, signal.aborted ? 'timeout' : 'unreachable'))));
          stream.on('close', () => finish());
        });
      }).finally(cleanup);
    },
  };
}

/** `GET path?query` on the socket: the response (any status) or the error; the socket's idle bound is `timeoutMs`. */
function dial(socketPath: string, path: string, query: Record<string, string | number | boolean>, timeoutMs: number, signal: AbortSignal, done: (err: Error | null, res?: IncomingMessage) => void): void {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  let settled = false;
  const once = (err: Error | null, res?: IncomingMessage) => {
    if (settled) return;
    settled = true;
    done(err, res);
  };
  const req = request({ socketPath, path: qs ? `${path}?${qs}` : path, method: 'GET', headers: { host: 'docker' }, signal, timeout: Math.max(1, Math.round(timeoutMs)) }, (res) => once(null, res));
  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
  req.on('error', (e) => once(e));
  req.end();
}

function json(r: { status: number; body: Buffer }, what: string): unknown {
  if (r.status !== 200) {
    // The engine's error message is outside text: capped, never a pattern input beyond that.
    const text = capLine(r.body.toString('utf8', 0, 2048).replace(/\s+/g, ' ')).slice(0, 200);
    throw new DockerApiError(`${what}: HTTP ${r.status}${text ? ` ${JSON.stringify(text)}` : ''}`, 'http');
  }
  try {
    return JSON.parse(r.body.toString('utf8')) as unknown;
  } catch {
    throw new DockerApiError(`${what}: the answer is not JSON (is this a Docker Engine socket?)`, 'garbage');
  }
}

/** One entry of GET /containers/json → a container as `docker ps` would describe it. */
export function listEntry(entry: unknown): DockerContainer | undefined {
  if (entry === null || typeof entry !== 'object') return undefined;
  const o = entry as Record<string, unknown>;
  const id = str(o.Id);
  if (!/^[0-9a-f]{12,64}$/.test(id)) return undefined;
  const names = Array.isArray(o.Names) ? o.Names.map(str).filter(Boolean) : [];
  const image = capLine(str(o.Image)).slice(0, 256);
  const command = redactCommandLine(capLine(str(o.Command)));
  const state = str(o.State);
  const ports: DockerContainer['ports'] = [];
  for (const p of Array.isArray(o.Ports) ? o.Ports.slice(0, 64) : []) {
    const q = (p ?? {}) as Record<string, unknown>;
    const cp = q.PrivatePort;
    if (typeof cp !== 'number' || !Number.isInteger(cp)) continue;
    const proto = /^(tcp|udp|sctp)$/.test(str(q.Type)) ? str(q.Type) : 'tcp';
    const hp = q.PublicPort;
    ports.push(typeof hp === 'number' && Number.isInteger(hp) && hp > 0 ? { containerPort: cp, protocol: proto, hostPort: hp, hostIp: capLine(str(q.IP)).slice(0, 64) } : { containerPort: cp, protocol: proto });
  }
  const hostConfig = (o.HostConfig ?? {}) as Record<string, unknown>;
  const c: DockerContainer = {
    id,
    name: capLine((names[0] ?? '').replace(/^\//, '')).slice(0, 256),
    image,
    command,
    status: capLine(str(o.Status)).slice(0, 200),
    running: state === 'running',
    redis: looksLikeRedis(image, command),
    ports,
    portsText: ports.map((p) => (p.hostPort !== undefined ? `${p.hostIp ? `${p.hostIp}:` : ''}${p.hostPort}->${p.containerPort}/${p.protocol}` : `${p.containerPort}/${p.protocol}`)).join(', '),
  };
  if (/^[a-z]{1,16}$/.test(state)) c.state = state;
  const mode = str(hostConfig.NetworkMode);
  if (mode) c.networkMode = capLine(mode).slice(0, 128);
  return c;
}

export interface EngineRead {
  containers: DockerContainer[];
  /** The target's container events (when a window was asked for and a container found). */
  events?: DockerEvents;
  /** Engine version, for the evidence line. */
  version?: string;
  /** Calls made, for the check detail. */
  calls: number;
}

export interface EngineReadOptions {
  /** The target's host port: containers publishing it are inspected first. */
  port: number;
  /** The target's docker.container: inspected first. */
  container?: string;
  /**
   * Read the target's container events in this window (GET /events), within `timeoutMs` and
   * ending EVENTS_MARGIN_MS before `deadline` (now() of the phase's end): the events never cost
   * the list and inspects already read.
   */
  events?: EventsWindow & { timeoutMs: number; deadline: number };
}

const EVENTS_MARGIN_MS = 250;

function readEventsInTime(client: EngineClient, ids: string[], w: EventsWindow & { timeoutMs: number; deadline: number }): Promise<DockerEvents> {
  const left = w.deadline - now() - EVENTS_MARGIN_MS;
  if (left < 100) {
    return Promise.resolve({ since: new Date(w.sinceMs).toISOString(), until: new Date(w.untilMs).toISOString(), sinceFrom: w.sinceFrom, ids, ok: false, error: 'not read: the Docker phase had no time left for them', events: [], count: 0 });
  }
  return readEvents(client, ids, { ...w, timeoutMs: Math.min(w.timeoutMs, left) });
}

/**
 * GET /events with since/until (the engine replays what it kept and returns), filtered to the
 * containers and the actions of docker/events.ts; streamed with a byte cap and a time bound of
 * its own. A failed read is said (ok false), never thrown: the rest of the Docker read stands.
 */
export async function readEvents(client: EngineClient, ids: string[], w: EventsWindow & { timeoutMs: number }): Promise<DockerEvents> {
  const base = { since: new Date(w.sinceMs).toISOString(), until: new Date(w.untilMs).toISOString(), sinceFrom: w.sinceFrom, ids };
  const filters = JSON.stringify({ type: ['container'], container: ids, event: [...EVENT_ACTIONS] });
  try {
    const r = await client.get('/events', { since: Math.floor(w.sinceMs / 1000), until: Math.floor(w.untilMs / 1000), filters }, MAX_EVENT_BYTES, { partial: true, timeoutMs: w.timeoutMs });
    if (r.status !== 200) {
      const text = redactLogLine(capLine(r.body.toString('utf8', 0, 2048).replace(/\s+/g, ' ')).slice(0, 200));
      return { ...base, ok: false, error: `GET /events: HTTP ${r.status}${text ? ` ${JSON.stringify(text)}` : ''}`, events: [], count: 0 };
    }
    const { events, count, cut } = parseEventLines(r.body.toString('utf8'), ids, w, r.cut === undefined);
    const truncated = r.cut ?? (cut || count > MAX_EVENTS ? 'events' : undefined);
    return { ...base, ok: true, events, count, ...(truncated ? { truncated } : {}) };
  } catch (err) {
    return { ...base, ok: false, error: err instanceof DockerApiError ? err.message : 'GET /events failed', events: [], count: 0 };
  }
}

function wanted(c: DockerContainer, o: EngineReadOptions): number {
  if (o.container !== undefined && (c.name === o.container.replace(/^\//, '') || c.id.startsWith(o.container))) return 0;
  if (c.ports.some((p) => p.hostPort === o.port)) return 1;
  if (c.redis) return 2;
  return 3;
}

/** Read-only: version, list (all), inspect of the containers that matter, logs of the Redis ones not running well. */
export async function readEngine(client: EngineClient, o: EngineReadOptions): Promise<EngineRead> {
  let calls = 0;
  const version = json(await client.get('/version', {}, 64 * 1024), 'GET /version');
  calls++;
  const list = json(await client.get('/containers/json', { all: 1 }, MAX_LIST_BYTES), 'GET /containers/json');
  calls++;
  if (!Array.isArray(list)) throw new DockerApiError('GET /containers/json: the answer is not a list', 'garbage');
  const containers = list.slice(0, MAX_CONTAINERS).map(listEntry).filter((c): c is DockerContainer => c !== undefined);
  // Stopped containers show no ports in the list: their bindings are in HostConfig, read by inspect.
  const order = containers.map((c, i) => ({ c, i, w: wanted(c, o) })).sort((a, b) => a.w - b.w || a.i - b.i);
  const inspected = order.filter((x) => x.w < 3 || !x.c.running).slice(0, MAX_INSPECTED);
  await Promise.all(
    inspected.map(async ({ c, i }) => {
      const r = await client.get(`/containers/${c.id}/json`, {}, MAX_INSPECT_BYTES);
      calls++;
      if (r.status === 404) return; // removed between list and inspect
      const { id: _id, name: _name, ...facts } = inspectFacts(json(r, `GET /containers/${c.id.slice(0, 12)}/json`));
      const merged: DockerContainer = { ...c, ...facts };
      merged.redis = looksLikeRedis(merged.image, merged.command) || c.redis;
      containers[i] = merged;
    }),
  );
  // The target's container first (named, or its binding names the port, stopped ones by HostConfig), then other Redis ones.
  const rank = (c: DockerContainer) => (o.container !== undefined && wanted(c, o) === 0 ? 0 : [...c.ports, ...(c.bindings ?? [])].some((p) => p.hostPort === o.port) ? 1 : 2);
  const troubled = containers
    .filter((c) => (c.redis || wanted(c, o) < 2) && (!c.running || c.state === 'restarting' || c.health === 'unhealthy' || c.oomKilled))
    .sort((a, b) => rank(a) - rank(b))
    .slice(0, MAX_LOGS);
  // Events of the target's container(s): the named one and those whose binding names the port, else the Redis ones.
  const bound = containers.filter((c) => rank(c) < 2);
  const eventIds = (bound.length ? bound : containers.filter((c) => c.redis)).map((c) => c.id).filter((id) => id.length === 64).slice(0, MAX_EVENT_CONTAINERS);
  const [, events] = await Promise.all([
    Promise.all(
      troubled.map(async (c) => {
        const r = await client.get(`/containers/${c.id}/logs`, { stdout: 1, stderr: 1, tail: LOG_TAIL_LINES, timestamps: 0 }, MAX_LOG_BYTES);
        calls++;
        if (r.status !== 200) return;
        c.logTail = demuxLogTail(r.body, LOG_TAIL_LINES);
      }),
    ),
    o.events && eventIds.length ? readEventsInTime(client, eventIds, o.events).finally(() => calls++) : Promise.resolve(undefined),
  ]);
  const v = (version ?? {}) as Record<string, unknown>;
  const ver = str(v.Version);
  return { containers, ...(/^[\w.+~-]{1,40}$/.test(ver) ? { version: ver } : {}), ...(events ? { events } : {}), calls };
}

export { portMap };

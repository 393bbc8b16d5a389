/**
 * The Redis protocol handshake: on an open connection, send in one write
 *   [AUTH [user] <password>]  [SELECT <db>]  PING  INFO server clients memory persistence replication keyspace
 * and record every reply verbatim. SELECT goes out when the target names a
 * database other than 0, because every client configured with that URL sends
 * it on connect: "-ERR DB index is out of range" (db >= `databases`) fails
 * them all, while PING alone would still get +PONG. One pipelined round trip keeps a healthy
 * diagnosis fast, and Redis answers pipelined commands in order, so each
 * reply maps to its command even when the first ones fail:
 *  - without AUTH on a password-protected server every command gets -NOAUTH;
 *  - PING gets -MISCONF when the last bgsave failed and stop-writes-on-bgsave-error
 *    is on (PING is refused like a write command), -LOADING while the dataset
 *    loads, -MASTERDOWN on a replica with a down link and replica-serve-stale-data no,
 *    -BUSY while a script runs; INFO still answers in the LOADING and MASTERDOWN cases.
 * Servers before 7.0 take one INFO section only ("-ERR syntax error"): then a
 * plain INFO follows.
 *
 * Greetings: on protected mode and on maxclients, Redis writes the error right
 * after accept, before reading any command, then closes (networking.c,
 * clientAcceptHandler / acceptCommonHandler):
 *   -DENIED Redis is running in protected mode because protected mode is enabled …
 *   -ERR max number of clients reached
 * Those two texts are recorded as `greeting`, not as the answer to AUTH or PING.
 *
 * Secrets: AUTH is recorded as `AUTH <redacted>`; every text received is
 * scrubbed of the password too, in case a proxy echoes it.
 *
 * The application's view (`clientProbe`, client-probe.ts): after the
 * diagnosis's own commands, the same write carries CONFIG GET timeout and
 * tcp-keepalive, CLIENT SETINFO and HELLO 3 / HELLO 2, recorded apart in
 * `resp.clientProbe`. Once every reply of the diagnosis's own is in, these
 * get a short grace (client-probe.ts graceMs); silence or a close while only
 * they are outstanding is theirs (`silent`, `closed`), never the session's
 * timeout or close.
 *
 * Other uses (the topology phase): `infoSections` asks for other INFO
 * sections, `extra` appends commands after INFO (a followed cluster node's
 * CLUSTER MYID), and `keepOpen` hands the still-open connection back
 * (`conn`) for one more round trip instead of closing it.
 */
import type { Duplex } from 'node:stream';
import { Redactor } from '../shared/redact.js';
import type { Credentials } from '../model/options.js';
import type { RespExchange, RespObservation, RespReply } from '../model/types.js';
import { bound, now, since } from '../shared/clock.js';
import { FirstBytes, looksLikeHttp, looksLikeTls, printableExcerpt } from './excerpt.js';
import { authCommand, encodeCommand, RespParser, RespProtocolError } from './resp-parser.js';
import { RespConnection, type PlannedCommand } from './resp-connection.js';
import { clientCommands, configValue, graceMs, IDLE_SETTINGS, type ClientProbeOptions } from './client-probe.js';
import { pacedData } from './paced.js';

export const INFO_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'replication', 'keyspace'] as const;

/** A socket with a sticky error seen before we attached (see tcp.ts). */
export interface SessionSocket {
  socket: Duplex & { destroyed: boolean };
  error?: NodeJS.ErrnoException;
}

export interface RespSessionOptions {
  timeoutMs: number;
  credentials?: Credentials;
  /** The target's database number; SELECT is sent only when it is set and not 0 (Redis's default). */
  db?: number;
  signal?: AbortSignal;
  /** INFO sections to ask for (default INFO_SECTIONS). */
  infoSections?: readonly string[];
  /** Commands sent after INFO in the same write; their replies are recorded as exchanges. */
  extra?: readonly PlannedCommand[];
  /** Hand the connection back open (`conn`) when the session ended cleanly; the caller closes it. */
  keepOpen?: boolean;
  /** Also send what the application's client sends on connect, and read the idle settings (client-probe.ts). */
  clientProbe?: ClientProbeOptions;
}

export interface RespSessionResult {
  resp: RespObservation;
  /** The INFO text when INFO answered with a bulk string. */
  infoText?: string;
  /** With `keepOpen`: the connection, every reply read, the server still there. */
  conn?: RespConnection;
}

const GREETING_RE = /^(DENIED |ERR max number of clients reached)/;
const OLD_INFO_RE = /^ERR (syntax error|wrong number of arguments)/i;

interface Pending {
  label: string;
  args: string[];
  role: 'auth' | 'select' | 'ping' | 'info' | 'info-fallback' | 'extra' | 'client';
  sentAt: number;
  exchange: RespExchange;
}

function plan(options: RespSessionOptions): { label: string; args: string[]; role: Pending['role'] }[] {
  const { credentials, db } = options;
  const out: { label: string; args: string[]; role: Pending['role'] }[] = [];
  const auth = authCommand(credentials);
  if (auth) out.push({ ...auth, role: 'auth' });
  if (db !== undefined && db !== 0) out.push({ label: `SELECT ${db}`, args: ['SELECT', String(db)], role: 'select' });
  out.push({ label: 'PING', args: ['PING'], role: 'ping' });
  const sections = options.infoSections ?? INFO_SECTIONS;
  out.push({ label: `INFO ${sections.join(' ')}`, args: ['INFO', ...sections], role: 'info' });
  for (const e of options.extra ?? []) out.push({ label: e.label, args: [...e.args], role: 'extra' });
  if (options.clientProbe) for (const c of clientCommands(options.clientProbe)) out.push({ ...c, role: 'client' });
  return out;
}

export function runRespSession(open: SessionSocket, options: RespSessionOptions): Promise<RespSessionResult> {
  const { socket } = open;
  const redactor = new Redactor().add(options.credentials?.password);
  const parser = new RespParser();
  const first = new FirstBytes();
  const exchanges: RespExchange[] = [];
  const queue: Pending[] = [];
  const resp: RespObservation = { ok: false, exchanges, closedByServer: false, noReply: true, timedOut: false };
  if (options.clientProbe) resp.clientProbe = { exchanges: [], closed: false, silent: false, config: {} };
  const probe = resp.clientProbe;
  let infoText: string | undefined;
  let repliesSeen = 0;
  const started = now();
  let grace: NodeJS.Timeout | undefined;
  /** Only the client probe's commands are still waiting for a reply. */
  const onlyClientLeft = () => queue.length > 0 && queue.every((p) => p.role === 'client');

  return new Promise<RespSessionResult>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      timer.clear();
      clearTimeout(grace);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onEnd);
      socket.removeListener('error', onError);
      socket.on('error', () => {});
      resp.noReply = first.length === 0;
      const ping = exchanges.find((e) => e.command === 'PING');
      resp.ok = ping?.reply?.kind === 'status' && ping.reply.text === 'PONG';
      if (probe) for (const name of IDLE_SETTINGS) {
        const value = configValue(name, probe.exchanges.find((e) => e.command === `CONFIG GET ${name}`)?.reply);
        if (value !== undefined) probe.config[name] = value;
      }
      const clean = queue.length === 0 && parser.pending === 0 && !resp.closedByServer && !resp.timedOut && !resp.socketError && !resp.nonResp && !socket.destroyed;
      const result: RespSessionResult = infoText === undefined ? { resp } : { resp, infoText };
      if (options.keepOpen && clean) result.conn = new RespConnection(socket, redactor);
      else socket.destroy();
      resolve(result);
    };

    const send = (items: { label: string; args: string[]; role: Pending['role'] }[]) => {
      const t = now();
      for (const item of items) {
        const exchange: RespExchange = { command: item.label, durationMs: 0 };
        (item.role === 'client' && probe ? probe.exchanges : exchanges).push(exchange);
        queue.push({ ...item, sentAt: t, exchange });
      }
      socket.write(Buffer.concat(items.map((i) => encodeCommand(i.args))));
    };

    const onReply = (reply: RespReply) => {
      const clean: RespReply = { kind: reply.kind, text: redactor.redact(reply.text) };
      repliesSeen++;
      if (repliesSeen === 1 && clean.kind === 'error' && GREETING_RE.test(clean.text)) {
        resp.greeting = clean;
        return;
      }
      const pending = queue.shift();
      if (!pending) return;
      pending.exchange.reply = clean;
      pending.exchange.durationMs = since(pending.sentAt);
      if (pending.role === 'info' && clean.kind === 'error' && OLD_INFO_RE.test(clean.text)) {
        send([{ label: 'INFO', args: ['INFO'], role: 'info-fallback' }]);
        return;
      }
      if ((pending.role === 'info' || pending.role === 'info-fallback') && clean.kind === 'string') infoText = clean.text;
      if (queue.length === 0) finish();
      else if (onlyClientLeft() && grace === undefined) {
        grace = setTimeout(() => {
          if (probe) probe.silent = true;
          finish();
        }, graceMs(since(started), options.timeoutMs - since(started)));
      }
    };

    const onData = pacedData(socket, (chunk: Buffer) => {
      first.add(chunk);
      try {
        parser.push(chunk);
        for (let reply = parser.next(); reply && !finished; reply = parser.next()) onReply(reply);
      } catch (err) {
        if (!(err instanceof RespProtocolError)) throw err;
        const bytes = first.bytes();
        resp.nonResp = {
          excerpt: redactor.redact(printableExcerpt(bytes)),
          looksLikeTls: looksLikeTls(bytes),
          looksLikeHttp: looksLikeHttp(bytes),
        };
        finish();
      }
    });
    // A close or a silence while only the client probe's commands wait is theirs, not the session's.
    const onEnd = () => {
      if (onlyClientLeft() && probe) probe.closed = true;
      else resp.closedByServer = true;
      finish();
    };
    const onError = (err: NodeJS.ErrnoException) => {
      if (onlyClientLeft() && probe) probe.closed = true;
      else {
        resp.socketError = err.code ?? err.message;
        if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resp.closedByServer = true;
      }
      finish();
    };

    const timer = bound(options.timeoutMs, options.signal, (reason) => {
      if (reason === 'timeout' && onlyClientLeft() && probe) probe.silent = true;
      else resp.timedOut = reason === 'timeout';
      finish();
    });
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    if (open.error || socket.destroyed) {
      if (open.error) onError(open.error);
      else onEnd();
      return;
    }
    send(plan(options));
  });
}

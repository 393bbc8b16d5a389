/**
 * The monitor's cheap probe: is the target up, as its clients see it?
 *
 *   dns (names only) → tcp connect → tls handshake (when TLS) → [AUTH] [SELECT] PING
 *
 * sent in one write, up when PING answers +PONG. It costs what a
 * blackbox_exporter `tcp` module with `send: "PING"` / `expect: "+PONG"`
 * costs — one connection, one round trip — and nothing of a diagnosis: no
 * INFO, no neighbour scan, no SSH. One deadline for the whole probe (as
 * blackbox_exporter sets the deadline once and its probers only respect it);
 * each step gets what is left of it.
 *
 * A down result names the step that failed and a short code:
 *   dns        ENOTFOUND, EAI_AGAIN, ETIMEOUT …
 *   tcp        ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH …
 *   tls        the OpenSSL/Node code (ERR_SSL_WRONG_VERSION_NUMBER, DEPTH_ZERO_SELF_SIGNED_CERT …)
 *   redis      the first word of the first error reply (NOAUTH, WRONGPASS, LOADING, DENIED, ERR …),
 *              TIMEOUT (no reply in time), CLOSED (closed without a reply), NOT_RESP (bytes that are not RESP)
 * The first error reply wins: a wrong password makes PING answer -NOAUTH too,
 * but -WRONGPASS to AUTH is what went wrong. A greeting written before any
 * command (-DENIED of protected mode, -ERR max number of clients reached) is
 * the first reply as well.
 *
 * Secrets: the password goes out in AUTH and nowhere else; every text kept
 * from the server is scrubbed of it, in case a proxy echoes it.
 */
import type { Credentials, TlsOptions } from '../model/options.js';
import type { TargetInfo } from '../model/types.js';
import { Redactor } from '../shared/redact.js';
import { bound, now, since } from '../shared/clock.js';
import { probeDns } from './dns.js';
import { printableExcerpt } from './excerpt.js';
import { authCommand, encodeCommand, RespParser, RespProtocolError } from './resp-parser.js';
import { pacedData } from './paced.js';
import { probeTcp, type OpenSocket } from './tcp.js';
import { probeTls } from './tls.js';
import { RespConnection } from './resp-connection.js';
import { sampleUp, type ServerIdentity } from './up-sample.js';
import type { LatencySample } from '../model/types.js';

export interface UpOptions {
  /** The bound of the whole probe (default 2000 ms). */
  timeoutMs?: number;
  credentials?: Credentials;
  tls?: TlsOptions;
  signal?: AbortSignal;
  /**
   * When up: a latency sample of `pings` PINGs one at a time on the same
   * connection, and INFO server when `serverInfo` (probes/up-sample.ts), within
   * what is left of the bound. The monitor's tick asks for it (issue 18).
   */
  sample?: { pings: number; serverInfo?: boolean };
}

export type UpStep = 'dns' | 'tcp' | 'tls' | 'redis';

export interface UpResult {
  up: boolean;
  /** The step that failed (down), or 'redis' when PING answered. */
  step: UpStep;
  /** Short failure code (see above); absent when up. */
  code?: string;
  /** One line for people: the error message or the server's reply, redacted and cut. */
  detail?: string;
  /** The address that was connected to (or tried first). */
  address?: string;
  durationMs: number;
  /** The sample asked for (`sample`): the PINGs' round trips after the handshake. */
  latency?: LatencySample;
  /** INFO server's run_id and uptime_in_seconds, when asked for and readable. */
  server?: ServerIdentity;
  /** What the sample cost, on top of durationMs. */
  sampleMs?: number;
}

const DEFAULT_MS = 2000;
const DETAIL_MAX = 200;

function clip(text: string): string {
  return text.length > DETAIL_MAX ? `${text.slice(0, DETAIL_MAX - 1)}…` : text;
}

interface PingOutcome {
  up: boolean;
  code?: string;
  detail?: string;
}

/** The handshake on an open socket: one write, replies read in order; the first error reply wins. */
function ping(open: OpenSocket, commands: string[][], expected: number, timeoutMs: number, redactor: Redactor, signal?: AbortSignal, keep = false): Promise<PingOutcome> {
  const { socket } = open;
  const parser = new RespParser();
  let replies = 0;
  let firstError: string | undefined;
  return new Promise<PingOutcome>((resolve) => {
    let done = false;
    const finish = (outcome: PingOutcome) => {
      if (done) return;
      done = true;
      timer.clear();
      socket.removeAllListeners('data');
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      socket.on('error', () => {});
      // An up connection handed on (holdUp) is left open, every listener of ours gone.
      if (!(keep && outcome.up)) socket.destroy();
      resolve(outcome);
    };
    const failed = (code: string, detail: string) => finish(firstError !== undefined ? errorOutcome(firstError) : { up: false, code, detail });
    const errorOutcome = (text: string): PingOutcome => ({ up: false, code: /^[A-Z]+/.exec(text)?.[0] ?? 'ERR', detail: clip(`-${text}`) });
    const timer = bound(timeoutMs, signal, (reason) => failed(reason === 'timeout' ? 'TIMEOUT' : 'ABORTED', reason === 'timeout' ? `no reply to PING within ${Math.round(timeoutMs)} ms` : 'aborted'));
    socket.on('data', pacedData(socket, (chunk: Buffer) => {
      try {
        parser.push(chunk);
        for (let reply = parser.next(); reply && !done; reply = parser.next()) {
          replies++;
          const text = redactor.redact(reply.text);
          if (reply.kind === 'error') firstError ??= text;
          if (replies >= expected) {
            // The last reply is PING's.
            if (firstError !== undefined) finish(errorOutcome(firstError));
            else if (reply.kind === 'status' && text === 'PONG') finish({ up: true });
            else finish({ up: false, code: 'NOT_PONG', detail: clip(`PING answered ${reply.kind} ${text}`) });
          }
        }
      } catch (err) {
        if (!(err instanceof RespProtocolError)) throw err;
        failed('NOT_RESP', clip(`not a Redis reply: ${redactor.redact(printableExcerpt(chunk, 80))}`));
      }
    }));
    socket.on('close', () => failed('CLOSED', 'the server closed the connection without a reply'));
    socket.on('error', (err: NodeJS.ErrnoException) => failed(err.code ?? 'CLOSED', clip(redactor.redact(err.message))));
    if (open.error) return failed(open.error.code ?? 'CLOSED', clip(redactor.redact(open.error.message)));
    socket.write(Buffer.concat(commands.map((c) => encodeCommand(c))));
  });
}

function handshake(credentials: Credentials | undefined, db: number | undefined): string[][] {
  const auth = authCommand(credentials);
  const commands: string[][] = auth ? [auth.args] : [];
  // Every client configured with this URL selects its database on connect: an out-of-range index fails them all.
  if (db !== undefined && db !== 0) commands.push(['SELECT', String(db)]);
  commands.push(['PING']);
  return commands;
}

export async function probeUp(target: TargetInfo, options: UpOptions = {}): Promise<UpResult> {
  const sample = options.sample;
  if (!sample || (sample.pings <= 0 && !sample.serverInfo)) return (await connectUp(target, options, false)).result;
  const start = now();
  const { result, socket } = await connectUp(target, options, true);
  if (!socket) return result;
  const sampledAt = now();
  const conn = new RespConnection(socket, new Redactor().add(options.credentials?.password));
  try {
    const got = await sampleUp(conn, { pings: sample.pings, serverInfo: sample.serverInfo === true, timeoutMs: (options.timeoutMs ?? DEFAULT_MS) - since(start), ...(options.signal ? { signal: options.signal } : {}) });
    return { ...result, ...(got.latency ? { latency: got.latency } : {}), ...(got.server ? { server: got.server } : {}), sampleMs: since(sampledAt) };
  } finally {
    conn.close();
  }
}

/** As probeUp, and when the target is up, the connection is handed back open, past AUTH/SELECT/PING (idle-hold.ts). */
export function holdUp(target: TargetInfo, options: UpOptions = {}): Promise<{ result: UpResult; socket?: OpenSocket['socket'] }> {
  return connectUp(target, options, true);
}

async function connectUp(target: TargetInfo, options: UpOptions, keep: boolean): Promise<{ result: UpResult; socket?: OpenSocket['socket'] }> {
  const start = now();
  const total = options.timeoutMs ?? DEFAULT_MS;
  const left = () => total - (now() - start);
  const redactor = new Redactor().add(options.credentials?.password);
  const down = (step: UpStep, code: string, detail: string | undefined, address?: string): UpResult => ({
    up: false, step, code, ...(detail ? { detail: clip(redactor.redact(detail)) } : {}), ...(address ? { address } : {}), durationMs: since(start),
  });

  const dns = await probeDns(target.host, left(), options.signal);
  if (!dns.ok) return { result: down('dns', dns.code ?? 'ENOTFOUND', `cannot resolve ${target.host}: ${dns.code ?? 'no address'}`) };
  const tcp = await probeTcp(dns.addresses.map((a) => a.address), target.port, left(), options.signal);
  const address = tcp.observation.address;
  if (!tcp.open) return { result: down('tcp', tcp.observation.code ?? 'ECONNREFUSED', tcp.observation.message, address) };

  let open: OpenSocket = tcp.open;
  if (target.tls) {
    const tls = await probeTls(open, target.host, options.tls, left(), options.signal);
    if (!tls.open) return { result: down('tls', tls.observation.code ?? 'EUNKNOWN', tls.observation.authorizationError ?? tls.observation.message, address) };
    open = tls.open;
  }
  const commands = handshake(options.credentials, target.db);
  const outcome = await ping(open, commands, commands.length, Math.max(1, left()), redactor, options.signal, keep);
  if (outcome.up) return { result: { up: true, step: 'redis', address, durationMs: since(start) }, ...(keep ? { socket: open.socket } : {}) };
  return { result: down('redis', outcome.code ?? 'ERR', outcome.detail, address) };
}

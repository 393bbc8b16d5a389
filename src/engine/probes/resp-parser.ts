/**
 * A small incremental RESP2/RESP3 reply parser (https://redis.io/docs/latest/develop/reference/protocol-spec/).
 *
 * Why our own: the probes need the exact bytes and error texts a server sends
 * (including a greeting written before any command), strict limits, and no
 * client library between us and the wire.
 *
 * Replies are flattened into `RespReply`: `kind` says the RESP type and
 * `text` holds the payload WITHOUT the type byte, e.g. an error line
 * `-NOAUTH Authentication required.` becomes `{ kind: 'error', text: 'NOAUTH Authentication required.' }`.
 * Aggregates (arrays, maps, sets) are flattened to their elements' texts joined by spaces.
 * nextNode() also keeps their structure (`items`), for the replies whose
 * shape matters: CLUSTER SHARDS, SENTINEL MASTERS and the like. A map's items
 * are its keys and values in turn, as RESP2 sends the same replies as arrays.
 */
import type { Credentials } from '../model/options.js';
import type { RespReply } from '../model/types.js';
import { REDACTED } from '../shared/redact.js';

/** A reply with its structure: `items` for arrays, sets, maps and pushes. */
export interface RespNode extends RespReply {
  items?: RespNode[];
}

/** The bytes are not RESP: an SSH banner, an HTTP answer, TLS records … */
export class RespProtocolError extends Error {
  override name = 'RespProtocolError';
}

const MAX_BULK = 8 * 1024 * 1024;
const MAX_ELEMENTS = 4096;
const MAX_DEPTH = 8;
const MAX_LINE = 64 * 1024;

type Parsed = { reply: RespNode; end: number } | null;

function readLine(buf: Buffer, start: number): { line: string; end: number } | null {
  const cr = buf.indexOf('\r\n', start, 'latin1');
  if (cr < 0) {
    if (buf.length - start > MAX_LINE) throw new RespProtocolError('line too long');
    return null;
  }
  return { line: buf.toString('utf8', start, cr), end: cr + 2 };
}

function readLength(line: string): number {
  if (!/^-?\d{1,10}$/.test(line)) throw new RespProtocolError(`invalid length "${line.slice(0, 20)}"`);
  return Number(line);
}

function parseAt(buf: Buffer, start: number, depth: number): Parsed {
  if (start >= buf.length) return null;
  if (depth > MAX_DEPTH) throw new RespProtocolError('nesting too deep');
  const type = String.fromCharCode(buf[start]!);
  const head = readLine(buf, start + 1);
  if (!head) {
    // Do not wait for a newline that a non-RESP peer may never send.
    if (!'+-:$*_,#!=(%~>|'.includes(type)) throw new RespProtocolError('not a RESP type byte');
    return null;
  }
  const { line, end } = head;
  switch (type) {
    case '+':
      return { reply: { kind: 'status', text: line }, end };
    case '-':
      return { reply: { kind: 'error', text: line }, end };
    case ':':
      if (!/^-?\d+$/.test(line)) throw new RespProtocolError('invalid integer');
      return { reply: { kind: 'integer', text: line }, end };
    case '_':
      return { reply: { kind: 'null', text: '' }, end };
    case ',':
    case '(':
      return { reply: { kind: 'other', text: line }, end };
    case '#':
      if (line !== 't' && line !== 'f') throw new RespProtocolError('invalid boolean');
      return { reply: { kind: 'other', text: line === 't' ? 'true' : 'false' }, end };
    case '$':
    case '!':
    case '=':
      return parseBulk(buf, type, readLength(line), end);
    case '*':
    case '~':
    case '>':
    case '%':
    case '|':
      return parseAggregate(buf, type, readLength(line), end, depth);
    default:
      throw new RespProtocolError('not a RESP type byte');
  }
}

function parseBulk(buf: Buffer, type: string, len: number, start: number): Parsed {
  if (len === -1) return { reply: { kind: 'null', text: '' }, end: start };
  if (len < 0 || len > MAX_BULK) throw new RespProtocolError('invalid bulk length');
  if (buf.length < start + len + 2) return null;
  if (buf[start + len] !== 0x0d || buf[start + len + 1] !== 0x0a) throw new RespProtocolError('bulk not terminated by CRLF');
  let text = buf.toString('utf8', start, start + len);
  // RESP3 verbatim strings carry a 3-letter format and a colon: "txt:…".
  if (type === '=') text = text.slice(4);
  return { reply: { kind: type === '!' ? 'error' : 'string', text }, end: start + len + 2 };
}

function parseAggregate(buf: Buffer, type: string, count: number, start: number, depth: number): Parsed {
  if (count === -1) return { reply: { kind: 'null', text: '' }, end: start };
  if (count < 0 || count > MAX_ELEMENTS) throw new RespProtocolError('invalid aggregate length');
  const items = type === '%' || type === '|' ? count * 2 : count;
  const nodes: RespNode[] = [];
  let pos = start;
  for (let i = 0; i < items; i++) {
    const el = parseAt(buf, pos, depth + 1);
    if (!el) return null;
    nodes.push(el.reply);
    pos = el.end;
  }
  // An attribute (|) annotates the reply that follows it; return that reply.
  if (type === '|') return parseAt(buf, pos, depth + 1);
  return { reply: { kind: 'array', text: nodes.map((n) => n.text).join(' '), items: nodes }, end: pos };
}

export class RespParser {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.buf.length > MAX_BULK + MAX_LINE) throw new RespProtocolError('reply too large');
  }

  /** The next complete reply, or undefined while more bytes are needed. Throws RespProtocolError on bytes that are not RESP. */
  next(): RespReply | undefined {
    const node = this.nextNode();
    return node && { kind: node.kind, text: node.text };
  }

  /** As next(), with the structure of aggregates kept in `items`. */
  nextNode(): RespNode | undefined {
    const parsed = parseAt(this.buf, 0, 0);
    if (!parsed) return undefined;
    this.buf = this.buf.subarray(parsed.end);
    return parsed.reply;
  }

  /** Bytes received but not yet parsed (a reply still arriving). */
  get pending(): number {
    return this.buf.length;
  }
}

/** Encodes a command as a RESP array of bulk strings (safe for any byte in a password). */
export function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`, 'latin1')];
  for (const arg of args) {
    const bytes = Buffer.from(arg, 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`, 'latin1'), bytes, Buffer.from('\r\n', 'latin1'));
  }
  return Buffer.concat(parts);
}

/** A reply as the wire shows it: `+PONG`, `-NOAUTH Authentication required.` */
export function wireText(reply: RespReply): string {
  if (reply.kind === 'status') return `+${reply.text}`;
  if (reply.kind === 'error') return `-${reply.text}`;
  return reply.text;
}

/** The AUTH a client with these credentials sends first (none without a password), and how it is reported: never the password. */
export function authCommand(credentials: Credentials | undefined): { label: string; args: string[] } | undefined {
  if (credentials?.password === undefined || credentials.password === '') return undefined;
  return credentials.user
    ? { label: `AUTH ${credentials.user} ${REDACTED}`, args: ['AUTH', credentials.user, credentials.password] }
    : { label: `AUTH ${REDACTED}`, args: ['AUTH', credentials.password] };
}

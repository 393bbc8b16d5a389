/**
 * A small incremental RESP2/RESP3 reply parser (https://redis.io/docs/latest/develop/reference/protocol-spec/).
 *
 * Why our own: the probes need the exact bytes and error texts a server sends
 * (including a greeting written before any command), strict limits, RESP3
 * types, and no client library between us and the wire. ioredis's
 * `redis-parser` was measured against it (bench/resp-parser.mjs, bench/README.md):
 * it knows no RESP3 type, allocates `new Array(n)` for any `*n` header a server
 * sends, and has no byte or element budget to enforce.
 *
 * Replies are flattened into `RespReply`: `kind` says the RESP type and
 * `text` holds the payload WITHOUT the type byte, e.g. an error line
 * `-NOAUTH Authentication required.` becomes `{ kind: 'error', text: 'NOAUTH Authentication required.' }`.
 * Aggregates (arrays, maps, sets) are flattened to their elements' texts joined by spaces
 * (at most AGGREGATE_TEXT_MAX characters, then `…`: the flat text is for quoting only).
 * nextNode() also keeps their structure (`items`), for the replies whose
 * shape matters: CLUSTER SHARDS, SENTINEL MASTERS and the like. A map's items
 * are its keys and values in turn, as RESP2 sends the same replies as arrays.
 *
 * Linear time: the parser is resumable. Every byte is examined once (a line's
 * end is searched only in the bytes not searched yet; a bulk string waits,
 * without copying, until all its bytes are there), and an aggregate still
 * arriving is kept on a stack of partially filled frames, so a chunk costs
 * work in proportion to its own size — never a re-parse of the reply so far.
 * Budgets hold across chunks, per reply: MAX_REPLY_BYTES bytes and
 * MAX_REPLY_ELEMENTS elements (LARGE_REPLY_ELEMENTS when asked for), MAX_ELEMENTS
 * per aggregate, MAX_DEPTH levels.
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
const MAX_LINE = 64 * 1024;
/** One reply, all its parts: the largest bulk string and its header. */
const MAX_REPLY_BYTES = MAX_BULK + MAX_LINE;
/** Elements of one aggregate: CLUSTER SLOTS has at most one range per slot (16384 slots). */
const MAX_ELEMENTS = 16384;
/**
 * Elements of one reply, nested ones included, by default: the handshake's replies (PING,
 * INFO, AUTH) and pub/sub messages have a handful. A server that floods them is refused
 * after 64 KiB of tiny elements, before it costs anything.
 */
const MAX_REPLY_ELEMENTS = MAX_ELEMENTS;
/** For the topology replies (RespParserOptions.large): CLUSTER SHARDS of 10,000 nodes in 2,500 shards is ~190,000 (17 a node). */
export const LARGE_REPLY_ELEMENTS = 256 * 1024;
const MAX_DEPTH = 8;
export const AGGREGATE_TEXT_MAX = 64 * 1024;
const TYPE_BYTES = '+-:$*_,#!=(%~>|';

/** An aggregate still arriving: how many elements it still needs. */
interface Frame {
  type: string;
  remaining: number;
  items: RespNode[];
}

export interface RespParserOptions {
  /** Applied to every text as it is parsed (the password scrubbed), so no pass over a whole reply is needed afterwards. */
  redact?: (text: string) => string;
  /** Elements allowed in one reply (default MAX_ELEMENTS, 16,384; LARGE_REPLY_ELEMENTS for CLUSTER SHARDS and the like). */
  maxElements?: number;
}

export class RespParser {
  /** Bytes not consumed yet start at buf[pos]; chunks that arrived while a bulk string waits sit in `parts`. */
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** Bytes needed (from pos) before parsing can move: a bulk string's length, or one byte more than a partial line. */
  private need = 1;
  /** How far, from pos, a partial line's end was already searched. */
  private scanned = 0;
  private readonly stack: Frame[] = [];
  private replyBytes = 0;
  private replyElements = 0;
  private readonly redact: (text: string) => string;
  private readonly maxElements: number;

  constructor(options: RespParserOptions = {}) {
    this.redact = options.redact ?? ((t) => t);
    this.maxElements = options.maxElements ?? MAX_REPLY_ELEMENTS;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.parts.push(chunk);
    this.partsLength += chunk.length;
    if (this.replyBytes + this.pending > MAX_REPLY_BYTES) throw new RespProtocolError('reply too large');
  }

  /** Bytes received but not yet parsed (a reply still arriving). */
  get pending(): number {
    return this.buf.length - this.pos + this.partsLength;
  }

  /** The next complete reply, or undefined while more bytes are needed. Throws RespProtocolError on bytes that are not RESP. */
  next(): RespReply | undefined {
    const node = this.nextNode();
    return node && { kind: node.kind, text: node.text };
  }

  /** As next(), with the structure of aggregates kept in `items`. */
  nextNode(): RespNode | undefined {
    for (;;) {
      if (!this.fill()) return undefined;
      const start = this.pos;
      const el = this.element();
      if (el === undefined) return undefined;
      this.replyBytes += this.pos - start;
      if (this.replyBytes > MAX_REPLY_BYTES) throw new RespProtocolError('reply too large');
      const done = el === 'open' ? undefined : this.attach(el);
      if (done) {
        this.replyBytes = 0;
        this.replyElements = 0;
        return done;
      }
    }
  }

  /** Makes the bytes parsing needs contiguous; false while fewer than `need` have arrived (nothing copied then). */
  private fill(): boolean {
    const have = this.buf.length - this.pos;
    if (have + this.partsLength < this.need) return false;
    if (this.partsLength > 0) {
      // Copies what is left of one element (at most a line or a bulk string) once more, never the reply so far.
      this.buf = have === 0 && this.parts.length === 1 ? this.parts[0]! : Buffer.concat([this.buf.subarray(this.pos), ...this.parts]);
      this.pos = 0;
      this.parts = [];
      this.partsLength = 0;
    }
    return this.buf.length > this.pos;
  }

  /** Waits for `need` bytes from pos; returns undefined so callers can `return this.wait(n)`. */
  private wait(need: number): undefined {
    this.need = need;
    return undefined;
  }

  private readLine(): string | undefined {
    const buf = this.buf;
    const from = this.pos + 1;
    // A byte loop: a reply is mostly short lines, where a native indexOf costs more than the search.
    let cr = from + Math.max(0, this.scanned - 1);
    let ascii = this.scanned === 0;
    for (; cr + 1 < buf.length; cr++) {
      const b = buf[cr]!;
      if (b === 0x0d && buf[cr + 1] === 0x0a) break;
      if (b > 0x7f) ascii = false;
    }
    if (cr + 1 >= buf.length) {
      this.scanned = buf.length - from;
      if (this.scanned > MAX_LINE) throw new RespProtocolError('line too long');
      return this.wait(buf.length - this.pos + 1);
    }
    this.scanned = 0;
    this.pos = cr + 2;
    // ASCII is the same in latin1, which decodes faster than utf8.
    return buf.toString(ascii ? 'latin1' : 'utf8', from, cr);
  }

  /** One scalar, or an aggregate's header ('open': its frame is pushed); undefined while bytes are missing (pos unchanged). */
  private element(): RespNode | 'open' | undefined {
    if (this.stack.length > MAX_DEPTH) throw new RespProtocolError('nesting too deep');
    const start = this.pos;
    const type = String.fromCharCode(this.buf[start]!);
    // Do not wait for a newline that a non-RESP peer may never send.
    if (!TYPE_BYTES.includes(type)) throw new RespProtocolError('not a RESP type byte');
    if (++this.replyElements > this.maxElements) throw new RespProtocolError('too many elements');
    const line = this.readLine();
    if (line === undefined) {
      this.replyElements--;
      return undefined;
    }
    switch (type) {
      case '+':
        return this.leaf('status', line);
      case '-':
        return this.leaf('error', line);
      case ':':
        if (!/^-?\d+$/.test(line)) throw new RespProtocolError('invalid integer');
        return this.leaf('integer', line);
      case '_':
        return { kind: 'null', text: '' };
      case ',':
      case '(':
        return this.leaf('other', line);
      case '#':
        if (line !== 't' && line !== 'f') throw new RespProtocolError('invalid boolean');
        return { kind: 'other', text: line === 't' ? 'true' : 'false' };
      case '$':
      case '!':
      case '=':
        return this.bulk(type, readLength(line), start);
      default:
        return this.open(type, readLength(line));
    }
  }

  private leaf(kind: RespReply['kind'], text: string): RespNode {
    return { kind, text: this.redact(text) };
  }

  private bulk(type: string, len: number, start: number): RespNode | undefined {
    if (len === -1) return { kind: 'null', text: '' };
    if (len < 0 || len > MAX_BULK) throw new RespProtocolError('invalid bulk length');
    const body = this.pos;
    if (this.buf.length < body + len + 2) {
      // Re-read the header when the rest is there: waiting costs nothing, parsing it again is one short line.
      this.replyElements--;
      this.pos = start;
      return this.wait(body - start + len + 2);
    }
    if (this.buf[body + len] !== 0x0d || this.buf[body + len + 1] !== 0x0a) throw new RespProtocolError('bulk not terminated by CRLF');
    let text = this.buf.toString('utf8', body, body + len);
    // RESP3 verbatim strings carry a 3-letter format and a colon: "txt:…".
    if (type === '=') text = text.slice(4);
    this.pos = body + len + 2;
    this.need = 1;
    return this.leaf(type === '!' ? 'error' : 'string', text);
  }

  private open(type: string, count: number): RespNode | 'open' {
    this.need = 1;
    if (count === -1) return { kind: 'null', text: '' };
    if (count < 0 || count > MAX_ELEMENTS) throw new RespProtocolError('invalid aggregate length');
    const remaining = type === '%' || type === '|' ? count * 2 : count;
    if (remaining === 0 && type !== '|') return { kind: 'array', text: '', items: [] };
    this.stack.push({ type, remaining, items: [] });
    if (remaining === 0) return this.closeAttribute();
    return 'open';
  }

  /** An attribute (|) annotates the reply that follows it: it is dropped, and that reply takes its place. */
  private closeAttribute(): 'open' {
    this.stack.pop();
    return 'open';
  }

  /** Puts a finished element into the aggregates waiting for it; returns the reply once the outermost one is complete. */
  private attach(el: RespNode): RespNode | undefined {
    this.need = 1;
    let node = el;
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) return node;
      top.items.push(node);
      if (--top.remaining > 0) return undefined;
      this.stack.pop();
      if (top.type === '|') return undefined;
      node = { kind: 'array', text: this.redact(flatText(top.items)), items: top.items };
    }
  }
}

/** The elements' texts joined by spaces, cut at AGGREGATE_TEXT_MAX: at most one pass over one aggregate's elements. */
function flatText(items: readonly RespNode[]): string {
  let text = '';
  for (const [i, item] of items.entries()) {
    const piece = i === 0 ? item.text : ` ${item.text}`;
    if (text.length + piece.length > AGGREGATE_TEXT_MAX) return `${text}${piece.slice(0, AGGREGATE_TEXT_MAX - text.length - 1)}…`;
    text += piece;
  }
  return text;
}

function readLength(line: string): number {
  if (!/^-?\d{1,10}$/.test(line)) throw new RespProtocolError(`invalid length "${line.slice(0, 20)}"`);
  return Number(line);
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

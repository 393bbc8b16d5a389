/**
 * SLOWLOG GET <n> read into entries that keep no user data. Each entry is
 * (Redis slowlog.c slowlogCommand, 4.0+):
 *   [id, unix-time, duration-µs, [arg0, arg1 …], "ip:port", "client-name"]
 * Redis itself truncates the arguments it stores (at most 32 arguments, 128
 * bytes each), but they are keys and values: the caller's data, sometimes a
 * password (AUTH is never logged, but `CONFIG SET masterauth …`, a MIGRATE
 * with AUTH, a value holding a token are). So only the command's name is
 * kept (and a container command's subcommand: `DEBUG SLEEP`, `CONFIG GET`),
 * and for KEYS/SCAN-type commands the shape (`KEYS *`, `SCAN MATCH <pattern>
 * COUNT 1000`), never a key name, pattern or value.
 *
 * Everything is hostile: the reply is the parser's bounded tree; every text is
 * capped before any test, names must be plain ASCII tokens or are dropped,
 * the client's address and name are capped and their invisible characters
 * shown (shared/text.ts). At most MAX_ENTRIES entries are kept.
 */
import type { RespReply, SlowlogEntry } from '../model/types.js';
import { showInvisible } from '../shared/text.js';
import type { RespNode } from './resp-parser.js';

/** Entries asked for (SLOWLOG GET 32) and kept. */
export const SLOWLOG_ENTRIES = 32;
const MAX_ENTRIES = SLOWLOG_ENTRIES;
const NAME_MAX = 32;
const CLIENT_MAX = 64;
const CLIENT_NAME_MAX = 48;

/** Commands whose second argument is a subcommand, not a key: DEBUG SLEEP, CONFIG GET, CLIENT LIST … */
const CONTAINERS = new Set(['ACL', 'CLIENT', 'CLUSTER', 'COMMAND', 'CONFIG', 'DEBUG', 'FUNCTION', 'LATENCY', 'MEMORY', 'MODULE', 'OBJECT', 'PUBSUB', 'SCRIPT', 'SLOWLOG', 'XGROUP', 'XINFO']);
/** Commands whose cost is their scan of the keyspace or of a big key; their options (not values) are shown. */
const SCANS = new Set(['KEYS', 'SCAN', 'HSCAN', 'SSCAN', 'ZSCAN']);
const SCAN_OPTIONS = new Set(['MATCH', 'COUNT', 'TYPE', 'NOVALUES']);

/** An ASCII command token (`KEYS`, `config|get`), upper-cased; anything else is not shown. */
function token(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const t = text.slice(0, NAME_MAX + 1);
  return t.length <= NAME_MAX && /^[A-Za-z][A-Za-z0-9_|.-]*$/.test(t) ? t.toUpperCase() : undefined;
}

function integer(node: RespNode | undefined): number | undefined {
  if (node?.kind !== 'integer') return undefined;
  const t = node.text.slice(0, 20);
  return /^-?[0-9]{1,19}$/.test(t) ? Number(t) : undefined;
}

function shown(node: RespNode | undefined, max: number): string | undefined {
  if (node?.kind !== 'string' || node.text === '') return undefined;
  const t = node.text.slice(0, max + 1);
  const capped = t.length > max ? `${t.slice(0, max - 1)}…` : t;
  return showInvisible(capped.replace(/[\r\n]/g, ' '));
}

/** `KEYS * (every key)`, `KEYS <pattern>`, `SCAN <cursor> MATCH <pattern> COUNT 1000`: options kept, values not. */
function shapeOf(name: string, args: readonly RespNode[]): string {
  if (name === 'KEYS') return args[1]?.text === '*' ? 'KEYS * (every key)' : 'KEYS <pattern>';
  const parts = [name, ...(name === 'SCAN' ? [] : ['<key>']), '<cursor>'];
  for (let i = name === 'SCAN' ? 2 : 3; i < Math.min(args.length, 12); i++) {
    const option = token(args[i]?.text);
    if (!option || !SCAN_OPTIONS.has(option)) continue;
    parts.push(option);
    if (option === 'COUNT') parts.push(/^[0-9]{1,9}$/.test(args[i + 1]?.text.slice(0, 10) ?? '') ? args[i + 1]!.text : '<n>');
    else if (option === 'MATCH') parts.push(args[i + 1]?.text === '*' ? '*' : '<pattern>');
    else if (option === 'TYPE') parts.push('<type>');
    if (option !== 'NOVALUES') i++;
  }
  return parts.join(' ');
}

function entryOf(node: RespNode): SlowlogEntry | undefined {
  const [idNode, atNode, usNode, argsNode, clientNode, nameNode] = node.items ?? [];
  const id = integer(idNode);
  const at = integer(atNode);
  const durationUs = integer(usNode);
  if (id === undefined || at === undefined || durationUs === undefined || durationUs < 0) return undefined;
  const args = argsNode?.items ?? [];
  const first = token(args[0]?.text);
  const sub = first && CONTAINERS.has(first) ? token(args[1]?.text) : undefined;
  const command = first ? (sub ? `${first} ${sub}` : first) : '<unreadable command>';
  const entry: SlowlogEntry = { id, at, durationUs, command };
  if (first && SCANS.has(first)) entry.shape = shapeOf(first, args);
  const client = shown(clientNode, CLIENT_MAX);
  if (client !== undefined) entry.client = client;
  const clientName = shown(nameNode, CLIENT_NAME_MAX);
  if (clientName !== undefined) entry.clientName = clientName;
  return entry;
}

/** The entries of a SLOWLOG GET reply (an array of arrays); anything else gives none. */
export function parseSlowlog(reply: RespNode | undefined): SlowlogEntry[] {
  if (reply?.kind !== 'array' || !reply.items) return [];
  const out: SlowlogEntry[] = [];
  for (const item of reply.items.slice(0, MAX_ENTRIES)) {
    const entry = entryOf(item);
    if (entry) out.push(entry);
  }
  return out;
}

/** An error reply in wire form, capped and escaped: `-ERR unknown command 'SLOWLOG'…`. */
export function slowlogError(reply: RespReply | undefined): string | undefined {
  if (reply?.kind !== 'error') return undefined;
  const t = reply.text.slice(0, 161);
  return showInvisible(`-${t.length > 160 ? `${t.slice(0, 159)}…` : t}`.replace(/[\r\n]/g, ' '));
}

/**
 * The most specific route for an address in Linux's /proc/net/route (IPv4)
 * or /proc/net/ipv6_route text. Pure and linear: whitespace-split fields,
 * fixed-width hex, at most MAX_LINES lines.
 *
 * /proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask …,
 *   addresses as the host-order print of the network-order word (on a
 *   little-endian machine 10.0.0.0/8 reads Destination 0000000A, Mask 000000FF).
 * /proc/net/ipv6_route: dest plen src srclen nexthop metric refcnt use flags dev,
 *   addresses as 32 hex digits in network order, lengths in hex.
 * Flags: RTF_GATEWAY 0x2, RTF_REJECT 0x200 (unreachable, prohibit, blackhole).
 */
import type { RouteMatch } from '../model/types.js';

const MAX_LINES = 4096;
const RTF_GATEWAY = 0x2;
const RTF_REJECT = 0x200;

function ipv4Word(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let word = 0;
  for (const p of parts) {
    const n = Number(p);
    if (!/^\d{1,3}$/.test(p) || n > 255) return undefined;
    word = ((word << 8) | n) >>> 0;
  }
  return word;
}

/** 8 groups of 16 bits; an embedded IPv4 tail (::ffff:10.0.0.5) becomes two groups. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase().split('%')[0]!;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const word = ipv4Word(text.slice(lastColon + 1));
    if (word === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(word >>> 16).toString(16)}:${(word & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  const groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  return groups.every((g) => Number.isInteger(g)) ? groups : undefined;
}

function swap32(word: number): number {
  return (((word & 0xff) << 24) | ((word & 0xff00) << 8) | ((word >>> 8) & 0xff00) | (word >>> 24)) >>> 0;
}

function v4Text(word: number): string {
  return [word >>> 24, (word >>> 16) & 255, (word >>> 8) & 255, word & 255].join('.');
}

function prefixLength(mask: number): number {
  let bits = 0;
  while (bits < 32 && (mask & (0x80000000 >>> bits)) !== 0) bits++;
  return bits;
}

function matchV4(table: string, address: string, littleEndian: boolean): RouteMatch | undefined {
  const target = ipv4Word(address);
  if (target === undefined) return undefined;
  const word = (hex: string) => (littleEndian ? swap32(parseInt(hex, 16) >>> 0) : parseInt(hex, 16) >>> 0);
  let best: RouteMatch | undefined;
  let bestLength = -1;
  for (const line of table.split('\n', MAX_LINES).slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^[0-9A-Fa-f]{8}$/.test(f[1]!) || !/^[0-9A-Fa-f]{8}$/.test(f[7]!)) continue;
    const dest = word(f[1]!);
    const mask = word(f[7]!);
    const length = prefixLength(mask);
    if (((target & mask) >>> 0) !== dest || length <= bestLength) continue;
    const flags = parseInt(f[3]!, 16);
    const gateway = word(f[2]!);
    bestLength = length;
    best = {
      prefix: `${v4Text(dest)}/${length}`,
      defaultRoute: length === 0,
      reject: (flags & RTF_REJECT) !== 0,
      ...((flags & RTF_GATEWAY) !== 0 ? { gateway: v4Text(gateway) } : {}),
      ...(f[0] !== '*' ? { dev: f[0]!.slice(0, 32) } : {}),
    };
  }
  return best;
}

function groupsText(groups: readonly number[]): string {
  // Not the shortest form, but unambiguous: evidence, not an address to connect to.
  return groups.map((g) => g.toString(16)).join(':');
}

function matchV6(table: string, address: string): RouteMatch | undefined {
  const target = ipv6Groups(address);
  if (!target) return undefined;
  let best: RouteMatch | undefined;
  let bestLength = -1;
  for (const line of table.split('\n', MAX_LINES)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^[0-9a-f]{32}$/.test(f[0]!) || !/^[0-9a-f]{32}$/.test(f[4]!)) continue;
    const length = parseInt(f[1]!, 16);
    if (!(length >= 0 && length <= 128) || length <= bestLength) continue;
    const dest = Array.from({ length: 8 }, (_, i) => parseInt(f[0]!.slice(i * 4, i * 4 + 4), 16));
    let matches = true;
    for (let bit = 0; bit < length && matches; bit += 16) {
      const take = Math.min(16, length - bit);
      const mask = (0xffff << (16 - take)) & 0xffff;
      matches = ((target[bit / 16]! & mask) === (dest[bit / 16]! & mask));
    }
    if (!matches) continue;
    const flags = parseInt(f[8]!, 16);
    const nexthop = Array.from({ length: 8 }, (_, i) => parseInt(f[4]!.slice(i * 4, i * 4 + 4), 16));
    bestLength = length;
    best = {
      prefix: `${groupsText(dest)}/${length}`,
      defaultRoute: length === 0,
      reject: (flags & RTF_REJECT) !== 0,
      ...((flags & RTF_GATEWAY) !== 0 ? { gateway: groupsText(nexthop) } : {}),
      dev: f[9]!.slice(0, 32),
    };
  }
  return best;
}

export function matchRoute(table: string, address: string, v6: boolean, littleEndian: boolean): RouteMatch | undefined {
  return v6 ? matchV6(table, address) : matchV4(table, address, littleEndian);
}

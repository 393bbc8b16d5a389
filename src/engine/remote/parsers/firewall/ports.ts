/** Port lists as firewall tools print them: `6379`, `7000:7005,6390` (iptables), `{ 7000-7005, 6390 }` (nft). */
export function parsePortList(text: string, separator: RegExp, rangeMark: string): [number, number][] | undefined {
  const parts = text.replace(/[{}]/g, '').split(separator).map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) return undefined;
  const out: [number, number][] = [];
  for (const part of parts) {
    const [a, b] = part.split(rangeMark);
    if (!a || !/^\d{1,5}$/.test(a) || (b !== undefined && !/^\d{1,5}$/.test(b))) return undefined;
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    if (lo > 65535 || hi > 65535 || hi < lo) return undefined;
    out.push([lo, hi]);
  }
  return out;
}

export function portIn(ranges: [number, number][], port: number): boolean {
  return ranges.some(([lo, hi]) => port >= lo && port <= hi);
}

/** IPv4/IPv6 CIDR matching for `access.adHocNetworks`, on top of node:net's BlockList. */
import { BlockList, isIP } from 'node:net';

export interface Cidr {
  address: string;
  prefix: number;
  family: 4 | 6;
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const family = isIP(m[1]!);
  if (family !== 4 && family !== 6) return undefined;
  const prefix = Number(m[2]);
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  return { address: m[1]!, prefix, family };
}

/** A matcher for a list of CIDRs; IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match their IPv4 form. */
export function networkMatcher(cidrs: string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const text of cidrs) {
    const c = parseCidr(text);
    if (c) list.addSubnet(c.address, c.prefix, c.family === 4 ? 'ipv4' : 'ipv6');
  }
  return (address: string) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const addr = mapped ? mapped[1]! : address;
    const family = isIP(addr);
    if (family === 0) return false;
    return list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
  };
}

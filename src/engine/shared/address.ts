/** How addresses are recognised and written, shared by probes, rules, remediations and the CLI. Pure. */

/**
 * 127.0.0.0/8 or ::1, also IPv4-mapped (::ffff:127.0.0.1) and with the
 * device suffix `ss` prints for a socket bound to an interface (127.0.0.1%lo).
 */
export function isLoopbackAddress(address: string): boolean {
  return /^(::ffff:)?127\./i.test(address) || address === '::1';
}

/** A host as URLs and host:port pairs write it: IPv6 literals in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** `10.0.0.5:6379`, `[::1]:6379`. */
export function hostPort(host: string, port: number): string {
  return `${urlHost(host)}:${port}`;
}

function ipv4Bytes(address: string): number[] | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : undefined;
}

/**
 * The private (not globally routed) range an address belongs to, named for
 * evidence, or undefined for a public or loopback address: RFC 1918, the
 * shared CGNAT space (RFC 6598), link-local, IPv6 unique-local (RFC 4193) and
 * link-local. Managed services (ElastiCache, Azure Cache private endpoints,
 * Memorystore) hand out names that resolve into these, reachable only inside
 * their network. IPv4-mapped IPv6 (::ffff:10.0.0.5) counts as its IPv4.
 */
export function privateRange(address: string): string | undefined {
  const lower = address.toLowerCase();
  const v4 = ipv4Bytes(lower.startsWith('::ffff:') ? lower.slice(7) : lower);
  if (v4) {
    const [a, b] = v4 as [number, number];
    if (a === 10) return '10.0.0.0/8 (RFC 1918)';
    if (a === 172 && b >= 16 && b <= 31) return '172.16.0.0/12 (RFC 1918)';
    if (a === 192 && b === 168) return '192.168.0.0/16 (RFC 1918)';
    if (a === 100 && b >= 64 && b <= 127) return '100.64.0.0/10 (shared CGNAT space, RFC 6598)';
    if (a === 169 && b === 254) return '169.254.0.0/16 (link-local)';
    return undefined;
  }
  if (!lower.includes(':')) return undefined;
  const head = lower.startsWith('::') ? 0 : parseInt(lower.split(':')[0]!.slice(0, 4), 16);
  if ((head & 0xfe00) === 0xfc00) return 'fc00::/7 (IPv6 unique local, RFC 4193)';
  if ((head & 0xffc0) === 0xfe80) return 'fe80::/10 (IPv6 link-local)';
  return undefined;
}

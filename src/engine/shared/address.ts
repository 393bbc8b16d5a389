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

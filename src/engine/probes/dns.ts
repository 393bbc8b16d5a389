/**
 * DNS: the addresses the host name resolves to, the way clients resolve it
 * (getaddrinfo through dns.lookup, so /etc/hosts and nsswitch count).
 * getaddrinfo cannot be cancelled; the lookup is raced against the bound and
 * a late answer is ignored.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { DnsObservation } from '../model/types.js';
import { bound, now, since } from '../shared/clock.js';

export async function probeDns(host: string, timeoutMs: number, signal?: AbortSignal): Promise<DnsObservation> {
  const family = isIP(host);
  if (family === 4 || family === 6) {
    return { lookedUp: false, ok: true, addresses: [{ address: host, family }], durationMs: 0 };
  }
  const start = now();
  return new Promise<DnsObservation>((resolve) => {
    const timer = bound(timeoutMs, signal, (reason) => {
      resolve({ lookedUp: true, ok: false, addresses: [], code: reason === 'timeout' ? 'ETIMEOUT' : 'ABORTED', durationMs: since(start) });
    });
    lookup(host, { all: true, order: 'verbatim' }).then(
      (found) => {
        timer.clear();
        const addresses = found
          .filter((a) => a.family === 4 || a.family === 6)
          .map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
        // getaddrinfo may list an address once per socket type; keep the first of each.
        const unique = addresses.filter((a, i) => addresses.findIndex((b) => b.address === a.address) === i);
        resolve({ lookedUp: true, ok: unique.length > 0, addresses: unique, ...(unique.length ? {} : { code: 'ENODATA' }), durationMs: since(start) });
      },
      (err: NodeJS.ErrnoException) => {
        timer.clear();
        resolve({ lookedUp: true, ok: false, addresses: [], code: err.code ?? 'EUNKNOWN', durationMs: since(start) });
      },
    );
  });
}

/**
 * DNS: the addresses the host name resolves to, the way clients resolve it
 * (getaddrinfo through dns.lookup, so /etc/hosts and nsswitch count).
 *
 * Three lookups run at once under one bound:
 *  - family-less, with AI_ADDRCONFIG, as Node's net.connect asks (it adds
 *    dns.ADDRCONFIG when no family is given): its order is the one a client
 *    that uses only the first address follows (Node.js 17–19 keep the
 *    resolver's order), and IPv6 comes back only when this host has a
 *    non-loopback IPv6 address;
 *  - A and AAAA on their own (no hints): what a client pinned to one family
 *    sees, and every address of both families even where the family-less
 *    lookup stops early (glibc's `files` answers it from /etc/hosts alone).
 *    Addresses only these found come after the family-less order.
 * `localhost` names get the family-less lookup only: RFC 6761 §6.3 makes them
 * loopback by definition, and a per-family lookup /etc/hosts cannot answer
 * (no `::1 localhost` line) would send the name to the DNS server.
 * getaddrinfo cannot be cancelled; each lookup is raced against the bound and
 * a late answer is ignored.
 */
import { ADDRCONFIG } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { DnsObservation, FamilyLookup } from '../model/types.js';
import { bound, now, since } from '../shared/clock.js';

const PER_FAMILY_GRACE_MS = 100;

type Address = { address: string; family: 4 | 6 };
type Outcome = { addresses: Address[]; code?: string };

function unique(addresses: readonly Address[]): Address[] {
  // getaddrinfo may list an address once per socket type; keep the first of each.
  const seen = new Set<string>();
  return addresses.filter((a) => {
    if (seen.has(a.address)) return false;
    seen.add(a.address);
    return true;
  });
}

function lookupOnce(host: string, family: 0 | 4 | 6): Promise<Outcome> {
  return lookup(host, { all: true, order: 'verbatim', family, ...(family === 0 ? { hints: ADDRCONFIG } : {}) }).then(
    (found) => {
      const addresses = unique(found.filter((a) => a.family === 4 || a.family === 6).map((a) => ({ address: a.address, family: a.family as 4 | 6 })));
      return addresses.length ? { addresses } : { addresses, code: 'ENODATA' };
    },
    (err: NodeJS.ErrnoException) => ({ addresses: [], code: err.code ?? 'EUNKNOWN' }),
  );
}

/** Waits for every lookup, or for the first (family-less) one plus the grace, within the bound. */
function settle(lookups: Promise<void>[], timeoutMs: number, signal?: AbortSignal): Promise<'timeout' | 'aborted' | undefined> {
  return new Promise((resolve) => {
    const timer = bound(timeoutMs, signal, resolve);
    const done = () => {
      timer.clear();
      resolve(undefined);
    };
    void Promise.all(lookups).then(done);
    // What clients use is the family-less answer. A per-family lookup can be far
    // slower (a name /etc/hosts has as IPv4 only sends its AAAA query to DNS):
    // it gets a short grace, so a slow resolver never slows the diagnosis.
    void lookups[0]!.then(() => setTimeout(done, PER_FAMILY_GRACE_MS).unref());
  });
}

export async function probeDns(host: string, timeoutMs: number, signal?: AbortSignal): Promise<DnsObservation> {
  const family = isIP(host);
  if (family === 4 || family === 6) {
    return { lookedUp: false, ok: true, addresses: [{ address: host, family }], durationMs: 0 };
  }
  const start = now();
  const kinds = isLocalhostName(host) ? ([0] as const) : ([0, 4, 6] as const);
  const outcomes = new Map<0 | 4 | 6, Outcome>();
  const stopped = await settle(kinds.map((f) => lookupOnce(host, f).then((o) => void outcomes.set(f, o))), timeoutMs, signal);
  // Read once, now: a lookup answering later changes nothing.
  const late: Outcome = { addresses: [], code: stopped === 'aborted' ? 'ABORTED' : 'ETIMEOUT' };
  const any = outcomes.get(0) ?? late;
  const perFamily = kinds.length === 1 ? [] : ([4, 6] as const).map((f) => ({ family: f, outcome: outcomes.get(f) ?? late }));
  const families = perFamily.map(({ family: f, outcome }): FamilyLookup => ({ family: f, addresses: outcome.addresses.map((a) => a.address), ...(outcome.code ? { code: outcome.code } : {}) }));
  const extra = families.length ? { families } : {};
  const addresses = unique([...any.addresses, ...perFamily.flatMap((p) => p.outcome.addresses)]);
  if (stopped === 'aborted' || addresses.length === 0) {
    // The family-less lookup's code is what a client sees.
    return { lookedUp: true, ok: false, addresses: [], code: (stopped === 'aborted' ? late.code : any.code) ?? 'ENODATA', durationMs: since(start), ...extra };
  }
  return { lookedUp: true, ok: true, addresses, durationMs: since(start), ...extra };
}

function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

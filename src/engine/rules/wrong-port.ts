/**
 * The port refused, and Redis answers on another port of the same host: the
 * client may have the wrong port. When several ports answer, the likeliest is
 * the neighbour of the typed port (off-by-one: 6378/6380 for 6379), then the
 * ports Redis setups use by convention (6379 default, 6380/6381 for a second
 * instance or a TLS port), then the nearest.
 *
 * How sure (docs/causes.md: "How sure a finding is"): many hosts run several
 * instances (6379, 6380 …), each with its own data. A refused port while
 * another port answers does not show the client has the wrong port: the
 * instance it should reach may simply be down, and pointing an application
 * at another instance's data is a harmful fix. So:
 *  - network evidence alone (the neighbour scan): `possible`;
 *  - the target answered at this address until recently (the monitor's
 *    history): `possible` — its clients' port was right a moment ago;
 *  - the host shows an instance configured for the typed port (its
 *    redis.conf, its unit) that is not running: `possible` (server-not-running
 *    says what is wrong);
 *  - the host shows Redis only on other ports, but its config files could not
 *    be read: `likely`;
 *  - the host shows Redis only on other ports and nothing configured for the
 *    typed one: `confirmed`;
 *  - but on a Docker host that runs Redis containers, or whose Docker the
 *    login could not read, `ss` does not show "Redis only on other ports":
 *    a container's Redis listens in the container's network namespace, and
 *    the one the client meant may be one that publishes no port: `possible`
 *    (container-port-not-published says which container).
 *
 * When the monitor's history argues against it (this target answered at this
 * very address until `lastAnsweredAt`), the finding carries
 * `details.historyAgainst` (that time): data that says "an unlikely
 * alternative", which reports show as a one-line note, not a second critical
 * with fixes that would move clients to another instance.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { Confidence, NeighbourScan, Observations, Remediation } from '../model/types.js';
import type { RemoteObservation } from '../remote/types.js';
import { dockerOf } from './helpers/containers.js';
import { commandOk, confsForPort, remoteOf } from './helpers/host.js';
import { hostWrongPort, wrongPortFromHost } from './helpers/host-evidence.js';
import { clip, hostPort, targetLabel } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

type Found = NeighbourScan['found'][number];

const CONVENTIONAL = new Set([6379, 6380, 6381]);
// Sentinel (26379) answers PING but holds no data, and 16379 is the cluster
// bus: never the port a client meant, unless it is right next to the typed one.
const NOT_DATA_PORTS = new Set([16379, 26379]);

export function rankNeighbours(found: readonly Found[], port: number, tls: boolean): Found[] {
  const key = (f: Found) => [
    Math.abs(f.port - port) === 1 ? 0 : 1,
    CONVENTIONAL.has(f.port) ? 0 : 1,
    (f.tls ?? false) === tls ? 0 : 1,
    Math.abs(f.port - port),
    f.port,
  ];
  return found
    .filter((f) => f.redis && f.port !== port && (!NOT_DATA_PORTS.has(f.port) || Math.abs(f.port - port) === 1))
    .sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
      return 0;
    });
}

/** The SSH host runs Redis containers, or has a Docker whose state the login could not read. */
function dockerHidesRedis(obs: Observations, remote: RemoteObservation): boolean {
  if (dockerOf(obs)?.containers.some((c) => c.redis)) return true;
  const ps = remote.commands.find((c) => c.id === 'docker-ps');
  return ps !== undefined && (ps.status === 'denied' || ps.status === 'failed' || ps.status === 'timeout');
}

/** Confidence under the policy above. */
export function wrongPortConfidence(obs: Observations, hostSaw: boolean): Confidence {
  if (obs.history?.lastAnsweredAt) return 'possible';
  if (!hostSaw) return 'possible';
  const remote = remoteOf(obs);
  if (!remote) return 'possible';
  if (confsForPort(remote, obs.target.port).length > 0) return 'possible';
  if (dockerHidesRedis(obs, remote)) return 'possible';
  return commandOk(remote, 'redis-conf') ? 'confirmed' : 'likely';
}

function caveats(obs: Observations, confidence: Confidence, hostSaw: boolean): string[] {
  if (confidence !== 'possible') return [];
  if (obs.history?.lastAnsweredAt) return [`this target answered at ${hostPort(obs.target.host, obs.target.port)} until ${obs.history.lastAnsweredAt}: its clients' port was right then — the instance there is more likely down than the port wrong`];
  if (!hostSaw) return ['nothing shows which instance the client meant: if this host runs several Redis instances, the one on this port may be down; do not point clients at another instance\'s data on this evidence'];
  const remote = remoteOf(obs);
  if (remote && dockerHidesRedis(obs, remote)) return ['this host runs Docker: a container\'s Redis listens inside the container, where ss does not look — the one the client meant may be a container that does not publish this port (see container-port-not-published)'];
  return ['an instance is configured for this port on the host but is not running: see server-not-running'];
}

function portFixes(obs: Observations, confidence: Confidence, port: number, tls: boolean | undefined): Remediation[] {
  const t = fixTarget(obs);
  const move = REMEDIATIONS['use-correct-port'](t, { port, ...(tls !== undefined ? { tls } : {}), sure: confidence !== 'possible' });
  return confidence === 'possible' ? [move, REMEDIATIONS['start-redis'](t)] : [move];
}

export const rule = defineRule({
  cause: 'wrong-port',
  impact: 'unusable',
  supersedes: ['connection-refused'],
  evaluate(obs) {
    // Host evidence (ss -ltnp over SSH) also finds ports the neighbour scan does not try.
    const onHost = hostWrongPort(obs);
    const confidence = wrongPortConfidence(obs, onHost !== undefined);
    const against: Record<string, string> = obs.history?.lastAnsweredAt ? { historyAgainst: obs.history.lastAnsweredAt } : {};
    const fromHost = () => {
      if (!onHost) return undefined;
      const f = wrongPortFromHost(obs, onHost, confidence);
      return { ...f, evidence: [...f.evidence, ...caveats(obs, confidence, true)], details: { ...f.details, ...against } };
    };
    if (obs.tcp?.ok !== false || obs.tcp.code !== 'ECONNREFUSED' || !obs.neighbours) return fromHost();
    const ranked = rankNeighbours(obs.neighbours.found, obs.target.port, obs.target.tls);
    const best = ranked[0];
    if (!best) return fromHost();
    const host = obs.tcp.address || obs.target.host;
    const evidence = [`TCP connect to ${targetLabel(obs)} was refused (ECONNREFUSED)`];
    for (const f of ranked.slice(0, 4)) {
      evidence.push(`Redis answers on ${hostPort(host, f.port)}${f.tls ? ' (TLS)' : ''}${f.reply ? `: ${clip(f.reply, 80)}` : ''}`);
    }
    evidence.push(`ports scanned: ${obs.neighbours.scanned.join(', ')}`);
    if (onHost) evidence.push(...onHost.evidence);
    evidence.push(...caveats(obs, confidence, onHost !== undefined));
    const others = ranked.slice(1).map((f) => f.port);
    const also = others.length ? ` (also ${others.join(', ')})` : '';
    return {
      severity: 'critical',
      confidence,
      title: confidence === 'possible'
        ? `Nothing listens on port ${obs.target.port}; another Redis answers on port ${best.port}${also} — a wrong port, or this instance is down`
        : `Nothing listens on port ${obs.target.port}; Redis answers on port ${best.port}${also}`,
      evidence,
      remediations: portFixes(obs, confidence, best.port, best.tls),
      details: { suggestedPort: best.port, ...(best.tls !== undefined ? { suggestedTls: best.tls } : {}), ...against },
    };
  },
});

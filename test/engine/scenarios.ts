/**
 * One literal observation per situation the network rules decide, built from
 * the fixtures: used by evaluate.test.ts for verdicts and for the
 * "no password anywhere" sweep.
 */
import type { Observations } from '../../src/engine/model/types.js';
import { allFail, err, healthy, INFO_COMMAND, refused, session, TEXT, withInfo } from './fixtures.js';
import { listener, refusedWith, remote } from './rules/remote-fixtures.js';
import { clusterDownObs, clusterObs, IDS, noReplicasObs, refusedNode, replicaObs, sentinelObs, staleTargetObs, topology } from './topology-fixtures.js';

const MB = 1024 * 1024;

function noInfo(obs: Observations): Observations {
  delete obs.info;
  return obs;
}

function failing(text: string): Observations {
  const obs = noInfo(healthy());
  obs.resp = allFail(text);
  return obs;
}

export const SCENARIOS: Record<string, () => Observations> = {
  healthy,
  'dns-resolution-failed': () => {
    const obs = healthy();
    obs.target = { input: 'cache.example.invalid', host: 'cache.example.invalid', port: 6379, tls: false };
    obs.dns = { lookedUp: true, ok: false, addresses: [], code: 'ENOTFOUND', durationMs: 5 };
    delete obs.tcp;
    delete obs.resp;
    return noInfo(obs);
  },
  'connection-refused': refused,
  'connection-timeout': () => {
    const obs = refused();
    obs.tcp = { ...obs.tcp!, code: 'ETIMEDOUT', durationMs: 2000 };
    return obs;
  },
  'host-unreachable': () => {
    const obs = refused();
    obs.tcp = { ...obs.tcp!, code: 'EHOSTUNREACH' };
    return obs;
  },
  'tls-mismatch': () => {
    const obs = noInfo(healthy());
    obs.resp = session([['PING', undefined]], { closedByServer: true, noReply: true, socketError: 'ECONNRESET' });
    obs.tlsSniff = { speaksTls: true, durationMs: 3 };
    return obs;
  },
  'tls-certificate-rejected': () => {
    const obs = noInfo(healthy());
    obs.target = { ...obs.target, input: 'rediss://10.0.0.5:6379', tls: true };
    obs.tls = {
      ok: false,
      durationMs: 3,
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
      message: 'self-signed certificate in certificate chain',
      authorized: false,
      authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN',
      serverCertificate: { subject: 'CN=cache.internal', issuer: 'CN=Example private CA' },
    };
    delete obs.resp;
    return obs;
  },
  'not-redis': () => {
    const obs = noInfo(healthy());
    obs.resp = session([['PING', undefined]], { nonResp: { excerpt: 'SSH-2.0-OpenSSH_9.6\\r\\n', looksLikeTls: false, looksLikeHttp: false } });
    return obs;
  },
  // With host evidence: ss shows the one redis-server on 6380 and nothing configured for 6379.
  // (From the neighbour scan alone wrong-port is only possible: rules/wrong-port.test.ts.)
  'wrong-port': () => {
    const obs = refusedWith(remote({ listeners: [listener('0.0.0.0', 6380, 'redis-server', 812)] }));
    obs.neighbours = { scanned: [6378, 6380], found: [{ port: 6380, redis: true, reply: '+PONG' }], durationMs: 3, truncated: false };
    return obs;
  },
  'bind-loopback-only': () => {
    const obs = refused();
    obs.loopback = { address: '127.0.0.1', port: 6379, redis: true, reply: '+PONG', durationMs: 1 };
    return obs;
  },
  'protected-mode': () => {
    const obs = noInfo(healthy());
    obs.resp = session([['PING', undefined]], { greeting: err(TEXT.denied), closedByServer: true });
    return obs;
  },
  'auth-required': () => failing(TEXT.noauth),
  'auth-failed': () => {
    const obs = noInfo(healthy());
    obs.client = { ...obs.client, authProvided: true, user: 'alice' };
    obs.resp = session([
      ['AUTH alice <redacted>', err(TEXT.wrongpass)],
      ['PING', err(TEXT.noauth)],
      [INFO_COMMAND, err(TEXT.noauth)],
    ]);
    return obs;
  },
  'acl-denied': () => failing(TEXT.nopermPing),
  'max-clients-reached': () => {
    const obs = noInfo(healthy());
    obs.resp = session([['PING', undefined]], { greeting: err(TEXT.maxClients), closedByServer: true });
    return obs;
  },
  'loading-dataset': () => withInfo(failing(TEXT.loading), { persistence: { loading: '1', loading_loaded_perc: '50.00', loading_eta_seconds: '3' } }),
  'busy-script': () => failing(TEXT.busyScript),
  'memory-limit-reached': () =>
    withInfo(healthy(), { memory: { used_memory: String(101 * MB), maxmemory: String(100 * MB), maxmemory_policy: 'noeviction' } }),
  'persistence-failing': () => {
    const obs = withInfo(healthy(), { persistence: { rdb_last_bgsave_status: 'err' } });
    obs.resp = session([
      ['PING', err(TEXT.misconf)],
      [INFO_COMMAND, { kind: 'string', text: '# Persistence' }],
    ]);
    return obs;
  },
  'replica-link-down': () =>
    withInfo(healthy(), { replication: { role: 'slave', master_host: '10.0.0.4', master_port: '6379', master_link_status: 'down', master_link_down_since_seconds: '9' } }),
  'fd-limit-too-low': () => withInfo(healthy(), { clients: { connected_clients: '5', maxclients: '992' } }),
  // Replicas, Sentinel and Cluster (test/engine/topology-fixtures.ts).
  'write-to-replica': () => replicaObs('write'),
  'not-enough-replicas': () => noReplicasObs(),
  'cluster-down': clusterDownObs,
  'cluster-client-required': () => {
    const obs = clusterObs();
    obs.topology!.expected = { cluster: false };
    return obs;
  },
  'announced-address-unreachable': () => {
    const obs = clusterObs();
    obs.topology!.cluster!.nodes[2] = { ...obs.topology!.cluster!.nodes[2]!, endpoint: '172.17.0.4' };
    obs.topology!.followed[1] = refusedNode('cluster-node', '172.17.0.4', 7002, { expectedId: IDS.c });
    return obs;
  },
  'sentinel-stale-master': staleTargetObs,
  'wrong-instance': () => {
    const obs = sentinelObs('nosuch');
    obs.topology!.sentinel!.masterAddr = null;
    delete obs.topology!.primary;
    return obs;
  },
  'commands-restricted': () => {
    const obs = noInfo(healthy());
    obs.resp = session([['PING', { kind: 'status', text: 'PONG' }], [INFO_COMMAND, err("ERR unknown command 'INFO', with args beginning with: 'server' ")]]);
    obs.topology = topology('unknown', { role: 'master', source: 'role', roleReply: 'master 0', commands: [{ command: 'ROLE', check: 'role', purpose: 'evidence', reply: { kind: 'array', text: 'master 0' }, durationMs: 1 }] });
    return obs;
  },
  // Issue #17: what a first-address client, a client outside the VPC, an old TLS client meet.
  'address-family-mismatch': () => {
    const obs = healthy();
    obs.target = { input: 'localhost:6379', host: 'localhost', port: 6379, tls: false };
    obs.client.remote = false;
    obs.dns = { lookedUp: true, ok: true, addresses: [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }], durationMs: 1 };
    obs.tcp = {
      ok: true, address: '127.0.0.1', port: 6379, durationMs: 1,
      attempts: [
        { address: '::1', family: 6, ok: false, code: 'ECONNREFUSED', durationMs: 1 },
        { address: '127.0.0.1', family: 4, ok: true, durationMs: 1 },
      ],
    };
    return obs;
  },
  'address-not-routable': () => {
    const obs = refused();
    obs.tcp = { ...obs.tcp!, code: 'ENETUNREACH', message: 'connect ENETUNREACH 10.0.0.5:6379' };
    obs.route = { address: '10.0.0.5', range: '10.0.0.0/8 (RFC 1918)', ok: false, code: 'ENETUNREACH', tableRead: true, durationMs: 1 };
    return obs;
  },
  'tls-client-compatibility': () => {
    const obs = healthy();
    obs.target.tls = true;
    obs.tls = { ok: true, durationMs: 2, protocol: 'TLSv1.3', authorized: true, variants: [{ kind: 'tls12', ok: false, code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', durationMs: 1 }] };
    return obs;
  },
  'slow-commands': () => {
    const obs = healthy();
    obs.slowlog = { nowSec: 1_765_000_000, clock: 'server', entries: [{ id: 4, at: 1_764_999_900, durationUs: 180_000, command: 'KEYS', shape: 'KEYS * (every key)', client: '10.0.0.9:53412' }] };
    return obs;
  },
};

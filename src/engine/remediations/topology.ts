/**
 * Fixes for replicas, Sentinel and Cluster: the client talks to the wrong
 * node, or to the right node the wrong way. Client examples are the common
 * libraries' documented entry points (redis-py, ioredis, node-redis, Jedis,
 * Lettuce, go-redis, StackExchange.Redis); every host and port is the one
 * the diagnosis saw, passwords stay placeholders.
 */
import type { Remediation } from '../model/types.js';
import { urlHost } from '../shared/address.js';
import { inertText, isSafeHost, isSafePort, isSafeRedisName } from '../shared/shell-words.js';
import { cli, type FixTarget, rerun, safeHost, url } from './fix-target.js';

const hp = (host: string, port: number) => `${urlHost(host)}:${port}`;

/**
 * A `host:port` a server named (hello messages, SENTINEL replies, CLUSTER NODES), split, when
 * both halves pass the grammar of a command argument; anything else never reaches a step.
 */
function splitAddress(address: string): { host: string; port: string } | undefined {
  const m = address.length <= 270 ? /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(address) : null;
  return m && isSafeHost(m[1]!) && isSafePort(m[2]!) ? { host: m[1]!, port: m[2]! } : undefined;
}

/** The Sentinel a client should ask, for the examples: the first one known, else a placeholder. */
function sentinelOf(p: { sentinels?: string[] }): { host: string; port: string } {
  const first = p.sentinels?.map(splitAddress).find(Boolean);
  return first ?? { host: '<sentinel-host>', port: '26379' };
}

/** A Sentinel master name for commands and client code: Sentinel replies are server text. */
function masterName(name: string | undefined): string {
  return name !== undefined && isSafeRedisName(name) ? name : '<master-name>';
}

export const topologyFixes = {
  'use-primary-address': (t: FixTarget, p: { primaryHost?: string; primaryPort?: number; source?: string } = {}): Remediation => {
    const host = safeHost(p.primaryHost);
    const primary = host ? { ...t, host, port: p.primaryPort !== undefined && isSafePort(p.primaryPort) ? p.primaryPort : 6379 } : undefined;
    const where = primary ? hp(primary.host, primary.port) : '<primary-host>:<port>';
    return {
      id: 'use-primary-address',
      title: primary ? `Send writes to the primary, ${where}` : 'Send writes to the primary, not to this replica',
      risk: 'low',
      mode: 'guided',
      steps: [
        `Confirm which node is the primary now${p.source ? ` (${inertText(p.source, 'the evidence')} says ${where})` : ''}: ${primary ? cli(primary) : 'redis-cli -h <primary-host> -p <port>'} ROLE — the first word must be "master".`,
        `Point the writers at it: ${primary ? url(primary) : 'redis://<primary-host>:<port>'} in REDIS_URL / REDIS_HOST (the application's configuration), then restart or reconnect them.`,
        'A fixed primary address goes stale at the next failover: behind Sentinel use a Sentinel-aware client (use-sentinel-client), behind a cluster a cluster client; with a DNS name or a load balancer in front, make it follow the primary (it must not keep sending writers to a demoted one).',
        `Readers may stay on ${hp(t.host, t.port)}: replicas serve reads, slightly behind the primary (master_last_io_seconds_ago, slave_repl_offset in INFO replication).`,
      ],
      verify: rerun(primary ?? t, 'the target is role:master and no -READONLY is expected.'),
    };
  },

  'use-sentinel-client': (t: FixTarget, p: { master?: string; sentinels?: string[] } = {}): Remediation => {
    const name = masterName(p.master);
    const s = sentinelOf(p);
    const known = (p.sentinels ?? []).filter((a) => splitAddress(a));
    const list = known.length ? known.join(', ') : `${s.host}:${s.port}`;
    return {
      id: 'use-sentinel-client',
      title: `Let the client ask Sentinel for the primary of "${name}"`,
      risk: 'low',
      mode: 'guided',
      steps: [
        `Ask a Sentinel what it hands out: redis-cli -h ${s.host} -p ${s.port} SENTINEL GET-MASTER-ADDR-BY-NAME ${name} (and SENTINEL REPLICAS ${name}); the Sentinels known: ${list}.`,
        `redis-py: Sentinel([('${s.host}', ${s.port})], socket_timeout=0.5).master_for('${name}', password=os.environ['REDIS_PASSWORD']) (slave_for for reads).`,
        `ioredis: new Redis({ sentinels: [{ host: '${s.host}', port: ${s.port} }], name: '${name}', password: process.env.REDIS_PASSWORD }) (sentinelPassword when the Sentinels have their own).`,
        `Jedis: new JedisSentinelPool("${name}", Set.of("${s.host}:${s.port}")); Lettuce: RedisURI.Builder.sentinel("${s.host}", ${s.port}, "${name}").build(), or redis-sentinel://${s.host}:${s.port}#${name}.`,
        `go-redis: redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "${name}", SentinelAddrs: []string{"${s.host}:${s.port}"}}); StackExchange.Redis: "${s.host}:${s.port},serviceName=${name}".`,
        'List two or more Sentinels in the client (it tries the next when one is down), and keep the data password and any Sentinel password apart (requirepass on the Sentinels is their own).',
        `redis-doctor: a config target with url redis://${s.host}:${s.port} and sentinelMaster: ${name} diagnoses the primary the Sentinels name.`,
      ],
      verify: rerun(t, `the Sentinels name one primary for ${name} and it answers as role:master.`),
    };
  },

  'repair-sentinel-quorum': (t: FixTarget, p: { master?: string; sentinel?: string } = {}): Remediation => {
    const name = masterName(p.master);
    const s = sentinelOf({ ...(p.sentinel ? { sentinels: [p.sentinel] } : {}) });
    return {
      id: 'repair-sentinel-quorum',
      title: `Get the Sentinels of "${name}" back into agreement`,
      risk: 'medium',
      mode: 'guided',
      steps: [
        `On every Sentinel: redis-cli -h <sentinel> -p 26379 SENTINEL GET-MASTER-ADDR-BY-NAME ${name} and SENTINEL CKQUORUM ${name}; compare the answers and config-epoch in SENTINEL MASTER ${name}.`,
        `Each Sentinel must reach the others on their port (26379 by default) and every node of ${name}: redis-cli -h ${s.host} -p ${s.port} SENTINEL SENTINELS ${name} lists the peers it knows; a missing peer usually means a firewall or a wrong "sentinel announce-ip".`,
        'Run at least three Sentinels on separate hosts; the quorum (sentinel monitor … <quorum>) must not exceed their number, and a failover also needs a majority of all Sentinels to authorise it.',
        `After removing or replacing Sentinels: SENTINEL RESET ${name} on each, one at a time, 30 s apart, so they forget the gone ones and rediscover each other.`,
        `Set the quorum if needed: SENTINEL SET ${name} quorum 2.`,
      ],
      verify: rerun(t, `SENTINEL CKQUORUM ${name} answers +OK and every Sentinel names the same primary.`),
    };
  },

  'use-cluster-client': (t: FixTarget): Remediation => {
    const seed = hp(t.host, t.port);
    return {
      id: 'use-cluster-client',
      title: `Use a cluster-aware client for ${seed}`,
      risk: 'low',
      mode: 'guided',
      steps: [
        `This is a Redis Cluster node: a plain client gets -MOVED <slot> <host>:<port> for keys served elsewhere (and -ASK during resharding). Try it: redis-cli -c -h ${t.host} -p ${t.port} GET somekey (-c follows redirects).`,
        `redis-py: RedisCluster(host='${t.host}', port=${t.port}); ioredis: new Redis.Cluster([{ host: '${t.host}', port: ${t.port} }]); node-redis: createCluster({ rootNodes: [{ url: '${url({ ...t, db: undefined })}' }] }).`,
        `Jedis: new JedisCluster(Set.of(new HostAndPort("${t.host}", ${t.port}))); Lettuce: RedisClusterClient.create("${url({ ...t, db: undefined, authProvided: false })}"); go-redis: redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"${seed}"}}).`,
        'A cluster has database 0 only: drop /<db> from the URL and any SELECT (the server answers "SELECT is not allowed in cluster mode").',
        'Commands over several keys need them in one slot: give them a common hash tag, {user:42}:profile and {user:42}:cart.',
      ],
      verify: rerun({ ...t, db: undefined }, 'no SELECT error; the client follows -MOVED.'),
    };
  },

  'use-standalone-client': (t: FixTarget): Remediation => ({
    id: 'use-standalone-client',
    title: `Turn cluster mode off in the client: ${hp(t.host, t.port)} is not a cluster`,
    risk: 'low',
    mode: 'guided',
    steps: [
      `The server has cluster support disabled: a cluster client's CLUSTER SLOTS / CLUSTER SHARDS on connect gets "-ERR This instance has cluster support disabled". Check: ${cli(t)} INFO server | grep redis_mode (standalone or sentinel).`,
      `Use the plain client: redis-py Redis.from_url('${url(t)}') instead of RedisCluster; ioredis new Redis('${url(t)}') instead of Redis.Cluster; node-redis createClient instead of createCluster; Jedis JedisPooled instead of JedisCluster; go-redis redis.NewClient instead of NewClusterClient.`,
      'Or point the client at the cluster it was meant for (a cluster node shows redis_mode:cluster in INFO server).',
    ],
    verify: rerun(t, 'the client connects without cluster errors.'),
  }),

  'fix-announced-address': (t: FixTarget, p: { kind?: 'cluster' | 'replica' | 'sentinel-primary'; node?: string; address?: string } = {}): Remediation => {
    const node = inertText(p.node, '<node>');
    const announced = inertText(p.address, '<announced-address>');
    const steps = p.kind === 'cluster'
      ? [
          `On ${node}: redis-cli -h <node-host> -p <port> CONFIG GET cluster-announce-* — it hands clients ${announced}; clients (and the other nodes) must be able to reach that address.`,
          'Announce the address clients reach: CONFIG SET cluster-announce-ip <reachable-ip> (and cluster-announce-port / cluster-announce-bus-port when a NAT or Docker maps the ports), then CONFIG REWRITE; the new address spreads through the cluster bus within seconds.',
          'Docker: run the nodes with --net=host, or announce the host\'s IP with the published client and bus ports (-p 7000:7000 -p 17000:17000). Kubernetes: announce the pod IP (--cluster-announce-ip $(POD_IP)) and run clients inside the cluster network.',
          'With names instead of addresses (7.0): cluster-announce-hostname <name> and cluster-preferred-endpoint-type hostname, so CLUSTER SHARDS and -MOVED hand out the name.',
          'An empty or "?" endpoint (cluster-preferred-endpoint-type unknown-endpoint, or a hostname type with no hostname set) tells clients to reuse the address they connected to: set the endpoint type back to ip, or set the hostnames.',
        ]
      : [
          ...(p.kind === 'sentinel-primary'
            ? ['Sentinel hands out the primary\'s address from its "sentinel monitor <name> <ip> <port>" line, and after a failover the promoted replica\'s announced address: check both (SENTINEL MASTER <name> on each Sentinel shows what it holds).']
            : []),
          `On ${node}: redis-cli -h <replica-host> -p <port> CONFIG GET replica-announce-* — the replica tells its primary (and the Sentinels learn from the primary) to hand out ${announced}.`,
          'Announce what clients reach: CONFIG SET replica-announce-ip <reachable-ip> (replica-announce-port behind a port mapping), then CONFIG REWRITE; or clear it (empty) to let the primary use the address the replica connects from.',
          'Sentinels hand out what they learned: with hostnames, sentinel resolve-hostnames yes and sentinel announce-hostnames yes; a Sentinel behind NAT needs sentinel announce-ip / announce-port for its own address.',
          'Docker and NAT: announce the host\'s address and the published port, or use --net=host; otherwise clients outside get an internal 172.17.x.x address that only the container network routes.',
        ];
    return {
      id: 'fix-announced-address',
      title: `Make ${node} announce an address clients can reach (not ${announced})`,
      risk: 'medium',
      mode: 'guided',
      steps: [...steps, `Or make ${announced} reachable from the clients (route, VPN, peering, a firewall rule that admits them) if it is the right address.`],
      verify: rerun(t, 'every address handed to clients connects.'),
    };
  },

  'forget-gone-replica': (t: FixTarget, p: { master?: string; replica?: string } = {}): Remediation => {
    const name = masterName(p.master);
    const replica = p.replica && splitAddress(p.replica) ? p.replica : undefined;
    return {
      id: 'forget-gone-replica',
      title: `Let the Sentinels forget ${replica ? `replica ${replica}` : 'a replica that is gone'}`,
      risk: 'low',
      mode: 'guided',
      steps: [
        `If the replica should still exist, start it (and see replica-link-down if its link does not come up); Sentinel notices it within seconds.`,
        `If it is gone for good: SENTINEL RESET ${name} on every Sentinel, one at a time, about 30 s apart — each forgets the replicas and Sentinels it cannot reach now and rediscovers the rest from the primary.`,
        `Check: redis-cli -h ${t.host} -p ${t.port} SENTINEL REPLICAS ${name} no longer lists it.`,
      ],
      verify: rerun(t, 'no replica flagged down in SENTINEL REPLICAS.'),
    };
  },

  'open-cluster-bus-port': (t: FixTarget, p: { node?: string; busPort?: number } = {}): Remediation => {
    const bus = p.busPort !== undefined && isSafePort(p.busPort) ? p.busPort : t.port + 10000;
    const node = p.node !== undefined ? inertText(p.node, '<node>') : undefined;
    return {
      id: 'open-cluster-bus-port',
      title: `Let the cluster nodes reach each other's bus port (${bus})`,
      risk: 'medium',
      mode: 'guided',
      steps: [
        `Each node gossips and votes over its cluster bus port: the client port + 10000 (${bus} for ${node ?? `port ${t.port}`}) unless cluster-port sets another. A node whose bus the others cannot reach is flagged fail? then fail, and its slots go down.`,
        `From another node: nc -vz ${(p.node ? splitAddress(p.node)?.host : undefined) ?? '<node-host>'} ${bus} — a refusal or a hang here is the problem.`,
        `Allow TCP ${bus} (and every node's bus port) between all cluster nodes: sudo ufw allow from <node-subnet> to any port ${bus} proto tcp; or sudo iptables -I INPUT -p tcp -s <node-subnet> --dport ${bus} -j ACCEPT; cloud: the security group / NSG of every node.`,
        'Docker: publish the bus port too (-p 17000:17000), and announce it (cluster-announce-bus-port) when it is mapped to another number.',
        `Then: redis-cli --cluster check ${hp(t.host, t.port)} — every node connected, all 16384 slots covered.`,
      ],
      verify: rerun(t, 'cluster_state:ok and no node flagged fail.'),
    };
  },

  'restore-cluster-node': (t: FixTarget, q: { node?: string } = {}): Remediation => {
    const node = q.node !== undefined ? inertText(q.node, '<node>') : undefined;
    return {
      id: 'restore-cluster-node',
      title: node ? `Bring cluster node ${node} back, or fail its slots over` : 'Bring the failed cluster node back, or fail its slots over',
      risk: 'medium',
      mode: 'guided',
      steps: [
        `See what the cluster sees: redis-cli -h ${t.host} -p ${t.port} CLUSTER NODES (flags fail / fail?, link-state disconnected) and redis-cli --cluster check ${hp(t.host, t.port)}.`,
        `On ${node ?? 'the failed node'}'s host: sudo systemctl status redis-server (or the container), and its log for the reason it stopped; start it again: it rejoins with its nodes.conf and takes its slots back.`,
        'If it has a replica, the cluster promotes it after cluster-node-timeout once a majority of masters agree; a forced promotion from the replica: redis-cli -h <replica> -p <port> CLUSTER FAILOVER FORCE (TAKEOVER only when most masters are gone too).',
        'A node lost for good with no replica: its slots hold no data anywhere — redis-cli --cluster fix assigns them to the other masters (empty), and CLUSTER FORGET <node-id> on every node removes it.',
        'Give every master a replica (redis-cli --cluster add-node --cluster-slave) so one lost node does not take the cluster down.',
      ],
      verify: rerun(t, 'cluster_state:ok and cluster_slots_fail:0.'),
    };
  },

  'assign-cluster-slots': (t: FixTarget, p: { unassigned?: number } = {}): Remediation => ({
    id: 'assign-cluster-slots',
    title: p.unassigned ? `Assign the ${p.unassigned} hash slots no node serves` : 'Assign the hash slots no node serves',
    risk: 'high',
    mode: 'guided',
    steps: [
      `Find them: redis-cli --cluster check ${hp(t.host, t.port)} ("[ERR] Not all 16384 slots are covered by nodes") and CLUSTER SHARDS / CLUSTER SLOTS for the ranges that are served.`,
      `A new cluster: create it with slots, redis-cli --cluster create <host1:port1> <host2:port2> <host3:port3> --cluster-replicas 1; a single node: ${cli(t)} CLUSTER ADDSLOTSRANGE 0 16383.`,
      `Slots lost with a node: redis-cli --cluster fix ${hp(t.host, t.port)} gives the uncovered slots to the remaining masters — empty: their keys are gone unless the lost node comes back (restore-cluster-node first if it can).`,
      'By hand, on the master that should own a range: CLUSTER ADDSLOTSRANGE <start> <end>; then every node learns it through the bus.',
      'With cluster-require-full-coverage yes (the default) any unserved slot stops the whole cluster; no keeps serving the covered slots, and only keys of the missing ones get "-CLUSTERDOWN Hash slot not served".',
    ],
    verify: rerun(t, 'cluster_slots_assigned:16384 and cluster_state:ok.'),
  }),

  'restore-replicas': (t: FixTarget, p: { needed?: number; good?: number; maxLag?: number } = {}): Remediation => ({
    id: 'restore-replicas',
    title: p.needed !== undefined ? `Bring back ${p.needed} good replica${p.needed === 1 ? '' : 's'} (${p.good ?? 0} now)` : 'Bring back the replicas min-replicas-to-write asks for',
    risk: 'medium',
    mode: 'guided',
    steps: [
      `${cli(t)} INFO replication — slaveN lines list the connected replicas with state and lag; a good replica is online with lag ≤ min-replicas-max-lag${p.maxLag !== undefined ? ` (${p.maxLag} s)` : ''}.`,
      'Start the missing replicas, and on each: INFO replication must show master_link_status:up (see replica-link-down for a link that does not come up: masterauth, network, sync errors in its log).',
      'A replica that lags: look at its load, the network between the two, and repl-backlog-size; lag is seconds since its last acknowledgement.',
    ],
    verify: rerun(t, 'min_slaves_good_slaves reaches min-replicas-to-write; writes are accepted.'),
  }),

  'lower-min-replicas': (t: FixTarget, p: { to?: number } = {}): Remediation => {
    const to = p.to ?? 0;
    return {
      id: 'lower-min-replicas',
      title: `Accept writes with ${to} good replica${to === 1 ? '' : 's'} (min-replicas-to-write ${to}; stop-gap)`,
      risk: 'high',
      mode: 'automatic',
      redisCommand: ['CONFIG', 'SET', 'min-replicas-to-write', String(to)],
      steps: [
        'Warning: min-replicas-to-write is what limits the writes a failover can lose; lowering it accepts writes that may exist on the primary alone. Restore the replicas (restore-replicas) and set it back.',
        `${cli(t)} CONFIG SET min-replicas-to-write ${to}`,
      ],
      verify: rerun(t, 'no not-enough-replicas finding; writes accepted.'),
    };
  },

  'identify-instance': (t: FixTarget, p: { expected?: string } = {}): Remediation => ({
    id: 'identify-instance',
    title: `Find out which Redis answers at ${hp(t.host, t.port)}`,
    risk: 'low',
    mode: 'guided',
    steps: [
      `${cli(t)} INFO server — run_id, process_id, executable, config_file, tcp_port and redis_mode say which instance this is${p.expected ? `; the client expected ${inertText(p.expected, 'another instance')}` : ''}.`,
      `On ${t.host}: sudo ss -ltnp 'sport = :${t.port}' names the process that owns the port; a local redis-server there shadows a container that publishes the same port on another address (docker ps --format '{{.Names}} {{.Ports}}').`,
      'Compare with the instance the client is meant for (its host, port, password and data: INFO keyspace); correct the client\'s host/port (REDIS_URL), or stop or rebind the instance that should not be there.',
    ],
    verify: rerun(t, 'the instance that answers is the one the client is configured for.'),
  }),

  'allow-diagnostic-commands': (t: FixTarget, p: { commands?: string[] } = {}): Remediation => {
    const commands = p.commands?.length ? p.commands : ['CONFIG GET'];
    return {
      id: 'allow-diagnostic-commands',
      title: `Let the diagnosis read ${commands.join(', ')} (or accept the gap)`,
      risk: 'low',
      mode: 'guided',
      steps: [
        `The server does not run ${commands.join(', ')} for this client: renamed or disabled (rename-command in redis.conf), or refused by an ACL. Managed services (ElastiCache, MemoryStore, Azure Cache) disable CONFIG and some CLUSTER/SENTINEL subcommands on purpose: then read the same settings in the service's console or API.`,
        `Self-managed, with ACLs: allow the read-only subcommands only, e.g. ACL SETUSER <doctor-user> +config|get +cluster|info +cluster|shards +cluster|nodes +info +role (never +config|set).`,
        `Or run redis-doctor on the Redis host with an admin account (${cli({ ...t, authProvided: true })}) when the renamed command is only known there.`,
      ],
      verify: rerun(t, 'the commands-restricted finding is gone, or lists only what you chose to keep disabled.'),
    };
  },
} as const;

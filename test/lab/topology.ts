/**
 * Replicas, Sentinels and clusters of real redis-server processes on
 * loopback, each builder waiting (bounded) until the state took hold:
 *
 *   const replica = await startReplica(primary);                 // master_link_status:up
 *   const sentinel = await startSentinel(primary, { masterName: 'mymaster' });
 *   const cluster = await startCluster(3);                       // cluster_state:ok on every node
 *   … cluster.stop();
 *
 * Fast settings for tests: cluster-node-timeout 1000 ms, Sentinel
 * down-after-milliseconds 2000 and `SENTINEL DEBUG info-period 200
 * publish-period 500` (Sentinel refreshes INFO and says hello more often, so
 * failovers and discovery settle in a second or two instead of ten).
 */
import { pollUntil } from './poll.js';
import { startRedis, type RedisOptions, type RedisServer } from './redis.js';

const SLOTS = 16384;

export const NODE_TIMEOUT_MS = 1000;
const DOWN_AFTER_MS = 2000;

function field(text: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1]?.trim();
}

export async function waitForLink(replica: RedisServer, timeoutMs = 10_000): Promise<void> {
  await pollUntil(async () => (field(await replica.cli('INFO', 'replication'), 'master_link_status') === 'up' ? true : undefined), {
    what: `replica ${replica.port}'s link to come up`,
    timeoutMs,
  });
}

/** A replica of `primary`, its link up. Diskless sync without the 5 s wait for more replicas. */
export async function startReplica(primary: RedisServer, options: RedisOptions = {}): Promise<RedisServer> {
  const replica = await startRedis({ ...options, args: ['--replicaof', primary.host, String(primary.port), ...(options.args ?? [])] });
  try {
    await waitForLink(replica);
  } catch (error) {
    await replica.stop();
    throw error;
  }
  return replica;
}

/** A primary whose replicas sync at once (repl-diskless-sync-delay 0). */
export function startPrimary(options: RedisOptions = {}): Promise<RedisServer> {
  return startRedis({ ...options, args: ['--repl-diskless-sync-delay', '0', ...(options.args ?? [])] });
}

export interface SentinelOptions {
  masterName?: string;
  quorum?: number;
  downAfterMs?: number;
}

/** A Sentinel monitoring `primary` (its config in its own temp dir: Sentinel rewrites it). */
export async function startSentinel(primary: RedisServer, options: SentinelOptions = {}): Promise<RedisServer> {
  const name = options.masterName ?? 'mymaster';
  const config = [
    `sentinel monitor ${name} ${primary.host} ${primary.port} ${options.quorum ?? 1}`,
    `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? DOWN_AFTER_MS}`,
    `sentinel failover-timeout ${name} 10000`,
    '',
  ].join('\n');
  const sentinel = await startRedis({ sentinelConfig: config });
  try {
    await sentinel.cli('SENTINEL', 'DEBUG', 'info-period', '200', 'publish-period', '500');
    await pollUntil(async () => (/^master0:name=.*status=ok/m.test(await sentinel.cli('INFO', 'sentinel')) ? true : undefined), {
      what: `Sentinel ${sentinel.port} to see ${name} up`,
      timeoutMs: 10_000,
    });
  } catch (error) {
    await sentinel.stop();
    throw error;
  }
  return sentinel;
}

/** The primary's address as the Sentinel names it. */
export async function sentinelPrimary(sentinel: RedisServer, name = 'mymaster'): Promise<string> {
  return (await sentinel.cli('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)).split('\n').join(':');
}

export interface Cluster {
  nodes: RedisServer[];
  /** The node ids, in the order of `nodes`. */
  ids: string[];
  stop(): Promise<void>;
}

export function clusterArgs(extra: string[] = []): string[] {
  return ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(NODE_TIMEOUT_MS), ...extra];
}

export async function clusterState(node: RedisServer): Promise<string | undefined> {
  return field(await node.cli('CLUSTER', 'INFO'), 'cluster_state');
}

/**
 * `count` masters, the 16384 slots split evenly (CLUSTER ADDSLOTSRANGE),
 * joined with CLUSTER MEET, and waited for until every node says
 * cluster_state:ok and knows every other.
 */
export async function startCluster(count: number, options: RedisOptions = {}): Promise<Cluster> {
  const nodes: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop({ graceMs: 0 })));
  };
  try {
    for (let i = 0; i < count; i++) nodes.push(await startRedis({ ...options, args: clusterArgs(options.args) }));
    const per = Math.floor(SLOTS / count);
    for (let i = 0; i < count; i++) {
      const first = i * per;
      const last = i === count - 1 ? SLOTS - 1 : first + per - 1;
      await nodes[i]!.cli('CLUSTER', 'ADDSLOTSRANGE', String(first), String(last));
    }
    for (const n of nodes.slice(1)) await nodes[0]!.cli('CLUSTER', 'MEET', n.host, String(n.port));
    await pollUntil(
      async () => {
        for (const n of nodes) {
          if ((await clusterState(n)) !== 'ok') return undefined;
          if (field(await n.cli('CLUSTER', 'INFO'), 'cluster_known_nodes') !== String(count)) return undefined;
        }
        return true;
      },
      { what: `a ${count}-node cluster to be ok`, timeoutMs: 15_000, intervalMs: 50 },
    );
    const ids = await Promise.all(nodes.map(async (n) => (await n.cli('CLUSTER', 'MYID')).trim()));
    return { nodes, ids, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What `observer` lists for node `id` in CLUSTER NODES: its address field and flags. */
export async function clusterView(observer: RedisServer, id: string): Promise<{ address: string; flags: string } | undefined> {
  const line = (await observer.cli('CLUSTER', 'NODES')).split('\n').find((l) => l.startsWith(id));
  const [, address, flags] = line?.split(' ') ?? [];
  return address && flags ? { address, flags } : undefined;
}

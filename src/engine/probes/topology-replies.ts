/**
 * Replies of the topology commands → plain data. Shapes (Redis 7.0):
 *
 *   SENTINEL MASTERS / REPLICAS / SENTINELS   an array of flat field/value arrays:
 *     [name mymaster ip 10.0.0.5 port 6379 runid … flags master … num-slaves 2 …]   (sentinel.c, addReplySentinelRedisInstance)
 *   SENTINEL GET-MASTER-ADDR-BY-NAME <name>   [ip, port], or a null array for an unknown name
 *   SENTINEL CKQUORUM <name>                  +OK 3 usable Sentinels. Quorum and failover authorization can be reached
 *                                             -NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master …
 *   CLUSTER INFO                              cluster_state:ok\r\ncluster_slots_assigned:16384 …   (cluster.c)
 *   CLUSTER SHARDS (7.0+)                     [[slots [0 5460] nodes [[id … port 7000 ip 10.0.0.5 endpoint 10.0.0.5 role master … health online]]] …]
 *   CLUSTER SLOTS (older)                     [[0 5460 [ip port id] [replica ip port id] …] …]
 *   CLUSTER NODES                             <id> <ip:port@cport[,hostname]> <flags> <master|-> <ping> <pong> <epoch> <link-state> <slots…>
 *   CONFIG GET <pattern>                      [name value name value …]
 *   __sentinel__:hello message                <ip>,<port>,<runid>,<epoch>,<master name>,<master ip>,<master port>,<master epoch>
 * Anything malformed yields what could be read, never an exception: a
 * server that answers oddly must not break the diagnosis.
 */
import type { ClusterNodeEntry, SentinelHello, SentinelMasterEntry, SentinelPeerEntry } from '../model/topology.js';
import type { RespNode } from './resp-parser.js';
import { dict } from '../shared/dict.js';

/** A flat [key, value, key, value …] array → key → node. */
export function pairs(node: RespNode | undefined): Map<string, RespNode> {
  const out = new Map<string, RespNode>();
  const items = node?.items ?? [];
  for (let i = 0; i + 1 < items.length; i += 2) out.set(items[i]!.text, items[i + 1]!);
  return out;
}

function num(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  return Number(text);
}

function flags(text: string | undefined): string[] {
  return (text ?? '').split(',').map((f) => f.trim()).filter(Boolean);
}

function isList(node: RespNode | undefined): node is RespNode & { items: RespNode[] } {
  return node?.kind === 'array' && Array.isArray(node.items);
}

export function parseSentinelMasters(node: RespNode | undefined): SentinelMasterEntry[] | undefined {
  if (!isList(node)) return undefined;
  return node.items.map((entry) => {
    const f = pairs(entry);
    const get = (k: string) => f.get(k)?.text;
    const out: SentinelMasterEntry = { name: get('name') ?? '', host: get('ip') ?? '', port: num(get('port')) ?? 0, flags: flags(get('flags')) };
    const runId = get('runid');
    if (runId) out.runId = runId;
    const slaves = num(get('num-slaves'));
    if (slaves !== undefined) out.numSlaves = slaves;
    const others = num(get('num-other-sentinels'));
    if (others !== undefined) out.numOtherSentinels = others;
    const quorum = num(get('quorum'));
    if (quorum !== undefined) out.quorum = quorum;
    const failover = get('failover-state');
    if (failover) out.failoverState = failover;
    return out;
  });
}

export function parseSentinelPeers(node: RespNode | undefined): SentinelPeerEntry[] | undefined {
  if (!isList(node)) return undefined;
  return node.items.map((entry) => {
    const f = pairs(entry);
    const get = (k: string) => f.get(k)?.text;
    const out: SentinelPeerEntry = { host: get('ip') ?? '', port: num(get('port')) ?? 0, flags: flags(get('flags')) };
    const runId = get('runid');
    if (runId) out.runId = runId;
    const link = get('master-link-status');
    if (link) out.masterLinkStatus = link;
    const masterHost = get('master-host');
    if (masterHost) out.masterHost = masterHost;
    const masterPort = num(get('master-port'));
    if (masterPort !== undefined) out.masterPort = masterPort;
    return out;
  });
}

/** [ip, port] → the address; a null reply → null (no such master); anything else → undefined. */
export function parseMasterAddr(node: RespNode | undefined): { host: string; port: number } | null | undefined {
  if (!node) return undefined;
  if (node.kind === 'null') return null;
  if (!isList(node) || node.items.length < 2) return undefined;
  const port = num(node.items[1]!.text);
  return port === undefined ? undefined : { host: node.items[0]!.text, port };
}

export function parseCkquorum(node: RespNode | undefined): { ok: boolean; text: string } | undefined {
  if (!node) return undefined;
  if (node.kind === 'status') return { ok: true, text: `+${node.text}` };
  if (node.kind === 'error') return { ok: false, text: `-${node.text}` };
  return undefined;
}

/** `field:value` lines (CLUSTER INFO) → fields. */
export function parseFieldLines(text: string): Record<string, string> {
  const out = dict<string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const colon = line.indexOf(':');
    if (colon > 0) out[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}

export function parseConfigGet(node: RespNode | undefined): Record<string, string> | undefined {
  if (!isList(node)) return undefined;
  return Object.fromEntries([...pairs(node)].map(([k, v]) => [k, v.text]));
}

function slotPairs(items: RespNode[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < items.length; i += 2) {
    const start = num(items[i]!.text);
    const end = num(items[i + 1]!.text);
    if (start !== undefined && end !== undefined) out.push([start, end]);
  }
  return out;
}

function roleOf(text: string | undefined): 'master' | 'replica' {
  return text === 'master' ? 'master' : 'replica';
}

export function parseClusterShards(node: RespNode | undefined): ClusterNodeEntry[] | undefined {
  if (!isList(node)) return undefined;
  const out: ClusterNodeEntry[] = [];
  for (const shard of node.items) {
    const s = pairs(shard);
    const slots = slotPairs(s.get('slots')?.items ?? []);
    const nodes = s.get('nodes')?.items ?? [];
    const master = nodes.map((n) => pairs(n)).find((f) => f.get('role')?.text === 'master')?.get('id')?.text;
    for (const n of nodes) {
      const f = pairs(n);
      const get = (k: string) => f.get(k)?.text;
      const role = roleOf(get('role'));
      const entry: ClusterNodeEntry = {
        id: get('id') ?? '',
        endpoint: get('endpoint') ?? get('ip') ?? '',
        port: num(get('port')) ?? num(get('tls-port')) ?? 0,
        role,
        flags: [],
        slots: role === 'master' ? slots : [],
        myself: false,
      };
      const ip = get('ip');
      if (ip !== undefined) entry.ip = ip;
      const hostname = get('hostname');
      if (hostname) entry.hostname = hostname;
      const tlsPort = num(get('tls-port'));
      if (tlsPort !== undefined) entry.tlsPort = tlsPort;
      const health = get('health');
      if (health) entry.health = health;
      if (role === 'replica' && master) entry.masterId = master;
      out.push(entry);
    }
  }
  return out;
}

/** CLUSTER SLOTS: [start, end, [endpoint, port, id, …], replicas …] per range. */
export function parseClusterSlots(node: RespNode | undefined): ClusterNodeEntry[] | undefined {
  if (!isList(node)) return undefined;
  const byId = new Map<string, ClusterNodeEntry>();
  for (const range of node.items) {
    const items = range.items ?? [];
    const start = num(items[0]?.text);
    const end = num(items[1]?.text);
    items.slice(2).forEach((n, i) => {
      const [endpoint, port, id] = (n.items ?? []).map((x) => x.text);
      const key = id ?? `${endpoint}:${port}`;
      let entry = byId.get(key);
      if (!entry) {
        entry = { id: id ?? '', endpoint: endpoint ?? '', port: num(port) ?? 0, role: i === 0 ? 'master' : 'replica', flags: [], slots: [], myself: false };
        byId.set(key, entry);
      }
      if (i === 0 && start !== undefined && end !== undefined) entry.slots.push([start, end]);
    });
  }
  return [...byId.values()];
}

/** `ip:port@cport[,hostname]`; IPv6 addresses are printed without brackets, so split at the last colon. */
function parseNodeAddress(text: string): { ip: string; port: number; busPort?: number; hostname?: string } {
  const [address = '', hostname] = text.split(',', 2);
  const at = address.indexOf('@');
  const hostPort = at >= 0 ? address.slice(0, at) : address;
  const colon = hostPort.lastIndexOf(':');
  const out: { ip: string; port: number; busPort?: number; hostname?: string } = {
    ip: colon >= 0 ? hostPort.slice(0, colon) : hostPort,
    port: num(colon >= 0 ? hostPort.slice(colon + 1) : '') ?? 0,
  };
  const bus = at >= 0 ? num(address.slice(at + 1)) : undefined;
  if (bus !== undefined) out.busPort = bus;
  if (hostname) out.hostname = hostname;
  return out;
}

export function parseClusterNodes(text: string): ClusterNodeEntry[] {
  const out: ClusterNodeEntry[] = [];
  for (const raw of text.split('\n')) {
    const parts = raw.trim().split(/\s+/);
    if (parts.length < 8 || !/^[0-9a-f]{40}$/.test(parts[0]!)) continue;
    const [id, address, flagText, master, , , , linkState, ...slotTexts] = parts as [string, string, string, string, string, string, string, string, ...string[]];
    const addr = parseNodeAddress(address);
    const f = flags(flagText);
    const slots: [number, number][] = [];
    for (const s of slotTexts) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(s); // "[slot->-id]" marks a migration, not a served slot
      if (m) slots.push([Number(m[1]), Number(m[2] ?? m[1])]);
    }
    const entry: ClusterNodeEntry = {
      id,
      endpoint: addr.ip,
      ip: addr.ip,
      port: addr.port,
      role: f.includes('master') ? 'master' : 'replica',
      flags: f,
      linkState,
      slots,
      myself: f.includes('myself'),
    };
    if (addr.busPort !== undefined) entry.busPort = addr.busPort;
    if (addr.hostname) entry.hostname = addr.hostname;
    if (master !== '-') entry.masterId = master;
    out.push(entry);
  }
  return out;
}

/**
 * The nodes as clients see them (SHARDS or SLOTS: endpoints, slots) with what
 * only CLUSTER NODES tells (flags, link state, bus port, which one is us).
 */
export function mergeClusterNodes(listed: ClusterNodeEntry[] | undefined, fromNodes: ClusterNodeEntry[] | undefined): ClusterNodeEntry[] {
  if (!listed) return fromNodes ?? [];
  const byId = new Map((fromNodes ?? []).map((n) => [n.id, n]));
  const merged = listed.map((n) => {
    const extra = byId.get(n.id);
    if (!extra) return n;
    byId.delete(n.id);
    const out: ClusterNodeEntry = { ...n, flags: extra.flags, myself: extra.myself, role: extra.role };
    if (extra.linkState) out.linkState = extra.linkState;
    if (extra.busPort !== undefined) out.busPort = extra.busPort;
    if (out.ip === undefined && extra.ip !== undefined) out.ip = extra.ip;
    if (!out.masterId && extra.masterId) out.masterId = extra.masterId;
    return out;
  });
  // Nodes CLUSTER SHARDS leaves out (a master with no slots and no replicas is its own shard; handshakes are not listed).
  return [...merged, ...byId.values()];
}

export function parseHello(text: string): SentinelHello | undefined {
  const f = text.split(',');
  if (f.length < 8) return undefined;
  const sentinelPort = num(f[1]);
  const masterPort = num(f[6]);
  if (sentinelPort === undefined || masterPort === undefined) return undefined;
  return { sentinelHost: f[0]!, sentinelPort, sentinelRunId: f[2]!, masterName: f[4]!, masterHost: f[5]!, masterPort };
}

/**
 * The topology replies, as bytes captured from redis-server 7.0.15 (a
 * three-node cluster on 27101-27103, a Sentinel on 27120 monitoring 27111
 * with a replica on 27112), parsed into data.
 */
import { describe, expect, it } from 'vitest';
import { RespParser, type RespNode } from '../../../src/engine/probes/resp-parser.js';
import {
  mergeClusterNodes,
  parseCkquorum,
  parseClusterNodes,
  parseClusterShards,
  parseClusterSlots,
  parseConfigGet,
  parseFieldLines,
  parseHello,
  parseMasterAddr,
  parseSentinelMasters,
  parseSentinelPeers,
} from '../../../src/engine/probes/topology-replies.js';

function nodes(bytes: string): RespNode[] {
  const parser = new RespParser();
  parser.push(Buffer.from(bytes, 'latin1'));
  const out: RespNode[] = [];
  for (let n = parser.nextNode(); n; n = parser.nextNode()) out.push(n);
  return out;
}

const A = '2a0f1194b1fb13f95aef16614d96f343acddc859';
const B = '0784bb94df410cf50b646ecd9e6941e7bac81019';
const C = '200eb03c4605454fb1d1067ed4730bc10577329b';
const shardNode = (id: string, port: number, health = 'online') =>
  `*14\r\n$2\r\nid\r\n$40\r\n${id}\r\n$4\r\nport\r\n:${port}\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$${health.length}\r\n${health}\r\n`;
const shard = (start: number, end: number, node: string) => `*4\r\n$5\r\nslots\r\n*2\r\n:${start}\r\n:${end}\r\n$5\r\nnodes\r\n*1\r\n${node}`;
const SHARDS = `*3\r\n${shard(10923, 16383, shardNode(C, 27103, 'fail'))}${shard(0, 5460, shardNode(A, 27101))}${shard(5461, 10922, shardNode(B, 27102))}`;
const CLUSTER_NODES = [
  `${C} 127.0.0.1:27103@37103 master,fail - 1796175774817 1796175774312 1 disconnected 10923-16383`,
  `${A} 127.0.0.1:27101@37101 myself,master - 0 1796175776000 0 connected 0-5460`,
  `${B} 127.0.0.1:27102@37102 master - 0 1796175777447 2 connected 5461-10922 [5000->-${C}]`,
  '',
].join('\n');

describe('topology replies', () => {
  it('CLUSTER SHARDS → nodes with endpoints, slots and health; merged with CLUSTER NODES flags, link state and bus ports', () => {
    const [reply] = nodes(SHARDS);
    const listed = parseClusterShards(reply)!;
    expect(listed.map((n) => [n.id.slice(0, 4), n.endpoint, n.port, n.role, n.health, n.slots])).toEqual([
      ['200e', '127.0.0.1', 27103, 'master', 'fail', [[10923, 16383]]],
      ['2a0f', '127.0.0.1', 27101, 'master', 'online', [[0, 5460]]],
      ['0784', '127.0.0.1', 27102, 'master', 'online', [[5461, 10922]]],
    ]);
    const merged = mergeClusterNodes(listed, parseClusterNodes(CLUSTER_NODES));
    expect(merged.map((n) => [n.id.slice(0, 4), n.flags.join(','), n.linkState, n.busPort, n.myself])).toEqual([
      ['200e', 'master,fail', 'disconnected', 37103, false],
      ['2a0f', 'myself,master', 'connected', 37101, true],
      ['0784', 'master', 'connected', 37102, false],
    ]);
    // A migration marker is not a served slot.
    expect(parseClusterNodes(CLUSTER_NODES)[2]?.slots).toEqual([[5461, 10922]]);
  });

  it('CLUSTER NODES: a hostname after the address, a replica\'s master, an IPv6 address without brackets', () => {
    const [replica, v6] = parseClusterNodes(`${B} 10.0.0.7:7001@17001,cache-7 slave ${A} 0 1 2 connected\n${C} ::1:7002@17002 master - 0 1 3 connected 0-1\n`);
    expect(replica).toMatchObject({ ip: '10.0.0.7', port: 7001, busPort: 17001, hostname: 'cache-7', role: 'replica', masterId: A });
    expect(v6).toMatchObject({ ip: '::1', port: 7002, busPort: 17002 });
  });

  it('CLUSTER SLOTS (before 7.0) → nodes by id, masters with their ranges', () => {
    const [reply] = nodes(`*2\r\n*3\r\n:0\r\n:5460\r\n*4\r\n$9\r\n127.0.0.1\r\n:27101\r\n$40\r\n${A}\r\n*0\r\n*4\r\n:5461\r\n:16383\r\n*4\r\n$9\r\n127.0.0.2\r\n:27103\r\n$40\r\n${C}\r\n*0\r\n*4\r\n$9\r\n127.0.0.1\r\n:27104\r\n$40\r\n${B}\r\n*0\r\n`);
    expect(parseClusterSlots(reply)!.map((n) => [n.endpoint, n.port, n.role, n.slots])).toEqual([
      ['127.0.0.1', 27101, 'master', [[0, 5460]]],
      ['127.0.0.2', 27103, 'master', [[5461, 16383]]],
      ['127.0.0.1', 27104, 'replica', []],
    ]);
  });

  it('CLUSTER INFO fields and CONFIG GET pairs', () => {
    expect(parseFieldLines('cluster_state:fail\r\ncluster_slots_assigned:16384\r\n')).toEqual({ cluster_state: 'fail', cluster_slots_assigned: '16384' });
    const [config] = nodes('*4\r\n$19\r\ncluster-announce-ip\r\n$0\r\n\r\n$12\r\ncluster-port\r\n$1\r\n0\r\n');
    expect(parseConfigGet(config)).toEqual({ 'cluster-announce-ip': '', 'cluster-port': '0' });
  });

  it('SENTINEL MASTERS, REPLICAS, GET-MASTER-ADDR-BY-NAME (an address, or null for an unknown name) and CKQUORUM', () => {
    const [masters, replicas, addr, unknown, ok, noquorum] = nodes(
      '*1\r\n*12\r\n$4\r\nname\r\n$8\r\nmymaster\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n$5\r\n27111\r\n$5\r\nflags\r\n$13\r\nmaster,s_down\r\n$10\r\nnum-slaves\r\n$1\r\n1\r\n$6\r\nquorum\r\n$1\r\n2\r\n'
      + '*1\r\n*10\r\n$2\r\nip\r\n$11\r\n198.18.0.14\r\n$4\r\nport\r\n$5\r\n27112\r\n$5\r\nflags\r\n$25\r\ns_down,slave,disconnected\r\n$18\r\nmaster-link-status\r\n$2\r\nok\r\n$11\r\nmaster-port\r\n$5\r\n27111\r\n'
      + '*2\r\n$9\r\n127.0.0.1\r\n$5\r\n27111\r\n*-1\r\n'
      + '+OK 1 usable Sentinels. Quorum and failover authorization can be reached\r\n-NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master\r\n',
    );
    expect(parseSentinelMasters(masters)).toEqual([{ name: 'mymaster', host: '127.0.0.1', port: 27111, flags: ['master', 's_down'], numSlaves: 1, quorum: 2 }]);
    expect(parseSentinelPeers(replicas)).toEqual([{ host: '198.18.0.14', port: 27112, flags: ['s_down', 'slave', 'disconnected'], masterLinkStatus: 'ok', masterPort: 27111 }]);
    expect(parseMasterAddr(addr)).toEqual({ host: '127.0.0.1', port: 27111 });
    expect(parseMasterAddr(unknown)).toBeNull();
    expect(parseCkquorum(ok)).toEqual({ ok: true, text: '+OK 1 usable Sentinels. Quorum and failover authorization can be reached' });
    expect(parseCkquorum(noquorum)?.ok).toBe(false);
  });

  it('a Sentinel hello message; malformed input gives what can be read, never an exception', () => {
    expect(parseHello('127.0.0.1,27120,b227bcaefd74f247b5908bb93c944bd446daf579,0,mymaster,127.0.0.1,27111,0')).toEqual({
      sentinelHost: '127.0.0.1', sentinelPort: 27120, sentinelRunId: 'b227bcaefd74f247b5908bb93c944bd446daf579', masterName: 'mymaster', masterHost: '127.0.0.1', masterPort: 27111,
    });
    expect(parseHello('garbage')).toBeUndefined();
    expect(parseClusterShards({ kind: 'string', text: 'x' })).toBeUndefined();
    expect(parseClusterNodes('not a node line\n')).toEqual([]);
    expect(parseSentinelMasters({ kind: 'array', text: '', items: [{ kind: 'integer', text: '1' }] })).toEqual([{ name: '', host: '', port: 0, flags: [] }]);
  });
});

// A fake Redis on loopback, in its own process (so the test's event loop measures
// only the client): `node resp-flood-server.mjs <mode>` prints its port, then
// answers each command, writing every reply in 64 KiB chunks (issue #16):
//   flood    every reply is an 8 MB array of tiny elements (2,048 arrays of 1,024 `:1`);
//   cluster  a Redis 7 cluster node whose CLUSTER SHARDS lists 10,000 nodes
//            (2,500 shards of a primary and three replicas) and CLUSTER NODES the same.
// The node addresses are 127.0.0.1 with ports nobody listens on. Ends with its parent.
import { createServer } from 'node:net';

const mode = process.argv[2];
const CHUNK = 64 * 1024;
const bulk = (s) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;

const flood = Buffer.from(`*2048\r\n${`*1024\r\n${':1\r\n'.repeat(1024)}`.repeat(2048)}`);

const NODES = 10_000;
const id = (i) => i.toString(16).padStart(40, '0');
function clusterShards() {
  let out = `*${NODES / 4}\r\n`;
  for (let s = 0; s < NODES / 4; s++) {
    const lo = Math.floor((s * 16384) / (NODES / 4));
    const hi = Math.floor(((s + 1) * 16384) / (NODES / 4)) - 1;
    out += `*4\r\n${bulk('slots')}*2\r\n:${lo}\r\n:${hi}\r\n${bulk('nodes')}*4\r\n`;
    for (let r = 0; r < 4; r++) {
      const i = s * 4 + r;
      const fields = ['id', id(i), 'port', String(20000 + (i % 40000)), 'ip', '127.0.0.1', 'endpoint', '127.0.0.1', 'hostname', '', 'role', r === 0 ? 'master' : 'replica', 'replication-offset', '100', 'health', 'online'];
      out += `*${fields.length}\r\n${fields.map(bulk).join('')}`;
    }
  }
  return Buffer.from(out);
}
function clusterNodes() {
  const lines = [];
  for (let i = 0; i < NODES; i++) {
    const s = Math.floor(i / 4);
    const master = i % 4 === 0;
    const flags = `${i === 0 ? 'myself,' : ''}${master ? 'master' : 'slave'}`;
    const slots = master ? ` ${Math.floor((s * 16384) / (NODES / 4))}-${Math.floor(((s + 1) * 16384) / (NODES / 4)) - 1}` : '';
    lines.push(`${id(i)} 127.0.0.1:${20000 + (i % 40000)}@${30000 + (i % 30000)} ${flags} ${master ? '-' : id(s * 4)} 0 0 1 connected${slots}`);
  }
  return Buffer.from(bulk(`${lines.join('\n')}\n`));
}
const cluster = mode === 'cluster' ? { shards: clusterShards(), nodes: clusterNodes() } : undefined;
const INFO = ['# Server', 'redis_version:7.2.4', 'redis_mode:cluster', 'tcp_port:6379', '# Clients', 'connected_clients:1', 'maxclients:10000',
  '# Replication', 'role:master', 'connected_slaves:3', '# Cluster', 'cluster_enabled:1', ''].join('\r\n');

function reply(args) {
  if (mode === 'flood') return flood;
  const cmd = args.slice(0, 2).join(' ').toUpperCase();
  if (cmd.startsWith('PING')) return Buffer.from('+PONG\r\n');
  if (cmd.startsWith('INFO')) return Buffer.from(bulk(INFO));
  if (cmd === 'CLUSTER INFO') return Buffer.from(bulk(`cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\ncluster_known_nodes:${NODES}\r\ncluster_size:${NODES / 4}\r\n`));
  if (cmd === 'CLUSTER SHARDS') return cluster.shards;
  if (cmd === 'CLUSTER NODES') return cluster.nodes;
  if (cmd === 'CONFIG GET') return Buffer.from('*0\r\n');
  if (cmd.startsWith('EXISTS')) return Buffer.from(':0\r\n');
  return Buffer.from(`-ERR unknown command '${args[0]}'\r\n`);
}

/** Commands as clients send them: arrays of bulk strings. */
function takeCommands(state) {
  const out = [];
  for (;;) {
    const text = state.buf.toString('latin1');
    const m = /^\*(\d+)\r\n/.exec(text);
    if (!m) return out;
    let pos = m[0].length;
    const args = [];
    for (let i = 0; i < Number(m[1]); i++) {
      const h = /^\$(\d+)\r\n/.exec(text.slice(pos));
      if (!h || text.length < pos + h[0].length + Number(h[1]) + 2) return out;
      pos += h[0].length;
      args.push(text.slice(pos, pos + Number(h[1])));
      pos += Number(h[1]) + 2;
    }
    out.push(args);
    state.buf = state.buf.subarray(pos);
  }
}

async function send(socket, data) {
  for (let i = 0; i < data.length && !socket.destroyed; i += CHUNK) {
    if (!socket.write(data.subarray(i, i + CHUNK))) await new Promise((r) => socket.once('drain', r));
    // One chunk per turn, as a slow link delivers them.
    await new Promise((r) => setImmediate(r));
  }
}

const server = createServer((socket) => {
  socket.on('error', () => {});
  const state = { buf: Buffer.alloc(0) };
  let queue = Promise.resolve();
  socket.on('data', (chunk) => {
    state.buf = Buffer.concat([state.buf, chunk]);
    for (const args of takeCommands(state)) queue = queue.then(() => send(socket, reply(args)));
  });
});
server.listen({ host: '127.0.0.1', port: 0 }, () => process.stdout.write(`${server.address().port}\n`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

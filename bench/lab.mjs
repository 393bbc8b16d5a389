// Throwaway parts for the benchmark: a redis-server on a free loopback port
// and a network namespace where one address silently drops TCP port 6379.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

function pingOnce(port) {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.setTimeout(500, () => { s.destroy(); resolve(false); });
    s.on('error', () => resolve(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (c) => { s.destroy(); resolve(c.toString().startsWith('+PONG')); });
  });
}

/** A redis-server on a free loopback port; `extra` arguments last; `sentinelConf` (text) runs it as a Sentinel. */
export async function startRedis(extra = [], { sentinelConf } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `rd-bench-${process.pid}-`));
  const port = await freePort();
  const head = [];
  if (sentinelConf !== undefined) {
    writeFileSync(join(dir, 'sentinel.conf'), sentinelConf);
    head.push(join(dir, 'sentinel.conf'), '--sentinel');
  }
  const child = spawn('/usr/bin/redis-server', [...head, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], { stdio: 'ignore' });
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = async () => {
    if (!exited) {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await done;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100 && !exited; i++) {
    if (await pingOnce(port)) return { port, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error('redis-server did not start');
}

/**
 * A namespace with one address on its loopback and an iptables DROP for TCP
 * 6379 to it: a SYN there gets no answer at all, like a black-holing firewall.
 * The client runs inside the namespace (`ip netns exec`), so no packet ever
 * leaves it. (A veth pair would be the textbook set-up, but the gVisor sandbox
 * this was measured in does not forward between namespaces.)
 */
export function createDropNamespace() {
  if (process.getuid?.() !== 0) return { skipped: 'not root' };
  const name = `rdbench-${process.pid}-1`;
  // A /32 in 198.18.0.0/15 derived from the pid, so parallel runs do not share one.
  const n = process.pid % 65536;
  const address = `198.19.${(n >> 8) & 255}.${(n & 255) | 1}`;
  const run = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
  const remove = () => {
    try { run('netns', 'del', name); } catch { /* already gone */ }
  };
  try {
    run('netns', 'add', name);
    run('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
    run('netns', 'exec', name, 'ip', 'addr', 'add', `${address}/32`, 'dev', 'lo');
    run('netns', 'exec', name, 'iptables', '-A', 'INPUT', '-p', 'tcp', '-d', address, '--dport', '6379', '-j', 'DROP');
  } catch (err) {
    remove();
    return { skipped: `network namespace set-up failed: ${String(err.stderr ?? err.message).trim().split('\n')[0]}` };
  }
  return { name, address, port: 6379, remove };
}

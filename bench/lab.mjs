// Throwaway parts for the benchmarks: a redis-server on a free loopback port,
// a network namespace where one address silently drops TCP port 6379, and
// what every benchmark script needs (options, polling, child runs, statistics).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const argv = process.argv.slice(2);

/** `--name N` from the command line (default `dflt`), clamped to [min, max]; anything but a number is an error. */
export function numberOpt(name, dflt, min, max) {
  const i = argv.indexOf(name);
  const v = i === -1 ? dflt : Number(argv[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`${name}: a number please`);
  return Math.min(max, Math.max(min, v));
}

/** Nearest-rank quantile of sorted values: the smallest value with at least q of the sample at or below it. */
function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, min: s[0], median: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99), max: s.at(-1) };
}

/** Polls `probe` (sync or async; a throw counts as not yet) every `intervalMs` until it is truthy, at most `timeoutMs`. */
export async function waitFor(what, probe, timeoutMs = 20_000, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try { if (await probe()) return; } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Runs a child to its end, SIGKILLed after `killAfterMs`; resolves with its
 * wall time (spawn to close), exit code and stdout. `env` undefined: this
 * process's environment; `stderr`: 'ignore' or 'inherit'.
 */
export function timed(cmd, args, { env, stderr = 'ignore', killAfterMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', stderr], env });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, code, out });
    });
  });
}

export async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** One PING on a new connection: true for +PONG within 500 ms. */
export function pingOnce(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const s = connect({ host, port });
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

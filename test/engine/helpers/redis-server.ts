/**
 * Minimal private helper for the engine tests: a real redis-server on a free
 * loopback port, in its own temp dir, stopped (and its dir removed) by stop().
 * To be replaced by the lab's shared helper once test/lab has one.
 */
import type { ChildProcess } from 'node:child_process';
import { run } from '../../lab/exec.js';
import { freePort } from '../../lab/ports.js';
import { pdeathsigArgv, spawnTracked, stopProcess, hasExited } from '../../lab/procs.js';
import { makeTempDir, type TempDir } from '../../lab/tmp.js';

export interface RedisProc {
  port: number;
  dir: string;
  child: ChildProcess;
  cli(args: readonly string[], extra?: readonly string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface RedisStartOptions {
  /** Extra redis-server arguments (`--requirepass`, `--maxclients` …). */
  args?: readonly string[];
  /** Listen with TLS on this port instead of plaintext (`--port 0 --tls-port`). */
  tls?: { certFile: string; keyFile: string; caFile: string };
  /** Password for the readiness check. */
  password?: string;
  /** Do not wait for PONG (a server that starts in a state that refuses PING). */
  noWait?: boolean;
  port?: number;
  dir?: TempDir;
}

export async function startRedis(options: RedisStartOptions = {}): Promise<RedisProc> {
  const port = options.port ?? (await freePort());
  const tmp = options.dir ?? makeTempDir('redis');
  const base = ['redis-server', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmp.path, '--logfile', `${tmp.path}/redis.log`];
  const listen = options.tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.certFile, '--tls-key-file', options.tls.keyFile, '--tls-ca-cert-file', options.tls.caFile, '--tls-auth-clients', 'no']
    : ['--port', String(port)];
  const child = spawnTracked(pdeathsigArgv([...base, ...listen, ...(options.args ?? [])]));
  const tlsCli = options.tls ? ['--tls', '--cacert', options.tls.caFile] : [];
  const cli = async (args: readonly string[], extra: readonly string[] = []): Promise<string> => {
    const env = options.password ? { ...process.env, REDISCLI_AUTH: options.password } : process.env;
    const result = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...tlsCli, ...extra, ...args], { env, timeoutMs: 5000 });
    return result.stdout.trim();
  };
  const proc: RedisProc = {
    port,
    dir: tmp.path,
    child,
    cli,
    async stop() {
      try {
        await stopProcess(child, 1000);
      } finally {
        if (!options.dir) await tmp.remove();
      }
    },
  };
  if (options.noWait) return proc;
  for (let i = 0; i < 100; i++) {
    if (hasExited(child)) break;
    const reply = await cli(['PING']).catch(() => '');
    if (reply === 'PONG') return proc;
    await new Promise((r) => setTimeout(r, 50));
  }
  await proc.stop();
  throw new Error(`redis-server on port ${port} did not answer PING`);
}

/**
 * Real Redis servers put into the states redis-doctor diagnoses. Each
 * builder checks the state took hold (with redis-cli or a raw client) before
 * returning, so a test that then fails points at the engine, not the lab.
 * The returned server's stop() also releases whatever the state needed.
 */
import { createServer, type Server } from 'node:net';
import { connectRaw, type RawClient } from './raw-client.js';
import { pollUntil } from './poll.js';
import { startRedis, type RedisOptions, type RedisServer } from './redis.js';
import { mountFullTmpfs } from './tmpfs.js';
import { makeTempDir } from './tmp.js';

/** The server, with a stop() that runs `before`, stops the process (graceMs), then runs `after`. */
function withCleanup(server: RedisServer, hooks: { before?: () => Promise<void>; after?: () => Promise<void>; graceMs?: number }): RedisServer {
  const stop = server.stop;
  let done = false;
  return {
    ...server,
    async stop(options) {
      if (done) return;
      done = true;
      try {
        await hooks.before?.().catch(() => undefined);
        await stop({ graceMs: options?.graceMs ?? hooks.graceMs });
      } finally {
        await hooks.after?.();
      }
    },
  };
}

function info(server: RedisServer, section: string): Promise<string> {
  return server.cli('INFO', section);
}

/** Holds `count` connections open (each served: answered PING), e.g. to reach maxclients. */
export async function holdClients(server: RedisServer, count: number): Promise<{ clients: RawClient[]; release(): void }> {
  const clients: RawClient[] = [];
  const release = (): void => clients.forEach((c) => c.close());
  try {
    for (let i = 0; i < count; i++) {
      // The connection used to check readiness may not be freed yet: retry until this one is served.
      const client = await pollUntil(
        async () => {
          const c = await connectRaw(server.host, server.port, server.tls ? { tlsCa: server.tls.ca } : {});
          // Any reply but the max-clients error means this connection holds a slot (-NOAUTH included).
          const reply = await c.command('PING').catch(() => undefined);
          if (reply !== undefined && !/max number of clients/.test(reply)) return c;
          c.close();
          return undefined;
        },
        { what: `connection ${i + 1} of ${count} to be served`, timeoutMs: 3000 },
      );
      clients.push(client);
    }
  } catch (error) {
    release();
    throw error;
  }
  return { clients, release };
}

/**
 * A server still loading its dataset (`-LOADING`): a dump of `keys` keys made
 * with DEBUG POPULATE, then a restart with `key-load-delay` (microseconds per
 * key) and `loading-process-events-interval-bytes 1024`, so the server
 * answers clients while it loads. 100 000 keys × 50 µs load for ~10 s here.
 */
export async function startLoadingRedis(options: { keys?: number; keyLoadDelayUs?: number } = {}): Promise<RedisServer> {
  const data = makeTempDir('rdb');
  try {
    const seed = await startRedis({ dataDir: data.path });
    try {
      await seed.cli('DEBUG', 'POPULATE', String(options.keys ?? 100_000));
      await seed.cli('SAVE');
    } finally {
      await seed.stop();
    }
    const server = await startRedis({
      dataDir: data.path,
      args: ['--key-load-delay', String(options.keyLoadDelayUs ?? 50), '--loading-process-events-interval-bytes', '1024'],
    });
    const loading = withCleanup(server, { after: () => data.remove(), graceMs: 0 });
    try {
      await pollUntil(async () => ((await server.cli('PING')).startsWith('LOADING') ? true : undefined), {
        what: 'redis to answer -LOADING',
        timeoutMs: 3000,
      });
    } catch (error) {
      await loading.stop();
      throw error;
    }
    return loading;
  } catch (error) {
    await data.remove();
    throw error;
  }
}

/** A server whose used_memory exceeds maxmemory under noeviction: writes get -OOM. */
export async function fillMemory(server: RedisServer): Promise<void> {
  await server.cli('DEBUG', 'POPULATE', '20000', 'lab', '64');
  await server.cli('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
  await server.cli('CONFIG', 'SET', 'maxmemory', '1mb');
  const reply = await server.cli('SET', 'lab:probe', 'x');
  if (!reply.startsWith('OOM')) throw new Error(`expected -OOM after filling memory, got: ${reply}`);
}

/**
 * A server whose RDB save failed: `dir` on a full tmpfs, save points set
 * (stop-writes-on-bgsave-error only applies when saving is configured), a
 * BGSAVE that fails with ENOSPC. Writes — and PING — then get -MISCONF.
 */
export async function startMisconfRedis(extra: RedisOptions = {}): Promise<RedisServer> {
  const tmpfs = await mountFullTmpfs();
  let server: RedisServer;
  try {
    server = await startRedis({ ...extra, dataDir: tmpfs.path, save: '3600 1' });
  } catch (error) {
    await tmpfs.unmount();
    throw error;
  }
  // SIGTERM makes Redis try a last save, which fails, and it refuses to exit: kill it outright.
  const misconf = withCleanup(server, { after: () => tmpfs.unmount(), graceMs: 0 });
  try {
    await server.cli('BGSAVE');
    await pollUntil(async () => (/rdb_last_bgsave_status:err/.test(await info(server, 'persistence')) ? true : undefined), {
      what: 'the background save to fail',
      timeoutMs: 5000,
    });
    const reply = await server.cli('SET', 'lab:probe', 'x');
    if (!reply.startsWith('MISCONF')) throw new Error(`expected -MISCONF after a failed save, got: ${reply}`);
  } catch (error) {
    await misconf.stop();
    throw error;
  }
  return misconf;
}

/** Listens on host:port and resets every connection: a port nobody else can take, refusing service. */
function holdPort(host: string, port: number): Promise<Server> {
  const server = createServer((socket) => socket.resetAndDestroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => resolve(server));
  });
}

/**
 * A replica whose primary is gone: the link came up, then the primary was
 * stopped. Its port is then held by a listener that resets connections, so
 * the replica's reconnect attempts cannot reach another test's server that
 * happens to get the same port.
 */
export async function startOrphanReplica(): Promise<RedisServer> {
  // Diskless sync waits repl-diskless-sync-delay (5 s) for more replicas to join: no need here.
  const primary = await startRedis({ args: ['--repl-diskless-sync-delay', '0'] });
  let replica: RedisServer | undefined;
  let holder: Server | undefined;
  const release = async (): Promise<void> => {
    await new Promise<void>((resolve) => (holder ? holder.close(() => resolve()) : resolve()));
  };
  try {
    replica = await startRedis({ args: ['--replicaof', primary.host, String(primary.port)] });
    const r = replica;
    await pollUntil(async () => (/master_link_status:up/.test(await info(r, 'replication')) ? true : undefined), {
      what: 'the replication link to come up',
      timeoutMs: 10_000,
    });
    await primary.stop({ graceMs: 0 });
    holder = await holdPort(primary.host, primary.port);
    await pollUntil(async () => (/master_link_status:down/.test(await info(r, 'replication')) ? true : undefined), {
      what: 'the replication link to go down',
      timeoutMs: 10_000,
    });
  } catch (error) {
    await replica?.stop();
    await primary.stop();
    await release();
    throw error;
  }
  return withCleanup(replica, { after: release });
}

/** Lua that spins for ARGV[1] microseconds (redis.call('TIME') is allowed in scripts since Redis 5). */
export const BUSY_SCRIPT = `
local s = redis.call('TIME')
while true do
  local t = redis.call('TIME')
  if (t[1] - s[1]) * 1000000 + (t[2] - s[2]) > tonumber(ARGV[1]) then return 'done' end
end`;

/**
 * Starts a script that keeps the server busy for `ms` (bounded: it ends by
 * itself). With busy-reply-threshold (lua-time-limit) at 100 ms, other
 * clients get `-BUSY Redis is busy running a script` almost at once.
 * The server needs `--busy-reply-threshold 100` (see BUSY_ARGS).
 */
export async function startBusyScript(server: RedisServer, ms = 8000): Promise<{ release(): Promise<void> }> {
  const client = await connectRaw(server.host, server.port, server.tls ? { tlsCa: server.tls.ca } : {});
  client.send('EVAL', BUSY_SCRIPT, '0', String(ms * 1000));
  const release = async (): Promise<void> => {
    // The script wrote nothing, so SCRIPT KILL ends it at once.
    await server.cli('SCRIPT', 'KILL').catch(() => undefined);
    client.close();
  };
  try {
    await pollUntil(async () => ((await server.cli('PING')).startsWith('BUSY') ? true : undefined), {
      what: 'redis to answer -BUSY',
      timeoutMs: 3000,
    });
  } catch (error) {
    await release();
    throw error;
  }
  return { release };
}

/** Server arguments for startBusyScript(): report BUSY after 100 ms instead of 5 s. */
export const BUSY_ARGS = ['--busy-reply-threshold', '100'];

/**
 * A server run as nobody with RLIMIT_NOFILE=64: Redis needs maxclients + 32
 * descriptors, cannot raise the limit without privileges, and logs
 * "maxclients has been reduced to 32" (64 − 32 reserved).
 */
export async function startFdLimitedRedis(nofile = 64): Promise<RedisServer> {
  const server = await startRedis({ runAsNobody: true, nofile });
  const maxclients = await server.cli('CONFIG', 'GET', 'maxclients');
  if (maxclients.split('\n')[1] !== String(nofile - 32)) {
    await server.stop();
    throw new Error(`expected maxclients ${nofile - 32} under nofile ${nofile}, got: ${maxclients}`);
  }
  return server;
}

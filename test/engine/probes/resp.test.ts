/**
 * The RESP session against real redis-server processes in the states each
 * reply needs, and against small servers for what Redis cannot be.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runRespSession } from '../../../src/engine/probes/resp.js';
import { describeLab, need } from '../../lab/guard.js';
import { spawnTracked, stopProcess } from '../../lab/procs.js';
import { createTlsMaterial, type TlsMaterial } from '../../lab/tls.js';
import { makeTempDir } from '../../lab/tmp.js';
import { startRedis, type RedisProc } from '../helpers/redis-server.js';
import { httpServer, silentServer, sshBannerServer, startServer, type FakeServer } from '../helpers/net-servers.js';
import { openFrom, openTcp } from '../helpers/open.js';

const INFO_ALL = 'INFO server clients memory persistence replication keyspace';
const OLD_INFO = '# Server\r\nredis_version:6.2.14\r\n';

async function waitFor(check: () => Promise<boolean>, what: string, tries = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describeLab('RESP session against redis-server', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!().catch(() => {});
  });
  async function redis(options: Parameters<typeof startRedis>[0] = {}): Promise<RedisProc> {
    const proc = await startRedis(options);
    cleanups.push(() => proc.stop());
    return proc;
  }

  it('healthy: PING +PONG and the INFO sections in one round trip', async () => {
    const r = await redis();
    const { resp, infoText } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000 });
    expect(resp.ok).toBe(true);
    expect(resp.greeting).toBeUndefined();
    expect(resp.exchanges.map((e) => [e.command, e.reply?.kind, e.reply?.kind === 'status' ? e.reply.text : undefined])).toEqual([
      ['PING', 'status', 'PONG'],
      [INFO_ALL, 'string', undefined],
    ]);
    expect(infoText).toContain('# Server\r\nredis_version:7.');
    expect(infoText).toContain('# Persistence\r\n');
    expect(resp).toMatchObject({ noReply: false, timedOut: false });
  });

  it('requirepass without credentials: -NOAUTH for PING and INFO', async () => {
    const r = await redis({ args: ['--requirepass', 'pw-one-1'], password: 'pw-one-1' });
    const { resp, infoText } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000 });
    expect(resp.ok).toBe(false);
    expect(infoText).toBeUndefined();
    expect(resp.exchanges.map((e) => e.reply)).toEqual([
      { kind: 'error', text: 'NOAUTH Authentication required.' },
      { kind: 'error', text: 'NOAUTH Authentication required.' },
    ]);
  });

  it('wrong password: -WRONGPASS, AUTH recorded redacted, the password nowhere', async () => {
    const r = await redis({ args: ['--requirepass', 'right-secret-9'], password: 'right-secret-9' });
    const { resp } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000, credentials: { password: 'wrong-secret-7' } });
    expect(resp.exchanges[0]).toMatchObject({
      command: 'AUTH <redacted>',
      reply: { kind: 'error', text: 'WRONGPASS invalid username-password pair or user is disabled.' },
    });
    expect(resp.exchanges[1]?.reply).toEqual({ kind: 'error', text: 'NOAUTH Authentication required.' });
    expect(JSON.stringify(resp)).not.toContain('wrong-secret-7');
  });

  it('right password: AUTH +OK then PING +PONG', async () => {
    const r = await redis({ args: ['--requirepass', 'right-secret-9'], password: 'right-secret-9' });
    const { resp, infoText } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000, credentials: { password: 'right-secret-9' } });
    expect(resp.ok).toBe(true);
    expect(resp.exchanges.map((e) => e.command)).toEqual(['AUTH <redacted>', 'PING', INFO_ALL]);
    expect(resp.exchanges[0]?.reply).toEqual({ kind: 'status', text: 'OK' });
    expect(infoText).toContain('# Clients');
  });

  it('ACL user without +ping/+info: -NOPERM, AUTH user recorded with the user name only', async () => {
    const r = await redis();
    await r.cli(['ACL', 'SETUSER', 'app', 'on', '>app-pass-3', '~*', '+get']);
    const { resp } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000, credentials: { user: 'app', password: 'app-pass-3' } });
    expect(resp.exchanges[0]).toMatchObject({ command: 'AUTH app <redacted>', reply: { kind: 'status', text: 'OK' } });
    expect(resp.exchanges[1]?.reply).toEqual({ kind: 'error', text: "NOPERM this user has no permissions to run the 'ping' command" });
    expect(resp.exchanges[2]?.reply).toEqual({ kind: 'error', text: "NOPERM this user has no permissions to run the 'info' command" });
    expect(resp.ok).toBe(false);
  });

  it('protected mode: -DENIED is a greeting, then the server closes', async () => {
    // Redis writes -DENIED on accept when no password is set and the client is not 127.0.0.1/::1;
    // 127.0.0.2 is loopback to the kernel but not "local" to Redis.
    const r = await redis();
    const { resp } = await runRespSession(await openFrom('127.0.0.2', r.port), { timeoutMs: 2000 });
    expect(resp.greeting?.kind).toBe('error');
    expect(resp.greeting?.text).toMatch(/^DENIED Redis is running in protected mode because protected mode is enabled/);
    expect(resp.closedByServer).toBe(true);
    expect(resp.ok).toBe(false);
    expect(resp.exchanges.every((e) => e.reply === undefined)).toBe(true);
  });

  it('maxclients reached: the error is a greeting, then the server closes', async () => {
    const r = await redis({ args: ['--maxclients', '1'] });
    const holder = await openTcp(r.port);
    cleanups.push(async () => void holder.socket.destroy());
    const { resp } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000 });
    expect(resp.greeting).toEqual({ kind: 'error', text: 'ERR max number of clients reached' });
    expect(resp.closedByServer).toBe(true);
    expect(resp.ok).toBe(false);
  });

  it('failed bgsave with stop-writes-on-bgsave-error: PING -MISCONF, INFO still answers', async () => {
    // Writes (and PING) are refused only when save points are configured and the last bgsave failed.
    // `dir` is a protected config, so the data dir is removed under the running server instead.
    const holder = makeTempDir('misconf');
    cleanups.push(() => holder.remove());
    const data = join(holder.path, 'data');
    await mkdir(data);
    const r = await redis({ args: ['--save', '3600 1', '--dir', data] });
    await rm(data, { recursive: true });
    await r.cli(['SET', 'k', 'v']);
    await r.cli(['BGSAVE']);
    await waitFor(async () => (await r.cli(['INFO', 'persistence'])).includes('rdb_last_bgsave_status:err'), 'bgsave to fail');
    const { resp, infoText } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000 });
    expect(resp.exchanges[0]?.reply?.kind).toBe('error');
    expect(resp.exchanges[0]?.reply?.text).toMatch(/^MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk/);
    expect(infoText).toContain('rdb_last_bgsave_status:err');
  });

  it('replica with a down link and replica-serve-stale-data no: PING -MASTERDOWN, INFO answers', async () => {
    const r = await redis({ args: ['--replicaof', '127.0.0.1', '1', '--replica-serve-stale-data', 'no'], noWait: true });
    await waitFor(async () => (await r.cli(['INFO', 'replication']).catch(() => '')).includes('master_link_status:down'), 'replica start');
    const { resp, infoText } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000 });
    expect(resp.exchanges[0]?.reply).toEqual({ kind: 'error', text: "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'." });
    expect(infoText).toContain('master_link_status:down');
  });

  it('a running script: -BUSY for PING and INFO', async () => {
    const r = await redis({ args: ['--busy-reply-threshold', '100'] });
    const script = spawnTracked(['redis-cli', '-p', String(r.port), 'EVAL', 'while true do end', '0']);
    cleanups.push(async () => {
      await r.cli(['SCRIPT', 'KILL']).catch(() => '');
      await stopProcess(script, 500);
    });
    await waitFor(async () => (await r.cli(['PING'])).startsWith('BUSY'), 'the script to block the server');
    const { resp } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000 });
    const busy = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
    expect(resp.exchanges.map((e) => e.reply)).toEqual([
      { kind: 'error', text: busy },
      { kind: 'error', text: busy },
    ]);
  });

  it('loading the dataset: PING -LOADING, INFO answers with loading:1', async () => {
    const seed = await redis({ args: ['--enable-debug-command', 'yes'] });
    await seed.cli(['DEBUG', 'POPULATE', '20000']);
    await seed.cli(['SAVE']);
    const dir = seed.dir;
    const port = seed.port;
    await stopProcess(seed.child, 1000);
    // key-load-delay (µs per key) stretches the load; the small events interval keeps the server answering meanwhile.
    const loading = await startRedis({ port, noWait: true, args: ['--dir', dir, '--key-load-delay', '200', '--loading-process-events-interval-bytes', '1024'] });
    cleanups.push(() => loading.stop());
    await waitFor(async () => (await loading.cli(['PING']).catch(() => '')).startsWith('LOADING'), 'loading to start');
    const { resp, infoText } = await runRespSession(await openTcp(port), { timeoutMs: 2000 });
    expect(resp.exchanges[0]?.reply).toEqual({ kind: 'error', text: 'LOADING Redis is loading the dataset in memory' });
    expect(infoText).toContain('loading:1');
  });
});

describeLab('RESP session against a TLS port', [need.binary('redis-server'), need.binary('openssl'), need.binary('redis-cli')], () => {
  let material: TlsMaterial;
  let r: RedisProc;
  beforeAll(async () => {
    material = await createTlsMaterial();
    r = await startRedis({ tls: material });
  });
  afterAll(async () => {
    await r?.stop();
    await material?.remove();
  });

  it('plaintext to a TLS port: no reply, closed by the server', async () => {
    const { resp } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000 });
    expect(resp).toMatchObject({ ok: false, noReply: true, timedOut: false, closedByServer: true });
    expect(resp.nonResp).toBeUndefined();
  });
});

describe('RESP session against servers that are not Redis', () => {
  const servers: FakeServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });
  async function serve(start: () => Promise<FakeServer>): Promise<FakeServer> {
    const s = await start();
    servers.push(s);
    return s;
  }

  it('an HTTP server: a non-RESP answer that looks like HTTP', async () => {
    const s = await serve(httpServer);
    const { resp } = await runRespSession(await openTcp(s.port), { timeoutMs: 2000 });
    expect(resp.nonResp).toEqual({ excerpt: 'HTTP/1.1 400 Bad Request\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n', looksLikeTls: false, looksLikeHttp: true });
    expect(resp).toMatchObject({ ok: false, noReply: false });
  });

  it('an SSH server: the banner is a non-RESP answer', async () => {
    const s = await serve(sshBannerServer);
    const { resp } = await runRespSession(await openTcp(s.port), { timeoutMs: 2000 });
    expect(resp.nonResp?.excerpt).toMatch(/^SSH-2\.0-OpenSSH_9\.2p1 Debian-2\\r\\n/);
    expect(resp.nonResp?.looksLikeHttp).toBe(false);
  });

  it('a silent server: timed out with no reply', async () => {
    const s = await serve(silentServer);
    const { resp } = await runRespSession(await openTcp(s.port), { timeoutMs: 200 });
    expect(resp).toMatchObject({ ok: false, noReply: true, timedOut: true, closedByServer: false });
  });

  it('a server that takes one INFO section only (Redis < 7): falls back to plain INFO', async () => {
    // Stands in for Redis 6.x, whose INFO answers "-ERR syntax error" to more than one argument.
    const s = await serve(() =>
      startServer((socket) => {
        let buffered = '';
        socket.on('data', (chunk: Buffer) => {
          buffered += chunk.toString('latin1');
          const commands = buffered.split('*').filter((c) => c.endsWith('\r\n'));
          buffered = '';
          for (const c of commands) {
            if (c.includes('PING')) socket.write('+PONG\r\n');
            else if (c.startsWith('1\r\n')) socket.write(`$${OLD_INFO.length}\r\n${OLD_INFO}\r\n`);
            else socket.write('-ERR syntax error\r\n');
          }
        });
      }),
    );
    const { resp, infoText } = await runRespSession(await openTcp(s.port), { timeoutMs: 2000 });
    expect(resp.exchanges.map((e) => [e.command, e.reply?.text])).toEqual([
      ['PING', 'PONG'],
      [INFO_ALL, 'ERR syntax error'],
      ['INFO', OLD_INFO],
    ]);
    expect(infoText).toBe(OLD_INFO);
  });

  it('a password echoed back by a peer is scrubbed from the observation', async () => {
    const s = await serve(() => startServer((socket) => socket.once('data', (d: Buffer) => socket.end(`-ERR unknown ${d.toString('latin1').replace(/\r\n/g, ' ')}\r\n`))));
    const { resp } = await runRespSession(await openTcp(s.port), { timeoutMs: 2000, credentials: { password: 'echo-me-secret' } });
    expect(JSON.stringify(resp)).not.toContain('echo-me-secret');
    expect(resp.exchanges[0]?.reply?.text).toContain('<redacted>');
  });

  it('a connection reset before the session starts is reported, not thrown', async () => {
    const s = await serve(() => startServer((socket) => setTimeout(() => socket.resetAndDestroy(), 10)));
    const open = await openTcp(s.port);
    await new Promise((r) => setTimeout(r, 100));
    const { resp } = await runRespSession(open, { timeoutMs: 2000 });
    expect(resp).toMatchObject({ ok: false, noReply: true, closedByServer: true, socketError: 'ECONNRESET' });
  });
});

/**
 * The RESP session against real redis-server processes in the states each
 * reply needs (test/lab), and against small servers for what Redis cannot be.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runRespSession } from '../../../src/engine/probes/resp.js';
import { describeLab, need } from '../../lab/guard.js';
import { startRedis, type RedisOptions, type RedisServer } from '../../lab/redis.js';
import { BUSY_ARGS, holdClients, startBusyScript, startLoadingRedis, startMisconfRedis, startOrphanReplica } from '../../lab/redis-states.js';
import { startHttpServer, startSshLikeServer, type FakeServer } from '../../lab/fake-servers.js';
import { createTlsMaterial, type TlsMaterial } from '../../lab/tls.js';
import { silentServer, startServer, type LocalServer } from '../helpers/net-servers.js';
import { openFrom, openTcp } from '../helpers/open.js';

const INFO_ALL = 'INFO server clients memory persistence replication keyspace';
const OLD_INFO = '# Server\r\nredis_version:6.2.14\r\n';

describeLab('RESP session against redis-server', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    while (cleanups.length) await Promise.resolve(cleanups.pop()!()).catch(() => {});
  });
  function track(server: RedisServer): RedisServer {
    cleanups.push(() => server.stop());
    return server;
  }
  const redis = async (options: RedisOptions = {}) => track(await startRedis(options));

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
    const r = await redis({ password: 'pw-one-1' });
    const { resp, infoText } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000 });
    expect(resp.ok).toBe(false);
    expect(infoText).toBeUndefined();
    expect(resp.exchanges.map((e) => e.reply)).toEqual([
      { kind: 'error', text: 'NOAUTH Authentication required.' },
      { kind: 'error', text: 'NOAUTH Authentication required.' },
    ]);
  });

  it('wrong password: -WRONGPASS, AUTH recorded redacted, the password nowhere', async () => {
    const r = await redis({ password: 'right-secret-9' });
    const { resp } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000, credentials: { password: 'wrong-secret-7' } });
    expect(resp.exchanges[0]).toMatchObject({
      command: 'AUTH <redacted>',
      reply: { kind: 'error', text: 'WRONGPASS invalid username-password pair or user is disabled.' },
    });
    expect(resp.exchanges[1]?.reply).toEqual({ kind: 'error', text: 'NOAUTH Authentication required.' });
    expect(JSON.stringify(resp)).not.toContain('wrong-secret-7');
  });

  it('right password: AUTH +OK then PING +PONG', async () => {
    const r = await redis({ password: 'right-secret-9' });
    const { resp, infoText } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000, credentials: { password: 'right-secret-9' } });
    expect(resp.ok).toBe(true);
    expect(resp.exchanges.map((e) => e.command)).toEqual(['AUTH <redacted>', 'PING', INFO_ALL]);
    expect(resp.exchanges[0]?.reply).toEqual({ kind: 'status', text: 'OK' });
    expect(infoText).toContain('# Clients');
  });

  it('a database: SELECT between AUTH and PING, refused past `databases`, skipped for db 0', async () => {
    const r = await redis({ password: 'right-secret-9', args: ['--databases', '4'] });
    const credentials = { password: 'right-secret-9' };
    const inRange = await runRespSession(await openTcp(r.port), { timeoutMs: 2000, credentials, db: 3 });
    expect(inRange.resp.exchanges.map((e) => [e.command, e.reply?.text])).toEqual([
      ['AUTH <redacted>', 'OK'],
      ['SELECT 3', 'OK'],
      ['PING', 'PONG'],
      [INFO_ALL, expect.stringContaining('# Server')],
    ]);
    const outOfRange = await runRespSession(await openTcp(r.port), { timeoutMs: 2000, credentials, db: 7 });
    expect(outOfRange.resp.exchanges[1]).toMatchObject({ command: 'SELECT 7', reply: { kind: 'error', text: 'ERR DB index is out of range' } });
    expect(outOfRange.resp.ok).toBe(true);
    const db0 = await runRespSession(await openTcp(r.port), { timeoutMs: 2000, credentials, db: 0 });
    expect(db0.resp.exchanges.map((e) => e.command)).toEqual(['AUTH <redacted>', 'PING', INFO_ALL]);
  });

  it('ACL user without +ping/+info: -NOPERM, AUTH recorded with the user name only', async () => {
    const r = await redis();
    await r.cli('ACL', 'SETUSER', 'app', 'on', '>app-pass-3', '~*', '+get');
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
    const held = await holdClients(r, 1);
    cleanups.push(() => held.release());
    const { resp } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000 });
    expect(resp.greeting).toEqual({ kind: 'error', text: 'ERR max number of clients reached' });
    expect(resp.closedByServer).toBe(true);
    expect(resp.ok).toBe(false);
  });

  it('replica with a down link and replica-serve-stale-data no: PING -MASTERDOWN, INFO answers', async () => {
    const r = track(await startOrphanReplica());
    await r.cli('CONFIG', 'SET', 'replica-serve-stale-data', 'no');
    const { resp, infoText } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000 });
    expect(resp.exchanges[0]?.reply).toEqual({ kind: 'error', text: "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'." });
    expect(infoText).toContain('master_link_status:down');
  });

  it('a running script: -BUSY for PING and INFO', async () => {
    const r = await redis({ args: BUSY_ARGS });
    const busy = await startBusyScript(r);
    cleanups.push(() => busy.release());
    const { resp } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000 });
    const text = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
    expect(resp.exchanges.map((e) => e.reply)).toEqual([
      { kind: 'error', text },
      { kind: 'error', text },
    ]);
  });

  it('loading the dataset: PING -LOADING, INFO answers with loading:1', async () => {
    const r = track(await startLoadingRedis());
    const { resp, infoText } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000 });
    expect(resp.exchanges[0]?.reply).toEqual({ kind: 'error', text: 'LOADING Redis is loading the dataset in memory' });
    expect(infoText).toContain('loading:1');
  });
});

describeLab('RESP session against a Redis whose bgsave failed', [need.binary('redis-server'), need.binary('redis-cli'), need.root(), need.mountns()], () => {
  let r: RedisServer;
  beforeAll(async () => {
    r = await startMisconfRedis();
  });
  afterAll(async () => {
    await r?.stop();
  });

  it('PING -MISCONF (stop-writes-on-bgsave-error refuses PING too), INFO still answers', async () => {
    const { resp, infoText } = await runRespSession(await openTcp(r.port), { timeoutMs: 2000 });
    expect(resp.exchanges[0]?.reply?.kind).toBe('error');
    expect(resp.exchanges[0]?.reply?.text).toMatch(/^MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk/);
    expect(infoText).toContain('rdb_last_bgsave_status:err');
  });
});

describeLab('RESP session against a TLS port', [need.binary('redis-server'), need.binary('openssl')], () => {
  let material: TlsMaterial;
  let r: RedisServer;
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
  const servers: (FakeServer | LocalServer)[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });
  async function serve<T extends FakeServer | LocalServer>(start: () => Promise<T>): Promise<T> {
    const s = await start();
    servers.push(s);
    return s;
  }

  it('an HTTP server: a non-RESP answer that looks like HTTP', async () => {
    const s = await serve(startHttpServer);
    const { resp } = await runRespSession(await openTcp(s.port), { timeoutMs: 2000 });
    expect(resp.nonResp?.excerpt).toMatch(/^HTTP\/1\.1 400 Bad Request\\r\\nServer: nginx\\r\\n/);
    expect(resp.nonResp).toMatchObject({ looksLikeTls: false, looksLikeHttp: true });
    expect(resp).toMatchObject({ ok: false, noReply: false });
  });

  it('an SSH server: the banner is a non-RESP answer', async () => {
    const s = await serve(startSshLikeServer);
    const { resp } = await runRespSession(await openTcp(s.port), { timeoutMs: 2000 });
    expect(resp.nonResp?.excerpt).toBe('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\\r\\n');
    expect(resp.nonResp?.looksLikeHttp).toBe(false);
  });

  it('a silent server: timed out with no reply', async () => {
    const s = await serve(() => silentServer());
    const { resp } = await runRespSession(await openTcp(s.port), { timeoutMs: 200 });
    expect(resp).toMatchObject({ ok: false, noReply: true, timedOut: true, closedByServer: false });
  });

  it('a server that takes one INFO section only (Redis < 7): falls back to plain INFO', async () => {
    // Stands in for Redis 6.x, whose INFO answers "-ERR syntax error" to more than one argument.
    const s = await serve(() =>
      startServer((socket) => {
        socket.on('data', (chunk: Buffer) => {
          for (const c of chunk.toString('latin1').split('*').filter((x) => x.endsWith('\r\n'))) {
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

/**
 * The handshake's client probe (CONFIG GET timeout / tcp-keepalive, CLIENT
 * SETINFO, HELLO 3 then HELLO 2) against real redis-server processes, and
 * against small RESP servers for a proxy that closes on an unknown command or
 * never answers one. It rides on the same write: the diagnosis's own
 * exchanges stay as they were.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runRespSession, type RespSessionOptions } from '../../../src/engine/probes/resp.js';
import { configValue } from '../../../src/engine/probes/client-probe.js';
import { describeLab, need } from '../../lab/guard.js';
import { startRedis, type RedisOptions, type RedisServer } from '../../lab/redis.js';
import { redisLike, startFakeResp } from '../../lab/fake-resp.js';
import { openTcp } from '../helpers/open.js';

const INFO_ALL = 'INFO server clients memory persistence replication keyspace';
const CLIENT = { libName: 'redis-doctor', libVer: '1.2.3' };
const options: RespSessionOptions = { timeoutMs: 2000, clientProbe: CLIENT };

describe('configValue', () => {
  it('reads "<name> <digits>" of an exact parameter only', () => {
    expect(configValue('timeout', { kind: 'array', text: 'timeout 3' })).toBe('3');
    expect(configValue('timeout', { kind: 'array', text: '' })).toBeUndefined();
    expect(configValue('timeout', { kind: 'array', text: 'timeout-x 3' })).toBeUndefined();
    expect(configValue('timeout', { kind: 'error', text: 'timeout 3' })).toBeUndefined();
    expect(configValue('timeout', { kind: 'array', text: `timeout ${'9'.repeat(100)}` })).toBeUndefined();
  });
});

describeLab('client probe against redis-server', [need.binary('redis-server'), need.binary('redis-cli')], () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    while (cleanups.length) await Promise.resolve(cleanups.pop()!()).catch(() => {});
  });
  const redis = async (o: RedisOptions = {}) => {
    const r = await startRedis(o);
    cleanups.push(() => r.stop());
    return r;
  };
  const commands = (r: { exchanges: { command: string }[] }) => r.exchanges.map((e) => e.command);

  it('Redis 7.0 defaults: timeout 0, tcp-keepalive 300, SETINFO unknown (7.2 adds it), HELLO 3 answered, the connection RESP2 again', async () => {
    const r: RedisServer = await redis();
    const { resp, conn } = await runRespSession(await openTcp(r.port), { ...options, keepOpen: true });
    cleanups.push(() => conn?.close());
    expect(commands(resp)).toEqual(['PING', INFO_ALL]);
    const probe = resp.clientProbe!;
    expect(probe).toMatchObject({ closed: false, silent: false, config: { timeout: '0', 'tcp-keepalive': '300' } });
    expect(commands(probe)).toEqual(['CONFIG GET timeout', 'CONFIG GET tcp-keepalive', 'CLIENT SETINFO lib-name redis-doctor', 'CLIENT SETINFO lib-ver 1.2.3', 'HELLO 3', 'HELLO 2']);
    expect(probe.exchanges[2]?.reply).toEqual({ kind: 'error', text: "ERR unknown subcommand 'SETINFO'. Try CLIENT HELP." });
    expect(probe.exchanges[4]?.reply?.kind).toBe('array');
    expect(probe.exchanges[4]?.reply?.text).toContain('proto 3');
    expect(probe.exchanges[5]?.reply?.text).toContain('proto 2');
    // The kept connection is RESP2 again for the topology phase.
    const batch = await conn!.exchange([{ label: 'CLIENT INFO', args: ['CLIENT', 'INFO'] }], 2000);
    expect(batch.replies[0]?.reply?.text).toContain(' resp=2');
  });

  it('--timeout 3: the setting is read; a user without +config gets -NOPERM, the session is otherwise unchanged', async () => {
    const r = await redis({ args: ['--timeout', '3'] });
    expect((await runRespSession(await openTcp(r.port), options)).resp.clientProbe?.config).toEqual({ timeout: '3', 'tcp-keepalive': '300' });
    await r.cli('ACL', 'SETUSER', 'app', 'on', '>app-pass-3', '~*', '+ping', '+info', '+client');
    const { resp } = await runRespSession(await openTcp(r.port), { ...options, credentials: { user: 'app', password: 'app-pass-3' } });
    expect(resp.ok).toBe(true);
    expect(resp.clientProbe?.config).toEqual({});
    expect(resp.clientProbe?.exchanges[0]?.reply).toEqual({ kind: 'error', text: "NOPERM this user has no permissions to run the 'config|get' command" });
    expect(commands(resp)).toEqual(['AUTH app <redacted>', 'PING', INFO_ALL]);
  });

  it('HELLO renamed away (rename-command HELLO ""): HELLO 3 gets -ERR unknown command', async () => {
    const r = await redis({ args: ['--rename-command', 'HELLO', ''] });
    const { resp } = await runRespSession(await openTcp(r.port), options);
    expect(resp.ok).toBe(true);
    expect(resp.clientProbe?.exchanges.find((e) => e.command === 'HELLO 3')?.reply).toEqual({ kind: 'error', text: "ERR unknown command 'HELLO', with args beginning with: '3' " });
  });
});

describe('client probe against a proxy', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (closers.length) await closers.pop()!();
  });

  it('closes the connection on CLIENT (as twemproxy does on unknown commands): the probe says closed, the session does not', async () => {
    const proxy = await startFakeResp((args) => redisLike(args) ?? 'close');
    closers.push(() => proxy.close());
    const { resp } = await runRespSession(await openTcp(proxy.port), options);
    expect(resp).toMatchObject({ ok: true, closedByServer: false, timedOut: false });
    expect(resp.socketError).toBeUndefined();
    expect(resp.clientProbe).toMatchObject({ closed: true, silent: false, config: { timeout: '0', 'tcp-keepalive': '0' } });
    expect(resp.clientProbe?.exchanges.filter((e) => e.reply).map((e) => e.command)).toEqual(['CONFIG GET timeout', 'CONFIG GET tcp-keepalive']);
  });

  it('never answers HELLO: silent after a short grace, not a session timeout', async () => {
    const proxy = await startFakeResp((args) => redisLike(args) ?? (args[0] === 'CLIENT' ? '+OK\r\n' : 'ignore'));
    closers.push(() => proxy.close());
    const started = Date.now();
    const { resp } = await runRespSession(await openTcp(proxy.port), { ...options, timeoutMs: 5000 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(resp).toMatchObject({ ok: true, timedOut: false, closedByServer: false });
    expect(resp.clientProbe).toMatchObject({ silent: true, closed: false });
    expect(resp.clientProbe?.exchanges.find((e) => e.command === 'HELLO 3')?.reply).toBeUndefined();
  });

  it('without the option nothing extra is sent', async () => {
    const proxy = await startFakeResp((args) => redisLike(args) ?? 'close');
    closers.push(() => proxy.close());
    const { resp } = await runRespSession(await openTcp(proxy.port), { timeoutMs: 2000 });
    expect(resp.clientProbe).toBeUndefined();
    expect(proxy.commands.map((c) => c[0])).toEqual(['PING', 'INFO']);
  });
});

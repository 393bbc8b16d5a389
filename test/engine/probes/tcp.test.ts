import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeTcp } from '../../../src/engine/probes/tcp.js';
import { freePort } from '../../lab/ports.js';
import { describeLab, need } from '../../lab/guard.js';
import { run } from '../../lab/exec.js';
import { onExitSync } from '../../lab/procs.js';
import { silentServer, type LocalServer } from '../helpers/net-servers.js';
import { fullBacklog, type FullBacklog } from '../helpers/full-backlog.js';

describe('probeTcp on loopback', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await silentServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('connects and hands on the open socket', async () => {
    const result = await probeTcp(['127.0.0.1'], server.port, 1000);
    expect(result.observation).toMatchObject({ ok: true, address: '127.0.0.1', port: server.port });
    expect(result.open?.socket.remotePort).toBe(server.port);
    result.open?.socket.destroy();
  });

  it('tries the next address when the first refuses', async () => {
    // The server listens on 127.0.0.1 only; 127.0.0.2 is loopback too but nothing listens there.
    const result = await probeTcp(['127.0.0.2', '127.0.0.1'], server.port, 1000);
    expect(result.observation).toMatchObject({ ok: true, address: '127.0.0.1' });
    result.open?.socket.destroy();
  });

  it('tries every address at once and keeps each result, in resolver order', async () => {
    const result = await probeTcp(['127.0.0.2', '127.0.0.1'], server.port, 1000);
    expect(result.observation).toMatchObject({ ok: true, address: '127.0.0.1' });
    const attempts = await result.attempts;
    expect(attempts).toMatchObject([
      { address: '127.0.0.2', family: 4, ok: false, code: 'ECONNREFUSED' },
      { address: '127.0.0.1', family: 4, ok: true },
    ]);
    result.open?.socket.destroy();
  });

  it('hands on the first address in resolver order when several connect, and closes the others', async () => {
    const result = await probeTcp(['127.0.0.1', '127.0.0.1'], server.port, 1000);
    expect((await result.attempts).map((a) => a.ok)).toEqual([true, true]);
    expect(result.open?.socket.destroyed).toBe(false);
    result.open?.socket.destroy();
  });

  it('reports ECONNREFUSED when nothing listens', async () => {
    const port = await freePort();
    const result = await probeTcp(['127.0.0.1'], port, 1000);
    expect(result.open).toBeUndefined();
    expect(result.observation).toMatchObject({ ok: false, address: '127.0.0.1', port, code: 'ECONNREFUSED' });
  });

  it('reports the first address when every address refuses', async () => {
    const port = await freePort();
    const result = await probeTcp(['127.0.0.2', '127.0.0.1'], port, 1000);
    expect(result.observation).toMatchObject({ ok: false, address: '127.0.0.2', code: 'ECONNREFUSED' });
    expect(result.observation.attempts?.map((a) => a.code)).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
  });
});

describeLab('probeTcp against a dropped SYN', [need.binary('redis-server')], () => {
  let full: FullBacklog;
  beforeAll(async () => {
    full = await fullBacklog();
  });
  afterAll(async () => {
    await full?.close();
  });

  it('gives up at its own bound with ETIMEDOUT', async () => {
    const result = await probeTcp(['127.0.0.1'], full.port, 300);
    expect(result.observation.ok).toBe(false);
    expect(result.observation.code).toBe('ETIMEDOUT');
    expect(result.observation.message).toBe('no answer within 300 ms');
  });

  it('stops at the abort signal', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const result = await probeTcp(['127.0.0.1'], full.port, 5000, controller.signal);
    expect(result.observation.code).toBe('ABORTED');
  });
});

// Local routes that answer with an error and send nothing on the wire:
// `unreachable` → EHOSTUNREACH, `throw` → ENETUNREACH (ip-route(8)).
describeLab('probeTcp against unreachable routes', [need.root(), need.binary('ip')], () => {
  const n = (process.pid % 250) + 1;
  const hostUnreach = `198.18.251.${n}`;
  const netUnreach = `198.18.252.${n}`;
  const cleanup = () =>
    Promise.all([
      run('ip', ['route', 'del', 'unreachable', `${hostUnreach}/32`]),
      run('ip', ['route', 'del', 'throw', `${netUnreach}/32`]),
    ]);
  let unregister: () => void = () => {};
  beforeAll(async () => {
    unregister = onExitSync(() => {
      // Synchronous best effort if the process ends before afterAll.
      for (const [type, address] of [['unreachable', hostUnreach], ['throw', netUnreach]] as const) {
        try {
          execFileSync('ip', ['route', 'del', type, `${address}/32`], { stdio: 'ignore', timeout: 5000 });
        } catch {
          // not there
        }
      }
    });
    await cleanup();
    await run('ip', ['route', 'add', 'unreachable', `${hostUnreach}/32`]);
    await run('ip', ['route', 'add', 'throw', `${netUnreach}/32`]);
  });
  afterAll(async () => {
    await cleanup();
    unregister();
  });

  it('maps an unreachable route to EHOSTUNREACH', async () => {
    const result = await probeTcp([hostUnreach], 6379, 1000);
    expect(result.observation).toMatchObject({ ok: false, code: 'EHOSTUNREACH' });
  });

  it('maps a missing route to ENETUNREACH', async () => {
    const result = await probeTcp([netUnreach], 6379, 1000);
    expect(result.observation).toMatchObject({ ok: false, code: 'ENETUNREACH' });
  });
});

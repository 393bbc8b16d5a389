import { afterEach, describe, expect, it } from 'vitest';
import { neighbourPorts, scanNeighbours } from '../../../src/engine/probes/neighbours.js';
import { describeLab, need } from '../../lab/guard.js';
import { freePortWithFreeNeighbours } from '../../lab/ports.js';
import { startRedis } from '../../lab/redis.js';
import { createTlsMaterial } from '../../lab/tls.js';
import { httpBadRequest } from '../../lab/fake-servers.js';
import { silentServer, startServer } from '../helpers/net-servers.js';

describe('neighbourPorts', () => {
  it('lists the usual Redis ports and port±1, never the target port', () => {
    expect(neighbourPorts(6379)).toEqual([6380, 6381, 16379, 26379, 7000, 7001, 7002, 7003, 7004, 7005, 6378]);
    expect(neighbourPorts(7003)).toEqual([6379, 6380, 6381, 16379, 26379, 7000, 7001, 7002, 7004, 7005]);
    expect(neighbourPorts(1)).toContain(2);
    expect(neighbourPorts(65535)).not.toContain(65536);
  });
});

describeLab('scanNeighbours on loopback', [need.binary('redis-server'), need.binary('openssl')], () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!().catch(() => {});
  });

  it('finds Redis on port+1 (a RESP error counts) and tells a web server on port-1 apart', async () => {
    const port = await freePortWithFreeNeighbours();
    const redis = await startRedis({ port: port + 1, password: 'neighbour-pw' });
    cleanups.push(() => redis.stop());
    const web = await startServer((socket) => socket.once('data', () => socket.end(httpBadRequest())), port - 1);
    cleanups.push(() => web.close());

    const scan = await scanNeighbours('127.0.0.1', port, 2000);
    expect(scan.scanned).not.toContain(port);
    expect(scan.scanned).toEqual(expect.arrayContaining([port - 1, port + 1, 6379, 26379, 7005]));
    expect(scan.found.find((f) => f.port === port + 1)).toEqual({ port: port + 1, redis: true, reply: '-NOAUTH Authentication required.' });
    expect(scan.found.find((f) => f.port === port - 1)).toMatchObject({ port: port - 1, redis: false });
    expect(scan.found.find((f) => f.port === port - 1)?.reply).toMatch(/^HTTP\/1\.1 400 Bad Request\\r\\n/);
    for (const f of scan.found) expect(scan.scanned).toContain(f.port);
    expect(scan.truncated).toBe(false);
  });

  it('finds a Redis TLS port: plaintext PING is reset, PING over TLS answers', async () => {
    const port = await freePortWithFreeNeighbours();
    const material = await createTlsMaterial();
    cleanups.push(() => material.remove());
    const redis = await startRedis({ port: port - 1, tls: material });
    cleanups.push(() => redis.stop());
    const scan = await scanNeighbours('127.0.0.1', port, 2000);
    expect(scan.found.find((f) => f.port === port - 1)).toEqual({ port: port - 1, redis: true, tls: true, reply: '+PONG' });
  });

  it('stops at its bound and says so when a port never answers', async () => {
    const port = await freePortWithFreeNeighbours();
    const silent = await silentServer(port + 1);
    cleanups.push(() => silent.close());
    const scan = await scanNeighbours('127.0.0.1', port, 200);
    expect(scan.truncated).toBe(true);
    expect(scan.found.find((f) => f.port === port + 1)).toEqual({ port: port + 1, redis: false });
  });
});

/**
 * A TLS-only redis-server and a plaintext one on loopback, with the CA that
 * signed the TLS server's certificate: the fixture of every TLS-mismatch and
 * certificate test. stop() removes both servers and the material.
 */
import { startRedis, type RedisServer } from './redis.js';
import { createTlsMaterial, type TlsMaterial } from './tls.js';

export interface TlsPair {
  material: TlsMaterial;
  tlsRedis: RedisServer;
  plainRedis: RedisServer;
  stop(): Promise<void>;
}

export async function startTlsPair(): Promise<TlsPair> {
  const material = await createTlsMaterial();
  const started = await Promise.allSettled([startRedis({ tls: material }), startRedis()]);
  const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
    await material.remove();
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { material, tlsRedis: servers[0]!, plainRedis: servers[1]!, stop };
}

/**
 * A small RESP server on a free loopback port, for what a real redis-server
 * cannot be: a managed service's proxy answering with its quota error, a
 * Redis older than 6 (AUTH with a user name, HELLO unknown), a proxy that
 * closes the connection on a command it does not know (twemproxy) or never
 * answers it. Each command is answered with what `answer` returns: RESP
 * bytes, 'close' (end the connection), or 'ignore' (no reply; the next
 * commands are still read and answered).
 */
import type { FakeServer } from './fake-servers.js';
import { startFakeRedis } from './fake-redis.js';

export type FakeAnswer = string | 'close' | 'ignore';

/** startFakeRedis (which reads and records the commands) answering with `answer`. */
export async function startFakeResp(answer: (args: string[]) => FakeAnswer): Promise<FakeServer & { commands: string[][] }> {
  const fake = await startFakeRedis({ reply: answer });
  return {
    host: fake.host,
    port: fake.port,
    connections: fake.connections,
    close: fake.close,
    get commands() {
      return fake.commands();
    },
  };
}

/** What a Redis 7.0 answers to the handshake's PING and INFO, for fakes that behave otherwise on the rest. */
export function redisLike(args: string[]): FakeAnswer | undefined {
  const name = (args[0] ?? '').toUpperCase();
  if (name === 'PING') return '+PONG\r\n';
  if (name === 'INFO') {
    const text = '# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n';
    return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
  }
  if (name === 'CONFIG') return `*2\r\n$${args[2]!.length}\r\n${args[2]}\r\n$1\r\n0\r\n`;
  return undefined;
}

/**
 * A small RESP server on a free loopback port, for what a real redis-server
 * cannot be: a managed service's proxy answering with its quota error, a
 * Redis older than 6 (AUTH with a user name, HELLO unknown), a proxy that
 * closes the connection on a command it does not know (twemproxy) or never
 * answers it. It reads the commands a client sends (RESP arrays of bulk
 * strings, as every client library writes them) and answers each with what
 * `answer` returns: RESP bytes, 'close' (end the connection), or 'ignore'
 * (no reply; the next commands are still read and answered).
 */
import { serveOnLoopback, type FakeServer } from './fake-servers.js';

export type FakeAnswer = string | 'close' | 'ignore';

const MAX_BUFFER = 1024 * 1024;

/** One command off the front of `buf`, or undefined while it is incomplete. */
function readCommand(buf: Buffer): { args: string[]; end: number } | undefined {
  let pos = 0;
  const line = (): string | undefined => {
    const cr = buf.indexOf('\r\n', pos, 'latin1');
    if (cr < 0) return undefined;
    const text = buf.toString('latin1', pos, cr);
    pos = cr + 2;
    return text;
  };
  const head = line();
  if (head === undefined) return undefined;
  if (!head.startsWith('*')) throw new Error(`not a RESP array: ${head.slice(0, 20)}`);
  const count = Number(head.slice(1));
  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    const len = line();
    if (len === undefined) return undefined;
    const n = Number(len.slice(1));
    if (buf.length < pos + n + 2) return undefined;
    args.push(buf.toString('utf8', pos, pos + n));
    pos += n + 2;
  }
  return { args, end: pos };
}

export async function startFakeResp(answer: (args: string[]) => FakeAnswer): Promise<FakeServer & { commands: string[][] }> {
  const commands: string[][] = [];
  const server = await serveOnLoopback((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > MAX_BUFFER) return void socket.destroy();
      for (let cmd = readCommand(buf); cmd; cmd = readCommand(buf)) {
        buf = buf.subarray(cmd.end);
        commands.push(cmd.args);
        const reply = answer(cmd.args);
        if (reply === 'close') return void socket.end();
        if (reply !== 'ignore') socket.write(reply);
      }
    });
  });
  return { ...server, commands };
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

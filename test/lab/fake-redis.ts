/**
 * A scripted RESP server that records what clients send: the attacker's
 * server in the follow-policy tests (a fake replica, Sentinel or cluster node
 * whose replies name addresses), and a recorder standing where nothing may be
 * contacted (the bot's queue Redis, its HTTP port). It reads commands as
 * redis clients send them (arrays of bulk strings) and answers each with
 * `reply(argv)`; every raw byte received is kept, so a test can assert that a
 * password never arrived in any form.
 *
 *   const fake = await startFakeRedis({ host: ns.hostAddress, reply: (argv) => … });
 *   fake.commands()  // [['AUTH', 'doctor', 'pw'], ['PING'], …]
 *   fake.received()  // every byte, latin1
 */
import { listenTracked } from './fake-servers.js';

export interface FakeRedis {
  host: string;
  port: number;
  connections(): number;
  commands(): string[][];
  received(): string;
  close(): Promise<void>;
}

export interface FakeRedisOptions {
  host?: string;
  /**
   * The RESP text to answer a command with; undefined: `-ERR unknown command`; 'close': end the
   * connection (a proxy refusing what it does not know); 'ignore': no reply (the next commands
   * are still read and answered).
   */
  reply?: (argv: string[]) => string | undefined;
}

export const bulk = (s: string): string => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
export const array = (items: string[]): string => `*${items.length}\r\n${items.join('')}`;
export const ok = '+OK\r\n';

/** Commands in a buffer, as many as are complete; the rest stays for the next chunk (test input only: ours). */
function takeCommands(buffer: { text: string }): string[][] {
  const out: string[][] = [];
  for (;;) {
    const text = buffer.text;
    if (!text.startsWith('*')) {
      // An inline command (or garbage): one line.
      const end = text.indexOf('\r\n');
      if (end < 0) return out;
      out.push(text.slice(0, end).split(' ').filter(Boolean));
      buffer.text = text.slice(end + 2);
      continue;
    }
    let at = text.indexOf('\r\n');
    if (at < 0) return out;
    const count = Number(text.slice(1, at));
    at += 2;
    const argv: string[] = [];
    for (let i = 0; i < count; i++) {
      const lineEnd = text.indexOf('\r\n', at);
      if (lineEnd < 0) return out;
      const len = Number(text.slice(at + 1, lineEnd));
      const start = lineEnd + 2;
      if (text.length < start + len + 2) return out;
      argv.push(text.slice(start, start + len));
      at = start + len + 2;
    }
    out.push(argv);
    buffer.text = text.slice(at);
  }
}

export async function startFakeRedis(options: FakeRedisOptions = {}): Promise<FakeRedis> {
  const host = options.host ?? '127.0.0.1';
  const commands: string[][] = [];
  let raw = '';
  const listening = await listenTracked(host, (socket) => {
    const buffer = { text: '' };
    socket.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      raw += text;
      buffer.text += text;
      for (const argv of takeCommands(buffer)) {
        commands.push(argv);
        const answer = options.reply?.(argv) ?? `-ERR unknown command '${argv[0] ?? ''}'\r\n`;
        if (answer === 'close') return void socket.end();
        if (answer !== 'ignore' && !socket.destroyed) socket.write(answer);
      }
    });
  });
  return { host, ...listening, commands: () => commands.map((c) => [...c]), received: () => raw };
}

/** An INFO reply from `key:value` fields (one section per call is enough for the engine). */
export function infoReply(fields: Record<string, string | number>): string {
  return bulk(`# Server\r\n${Object.entries(fields).map(([k, v]) => `${k}:${v}`).join('\r\n')}\r\n`);
}

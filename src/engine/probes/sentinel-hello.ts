/**
 * Which Sentinels monitor a data node, and which primary they name: every
 * Sentinel publishes on each primary and replica it monitors, every 2 s
 * (sentinel.c: sentinel_publish_period 2000, SENTINEL_HELLO_CHANNEL
 * "__sentinel__:hello"), a message
 *   <sentinel ip>,<sentinel port>,<runid>,<epoch>,<master name>,<master ip>,<master port>,<master epoch>
 * That is how Sentinels find each other; a client of the data node can
 * listen too (SUBSCRIBE is read-only). Used when the configuration calls the
 * target a Sentinel (sentinelMaster) but a data node answers.
 *
 * On an open connection: [AUTH] SUBSCRIBE __sentinel__:hello, then read
 * messages until one names `masterName` or `waitMs` passes. The connection
 * is closed afterwards (a subscribed connection takes no other command).
 */
import { Redactor } from '../shared/redact.js';
import { bound, now, since } from '../shared/clock.js';
import type { Credentials } from '../model/options.js';
import type { HelloDiscovery, SentinelHello } from '../model/topology.js';
import { authCommand, encodeCommand, RespParser, RespProtocolError } from './resp-parser.js';
import { pacedData } from './paced.js';
import type { SessionSocket } from './resp.js';
import { parseHello } from './topology-replies.js';

export const HELLO_CHANNEL = '__sentinel__:hello';
/** Hellos kept per listen (the lookup above stays small). */
export const MAX_HELLOS = 32;

export interface HelloOptions {
  credentials?: Credentials;
  masterName: string;
  waitMs: number;
  signal?: AbortSignal;
}

export function listenForHello(open: SessionSocket, options: HelloOptions): Promise<HelloDiscovery> {
  const { socket } = open;
  const redactor = new Redactor().add(options.credentials?.password);
  const parser = new RespParser();
  const hellos: SentinelHello[] = [];
  const started = now();
  return new Promise<HelloDiscovery>((resolve) => {
    let error: string | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      timer.clear();
      socket.removeAllListeners('data');
      socket.on('error', () => {});
      socket.destroy();
      resolve({ waitedMs: since(started), hellos, ...(error !== undefined ? { error: redactor.redact(error) } : {}) });
    };
    const timer = bound(options.waitMs, options.signal, () => finish());
    socket.on('data', pacedData(socket, (chunk: Buffer) => {
      try {
        parser.push(chunk);
        for (let node = parser.nextNode(); node && !done; node = parser.nextNode()) {
          if (node.kind === 'error') {
            error = `-${node.text}`;
            // An AUTH error may be followed by a working SUBSCRIBE (no password configured); anything else ends it.
            if (!/called without any password configured/i.test(node.text)) return finish();
            continue;
          }
          const items = node.items?.map((n) => n.text) ?? [];
          if (items[0] !== 'message' || items[1] !== HELLO_CHANNEL || items[2] === undefined) continue;
          const hello = parseHello(items[2]);
          if (!hello || hellos.some((h) => h.sentinelRunId === hello.sentinelRunId)) continue;
          // Anyone allowed to PUBLISH can send hellos: keep a few (the one for the master ends the listen).
          if (hellos.length >= MAX_HELLOS && hello.masterName !== options.masterName) continue;
          hellos.push(hello);
          if (hello.masterName === options.masterName) return finish();
        }
      } catch (err) {
        if (!(err instanceof RespProtocolError)) throw err;
        error = 'not a RESP reply';
        finish();
      }
    }));
    socket.on('end', () => {
      error ??= 'connection closed';
      finish();
    });
    socket.on('close', () => finish());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error ??= err.code ?? err.message;
      finish();
    });
    if (open.error || socket.destroyed) {
      error = open.error?.code ?? 'connection closed';
      return finish();
    }
    const auth = authCommand(options.credentials);
    socket.write(Buffer.concat([...(auth ? [encodeCommand(auth.args)] : []), encodeCommand(['SUBSCRIBE', HELLO_CHANNEL])]));
  });
}

/** The command as reported: never the password. */
export function helloCommandLabel(credentials?: Credentials): string {
  const auth = authCommand(credentials);
  return `${auth ? `${auth.label}, ` : ''}SUBSCRIBE ${HELLO_CHANNEL}`;
}

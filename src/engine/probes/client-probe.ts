/**
 * What the application's client sends that the diagnosis's own PING and INFO
 * do not, appended to the handshake's one write (resp.ts), so it costs no
 * round trip:
 *
 *   CONFIG GET timeout          Redis closes a client idle for longer (0 = never; redis.conf `timeout`)
 *   CONFIG GET tcp-keepalive    SO_KEEPALIVE probes from the server side, which keep NAT/LB state alive
 *   CLIENT SETINFO lib-name …   sent on connect by recent redis-py (5.x), go-redis v9 and node-redis (Redis ≥ 7.2 knows it)
 *   CLIENT SETINFO lib-ver …
 *   HELLO 3                     what a RESP3 client sends first (Redis ≥ 6; -NOPROTO for an unsupported version)
 *   HELLO 2                     back to RESP2
 *
 * The choice about HELLO: the diagnosis sends HELLO 3, which is what a RESP3
 * client (node-redis `RESP: 3`, redis-py `protocol=3`, Lettuce 6 and go-redis
 * v9 by default) sends, so a server or proxy that refuses version 3 only is
 * seen; and then HELLO 2, so that the connection is RESP2 again for anything
 * the topology phase sends on it. The replies to both are parsed like any
 * other (the parser reads RESP3 maps), and HELLO goes last so that a proxy
 * that drops the connection on an unknown command (twemproxy does) has
 * already answered PING, INFO and CONFIG GET.
 *
 * These replies are the application's evidence, not the diagnosis's: they
 * are kept in `resp.clientProbe`, and their absence never makes the session
 * time out (a grace after the diagnosis's own replies, see resp.ts).
 */
import type { RespReply } from '../model/types.js';

export interface ClientProbeOptions {
  /** CLIENT SETINFO lib-name and lib-ver: what a client library announces. */
  libName: string;
  libVer: string;
}

export interface ClientCommand {
  label: string;
  args: string[];
}

/** The CONFIG GET parameters asked for (read by the idle-connections-closed rule). */
export const IDLE_SETTINGS = ['timeout', 'tcp-keepalive'] as const;

/** CLIENT SETINFO takes no spaces or newlines in lib-name/lib-ver ("ERR lib-name cannot contain spaces"). */
function setinfoValue(value: string): string {
  const clean = value.replace(/[^\x21-\x7e]/g, '').slice(0, 64);
  return clean === '' ? 'unknown' : clean;
}

export function clientCommands(options: ClientProbeOptions): ClientCommand[] {
  const name = setinfoValue(options.libName);
  const ver = setinfoValue(options.libVer);
  return [
    ...IDLE_SETTINGS.map((p) => ({ label: `CONFIG GET ${p}`, args: ['CONFIG', 'GET', p] })),
    { label: `CLIENT SETINFO lib-name ${name}`, args: ['CLIENT', 'SETINFO', 'lib-name', name] },
    { label: `CLIENT SETINFO lib-ver ${ver}`, args: ['CLIENT', 'SETINFO', 'lib-ver', ver] },
    { label: 'HELLO 3', args: ['HELLO', '3'] },
    { label: 'HELLO 2', args: ['HELLO', '2'] },
  ];
}

const MAX_VALUE = 32;

/**
 * A CONFIG GET reply for one exact parameter, flattened by the parser to
 * "<name> <value>" (a RESP2 array or a RESP3 map of one pair); an empty
 * array (the parameter does not exist) gives nothing. Exact prefix match
 * on a capped text, no regex over server bytes.
 */
export function configValue(name: string, reply: RespReply | undefined): string | undefined {
  if (reply?.kind !== 'array') return undefined;
  const text = reply.text.slice(0, name.length + 1 + MAX_VALUE + 1);
  if (!text.startsWith(`${name} `)) return undefined;
  const value = text.slice(name.length + 1);
  return value.length <= MAX_VALUE && /^[0-9]+$/.test(value) ? value : undefined;
}

/** How long to wait for these replies once the diagnosis's own are in: real Redis answers a pipeline at once. */
export function graceMs(coreMs: number, leftMs: number): number {
  return Math.max(0, Math.min(leftMs, Math.max(200, 2 * coreMs)));
}

/**
 * Read-only helpers the rules share to look at Observations: server replies,
 * INFO fields and evidence formatting. No decisions here, only lookups.
 *
 * Reply texts are stored by the RESP probe without the type byte
 * (`NOAUTH Authentication required.`); the helpers also accept a leading
 * "-" so a rule keeps working if a text arrives in wire form.
 */
import { hostPort } from '../../shared/address.js';
import { infoField } from '../../probes/info.js';
import type { Observations, RespReply } from '../../model/types.js';

/** host:port with IPv6 literals bracketed (rules quote it in titles and evidence). */
export { hostPort };

/** A reply the server sent: to one of our commands, or unprompted right after accept. */
export interface SeenReply {
  /** The command as sent (secrets already replaced), or undefined for a greeting. */
  command?: string;
  reply: RespReply;
}

/** Longest server text quoted in evidence: enough to recognise, short enough for a Slack line. */
export const QUOTE_MAX = 160;

export function seenReplies(obs: Observations): SeenReply[] {
  const out: SeenReply[] = [];
  if (obs.resp?.greeting) out.push({ reply: obs.resp.greeting });
  for (const e of obs.resp?.exchanges ?? []) if (e.reply) out.push({ command: e.command, reply: e.reply });
  return out;
}

/** Error text without a wire "-" prefix. */
export function errorText(reply: RespReply): string {
  return reply.text.replace(/^-/, '').trim();
}

/** Every error reply whose text matches `re` (matched against the text without "-"). */
export function errorsMatching(obs: Observations, re: RegExp): SeenReply[] {
  return seenReplies(obs).filter((s) => s.reply.kind === 'error' && re.test(errorText(s.reply)));
}

export function firstError(obs: Observations, re: RegExp): SeenReply | undefined {
  return errorsMatching(obs, re)[0];
}

/** One line, control characters shown, capped at `max` characters. */
export function clip(text: string, max = QUOTE_MAX): string {
  const line = text.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/[\x00-\x1f\x7f]/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A reply in wire form for quoting: `-NOAUTH Authentication required.`, `+PONG`. */
export function wire(reply: RespReply): string {
  if (reply.kind === 'error') return clip(`-${errorText(reply)}`);
  if (reply.kind === 'status') return clip(`+${reply.text}`);
  return clip(reply.text);
}

/** Evidence line for a reply: what was sent and what came back. */
export function replyEvidence(seen: SeenReply): string {
  if (seen.command === undefined) return `server sent on connect: ${wire(seen.reply)}`;
  return `${seen.command.split(' ')[0] === 'INFO' ? 'INFO' : seen.command} → ${wire(seen.reply)}`;
}

/** An INFO field from whichever section holds it (names are unique across sections). */
export function info(obs: Observations, field: string): string | undefined {
  return infoField(obs.info?.sections, field);
}

export function infoNumber(obs: Observations, field: string): number | undefined {
  const value = info(obs, field);
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** `used_memory:123 maxmemory:0` — INFO fields quoted as Redis prints them, absent ones skipped. */
export function infoQuote(obs: Observations, fields: readonly string[]): string {
  return fields
    .map((f) => [f, info(obs, f)] as const)
    .filter((pair): pair is readonly [string, string] => pair[1] !== undefined)
    .map(([f, v]) => `${f}:${v}`)
    .join(' ');
}

/** A CONFIG GET value the server agreed to show. */
export function config(obs: Observations, name: string): string | undefined {
  return obs.config?.[name];
}

/** A duration for evidence: whole milliseconds ("after 3 ms", not "after 2.87 ms"). */
export function ms(durationMs: number): string {
  return `${Math.round(durationMs)} ms`;
}

/** The address the TCP step tried, with the name typed when they differ: `cache.local:6379 (10.0.0.5)`. */
export function targetLabel(obs: Observations): string {
  const base = hostPort(obs.target.host, obs.target.port);
  const address = obs.tcp?.address;
  return address && address !== obs.target.host ? `${base} (${address})` : base;
}

/** Bytes as Redis' *_human fields print them (1.04M), for titles and steps. */
export function humanBytes(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return i === 0 ? `${value}B` : `${value.toFixed(2)}${units[i]}`;
}

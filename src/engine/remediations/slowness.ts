/**
 * Fixes for a server that answers but stalls its clients. The fact these rest
 * on: Redis runs commands one at a time on its main thread, so a command that
 * takes 200 ms (KEYS over a million keys, DEL of a big hash, HGETALL of a huge
 * one) makes every other client wait 200 ms — long enough for client timeouts
 * (`Timeout performing GET`, `Command timed out`) and BullMQ stalls.
 */
import type { Remediation } from '../model/types.js';
import { cli, type FixTarget, rerun } from './fix-target.js';

export const slownessFixes = {
  'replace-blocking-commands': (t: FixTarget, p: { commands?: string[]; clients?: string[] } = {}): Remediation => {
    const commands = p.commands?.length ? p.commands.join(', ') : 'the commands SLOWLOG names';
    const clients = p.clients?.length ? p.clients.join('; ') : 'the client address SLOWLOG records';
    return {
      id: 'replace-blocking-commands',
      title: `Replace the blocking commands (${commands}) in the client code that sends them`,
      risk: 'low',
      mode: 'guided',
      steps: [
        `Find the code: SLOWLOG recorded the calls from ${clients}. ${cli(t)} CLIENT LIST shows each connection's addr, name and lib-name; on the client host, ss -tnp | grep <port> maps the address to the process.`,
        'KEYS → SCAN: SCAN walks the keyspace in small steps (SCAN 0 MATCH <pattern> COUNT 1000, then the returned cursor until it is 0), so no call blocks for long: redis-cli --scan --pattern "<pattern>"; node-redis for await (const key of client.scanIterator({ MATCH, COUNT: 1000 })); ioredis redis.scanStream({ match, count: 1000 }); redis-py r.scan_iter(match=..., count=1000); go-redis client.Scan(ctx, cursor, match, 1000).Iterator(). Better still, keep the keys you need in a set and read that.',
        'Whole big collections: HGETALL, SMEMBERS, ZRANGE 0 -1, LRANGE 0 -1 on keys with many elements → HSCAN, SSCAN, ZSCAN (or ranges of a few hundred); SUNION/SINTER/SORT over big sets → precompute, or run them on a replica.',
        'DEL of a big key frees every element on the main thread → UNLINK (Redis ≥ 4.0) frees it in the background; or set lazyfree-lazy-user-del yes (Redis ≥ 6.0) so DEL behaves like UNLINK, and lazyfree-lazy-expire / lazyfree-lazy-eviction yes for big keys that expire or are evicted.',
        'Long Lua scripts and FUNCTIONs block like any command: do less per call, or split the work over several calls.',
        'DEBUG, FLUSHALL/FLUSHDB without ASYNC, and KEYS have no place in application code: keep them from running again with an ACL for the application user (ACL SETUSER <app-user> -@dangerous, or -keys -flushall) or, self-managed, rename-command KEYS "" in redis.conf.',
        `After the fix, start a fresh record: ${cli(t)} SLOWLOG RESET (the old entries stay until then, and this finding with them, for an hour).`,
      ],
      verify: rerun(t, 'no slow-commands finding, and the latency-sample check shows a p99 of a few milliseconds.'),
    };
  },
  'watch-slow-commands': (t: FixTarget): Remediation => ({
    id: 'watch-slow-commands',
    title: 'Keep watching what blocks the server: SLOWLOG, the latency monitor, client timeouts',
    risk: 'low',
    mode: 'guided',
    steps: [
      `${cli(t)} CONFIG GET slowlog-log-slower-than (µs; 10000 by default): commands slower than this are logged; slowlog-max-len (128 by default) is how many are kept. ${cli(t)} SLOWLOG GET 32 lists them with their client.`,
      `${cli(t)} CONFIG SET latency-monitor-threshold 100 turns on the latency monitor (ms; 0, the default, is off): then LATENCY LATEST, LATENCY HISTORY command and LATENCY DOCTOR show when the server stalled and why (commands, fork, AOF fsync, expiry).`,
      `${cli(t)} --latency (and --latency-history) measures what a client sees, from the client's host.`,
      'Client side: a command timeout above the slowest legitimate command, with retries only for idempotent commands (node-redis socket.timeout / commandsQueueMaxLength, ioredis commandTimeout, redis-py socket_timeout, go-redis ReadTimeout, StackExchange.Redis syncTimeout/asyncTimeout); BullMQ: a stalled job is one whose lock was not renewed in time — blocking commands on the same Redis delay the renewal.',
    ],
    verify: rerun(t, 'the latency-sample check shows p99 in single-digit milliseconds.'),
  }),
} as const;

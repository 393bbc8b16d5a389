/**
 * Fixes for a server that answers but stalls its clients. The fact these rest
 * on: Redis runs commands one at a time on its main thread, so a command that
 * takes 200 ms (KEYS over a million keys, DEL of a big hash, HGETALL of a huge
 * one) makes every other client wait 200 ms — long enough for client timeouts
 * (`Timeout performing GET`, `Command timed out`) and BullMQ stalls.
 */
import type { Remediation } from '../model/types.js';
import { cli, keepSetting, type FixTarget, rerun } from './fix-target.js';

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

  // latency-spikes ----------------------------------------------------------------------------
  'disable-transparent-huge-pages': (t: FixTarget): Remediation => ({
    id: 'disable-transparent-huge-pages',
    title: 'Turn transparent huge pages off on the Redis host (never), so a fork does not copy 2 MB pages',
    risk: 'low',
    mode: 'guided',
    steps: [
      'Why: with THP `always`, after BGSAVE/BGREWRITEAOF forks, every write to a page copies a 2 MB huge page instead of a 4 KB one: writes stall and memory jumps; Redis warns at start ("WARNING you have Transparent Huge Pages (THP) support enabled in your kernel").',
      'Now, on the host: echo never | sudo tee /sys/kernel/mm/transparent_hugepage/enabled (and …/defrag); cat /sys/kernel/mm/transparent_hugepage/enabled must show [never].',
      'At boot: add transparent_hugepage=never to GRUB_CMDLINE_LINUX in /etc/default/grub and run sudo update-grub (grub2-mkconfig on RHEL), or a systemd unit/tuned profile that writes never before redis-server starts. Redis ≥ 6.2 also turns THP off for its own process when disable-thp yes (the default) — check that it is not set to no.',
      `Restart redis-server afterwards (memory already in huge pages stays so), then ${cli(t)} LATENCY RESET.`,
    ],
    verify: rerun(t, 'no latency-spikes finding naming transparent huge pages; the host check shows [never].'),
  }),
  'tune-fork-and-persistence': (t: FixTarget, p: { fork?: boolean; fsync?: boolean } = {}): Remediation => ({
    id: 'tune-fork-and-persistence',
    title: p.fsync && !p.fork ? 'Stop the AOF fsync from stalling the server: appendfsync everysec, and a disk that keeps up' : 'Make the persistence fork cheap, or move it off the clients\' path',
    risk: 'medium',
    mode: 'guided',
    steps: [
      `See what stalls: ${cli(t)} INFO persistence (rdb_last_bgsave_time_sec, aof_last_write_status, aof_delayed_fsync) and ${cli(t)} INFO stats (latest_fork_usec: the last fork's pause of the whole server, in µs; about 10-20 ms per GB of memory on bare metal, much more on some VMs).`,
      'Fork: set vm.overcommit_memory = 1 on the host (sudo sysctl vm.overcommit_memory=1, and in /etc/sysctl.d/) so the fork never fails or waits; keep used_memory small enough for the fork to be quick (maxmemory, fewer/smaller keys); run BGSAVE less often (save "3600 1 300 100" instead of frequent points) or only on a replica (save "" on the primary, persistence on a replica that serves no latency-critical reads).',
      `AOF: appendfsync always fsyncs every write (aof-fsync-always events): use ${cli(t)} CONFIG SET appendfsync everysec (at most a second of writes lost on a crash). ${keepSetting(t, cli(t), 'appendfsync everysec')}`,
      `AOF and rewrite together: ${cli(t)} CONFIG SET no-appendfsync-on-rewrite yes stops fsync while BGREWRITEAOF/BGSAVE writes; aof_delayed_fsync counts the writes that waited for a slow fsync — a disk that cannot keep up (a shared or burst-credit cloud volume): give the AOF its own faster disk.`,
      `Afterwards: ${cli(t)} LATENCY RESET, so the events show only what happens from now on.`,
    ],
    verify: rerun(t, 'latency-monitor shows no new fork or aof-fsync events, and latest_fork_usec stays small.'),
  }),
  'stop-redis-swapping': (t: FixTarget, p: { swapKb?: number } = {}): Remediation => ({
    id: 'stop-redis-swapping',
    title: `Keep Redis in memory: it is swapping${p.swapKb ? ` (${Math.round(p.swapKb / 1024)} MiB in swap)` : ''}, and every access to a swapped page is a disk read on the main thread`,
    risk: 'medium',
    mode: 'guided',
    steps: [
      'On the host: grep VmSwap /proc/$(pidof redis-server)/status (or redis-cli INFO server process_id for the pid) shows how much of Redis is in swap; free -m and vmstat 1 show the pressure.',
      `Give it room: ${cli(t)} CONFIG SET maxmemory <bytes below the host's free memory> with an eviction policy that fits the data (allkeys-lru for a cache), or more memory for the host/VM/container; move other memory-hungry processes off the host.`,
      'Keep the kernel from swapping it: sudo sysctl vm.swappiness=1 (persist in /etc/sysctl.d/), or turn swap off on a dedicated Redis host (sudo swapoff -a and remove it from /etc/fstab) — with maxmemory set, so the OOM killer is not the next visitor.',
      `Afterwards: ${cli(t)} LATENCY RESET; the swapped pages come back as they are touched.`,
    ],
    verify: rerun(t, 'VmSwap of the redis-server process is 0 kB and the latency sample is small.'),
  }),
  'watch-latency-events': (t: FixTarget, p: { thresholdOff?: boolean } = {}): Remediation => ({
    id: 'watch-latency-events',
    title: p.thresholdOff ? 'Turn the latency monitor on, so the next stall is recorded with its cause' : 'Read what the latency monitor recorded, then start a fresh record',
    risk: 'low',
    mode: 'guided',
    steps: [
      `${cli(t)} CONFIG SET latency-monitor-threshold 100 records every event of 100 ms or more (0, the default, records nothing). ${keepSetting(t, cli(t), 'latency-monitor-threshold 100')}`,
      `${cli(t)} LATENCY LATEST lists each event (fork, aof-fsync-always, expire-cycle, eviction-cycle, command, fast-command …) with its latest and worst time; LATENCY HISTORY <event> its last 160 samples; LATENCY DOCTOR explains them in words.`,
      'Reading them: command → slow commands (SLOWLOG GET names them); fast-command → O(1) commands that were slow, i.e. the host (swap, CPU steal, THP); fork → BGSAVE/BGREWRITEAOF forks; aof-* → the disk under the AOF; expire-cycle → many keys expiring at once (spread TTLs with jitter); eviction-cycle/eviction-del → maxmemory eviction of big keys (lazyfree-lazy-eviction yes).',
      `After fixing: ${cli(t)} LATENCY RESET clears the record, so the next diagnosis shows only new events.`,
    ],
    verify: rerun(t, 'the latency-monitor check shows no new event.'),
  }),

  // output-buffer-disconnects ---------------------------------------------------------------
  'fix-slow-subscribers': (t: FixTarget, p: { clients?: string[]; limit?: string } = {}): Remediation => ({
    id: 'fix-slow-subscribers',
    title: 'Make the pub/sub subscribers keep up, or give them a larger output buffer',
    risk: 'low',
    mode: 'guided',
    steps: [
      `Who: ${p.clients?.length ? p.clients.join('; ') : 'the clients with flags=P and a large omem'} — ${cli(t)} CLIENT LIST TYPE pubsub shows each subscriber's omem (bytes waiting for it) and oll; the server log says "Client … scheduled to be closed ASAP for overcoming of output buffer limits" when it closes one.`,
      'Why: Redis queues every message for a subscriber that does not read fast enough (a stopped or overloaded consumer, a slow network, a handler that blocks the reading loop); past the hard limit, or the soft limit for longer than its seconds, it closes the connection and the subscriber misses every message meanwhile.',
      'Fix the consumer first: read the socket on its own loop and hand messages to workers (do not process inline), scale consumers, or use a Stream (XADD/XREADGROUP) where a consumer can fall behind without being dropped.',
      `If the bursts are legitimate: ${cli(t)} CONFIG SET client-output-buffer-limit "pubsub 64mb 16mb 90" (now ${p.limit ?? 'pubsub 32mb 8mb 60 by default'}); memory for buffers counts towards the server's memory, so keep maxmemory headroom. ${keepSetting(t, cli(t), 'client-output-buffer-limit "pubsub 64mb 16mb 90"')}`,
    ],
    verify: rerun(t, 'no output-buffer-disconnects finding; CLIENT LIST shows small omem for the subscribers.'),
  }),
  'raise-replica-output-buffer': (t: FixTarget, p: { limit?: string } = {}): Remediation => ({
    id: 'raise-replica-output-buffer',
    title: 'Stop the primary from dropping its replicas mid-sync: a larger replica output buffer',
    risk: 'low',
    mode: 'guided',
    steps: [
      'Why: during a full sync the primary buffers every write for the replica until the RDB is loaded; past client-output-buffer-limit replica the replica is dropped and the sync starts over — forever, on a busy primary with a big dataset.',
      `${cli(t)} CONFIG SET client-output-buffer-limit "replica 1gb 512mb 120" (now ${p.limit ?? 'replica 256mb 64mb 60 by default'}), and a repl-backlog-size big enough for a reconnect to resume (CONFIG SET repl-backlog-size 256mb). ${keepSetting(t, cli(t), 'client-output-buffer-limit "replica 1gb 512mb 120"')}`,
      'Also: diskless sync (repl-diskless-sync yes, the default from 7.0) and a faster link shorten the window; INFO replication on the replica shows master_sync_in_progress and master_link_status.',
    ],
    verify: rerun(t, 'the replica stays connected (INFO replication) and no output-buffer-disconnects finding.'),
  }),

  // connection-churn --------------------------------------------------------------------------
  'reuse-connections': (t: FixTarget, p: { sources?: string[] } = {}): Remediation => ({
    id: 'reuse-connections',
    title: 'Reuse connections: connect once per process (or pool), not once per request',
    risk: 'low',
    mode: 'guided',
    steps: [
      `Find the client: ${p.sources?.length ? `the addresses with the most connections are ${p.sources.join(', ')}; ` : ''}${cli(t)} CLIENT LIST shows addr, name, lib-name and age (age 0 over and over is a client that reconnects per request); on that host ss -tnp | grep :${t.port} names the process.`,
      'Each new connection costs a TCP (and TLS) handshake, AUTH and SELECT, and leaves a socket in TIME_WAIT for 60 s on the side that closed first: thousands per second exhaust the client\'s ephemeral ports ("Cannot assign requested address", EADDRNOTAVAIL) and cost the server accept() work.',
      'Create the client once and share it: node-redis / ioredis: one createClient()/new Redis() at start-up, not in the request handler; redis-py: one ConnectionPool (redis.Redis(connection_pool=…)) per process; go-redis: one redis.NewClient per process with PoolSize; Jedis: JedisPool; PHP: persistent connections (phpredis pconnect) or a connection proxy; serverless functions: create the client outside the handler.',
      'If the clients cannot change: a connection pooler/proxy in front (twemproxy, Envoy redis_proxy, or the provider\'s proxy) turns many short connections into a few long ones.',
    ],
    verify: rerun(t, 'the connection-rate check shows few connections opened per second.'),
  }),
  'fix-connection-leak': (t: FixTarget, p: { source?: string; maxclients?: number } = {}): Remediation => ({
    id: 'fix-connection-leak',
    title: `Close the connections a client leaks${p.source ? ` (most come from ${p.source})` : ''} before they reach maxclients`,
    risk: 'medium',
    mode: 'guided',
    steps: [
      `See them: ${cli(t)} CLIENT LIST shows each connection's addr, age, idle and name; many connections from one address with a large idle are a pool that grows without bound or code that opens a client per request and never closes it (quit()/close()/disconnect()).`,
      'Fix the client: a bounded pool (maxTotal / max_connections / PoolSize), clients closed in finally/defer, one client per process; name the connections (CLIENT SETNAME, the client library\'s name option) so the next CLIENT LIST says who leaks.',
      `Relief now: ${cli(t)} CLIENT KILL ADDR <ip:port> for specific ones, or CLIENT KILL TYPE normal MAXAGE <seconds> (Redis ≥ 7.0) for old ones; ${cli(t)} CONFIG SET timeout 300 closes connections idle for 5 minutes (pooled clients must then handle a closed connection). ${keepSetting(t, cli(t), 'timeout 300')}`,
      `Headroom: maxclients is ${p.maxclients ?? 'in INFO clients'}; raising it (CONFIG SET maxclients, within the open-files limit) buys time, not a fix.`,
    ],
    verify: rerun(t, 'connected_clients is well below maxclients and CLIENT LIST shows no address holding most of them idle.'),
  }),
  'widen-ephemeral-ports': (t: FixTarget, p: { range?: string; timeWait?: number } = {}): Remediation => ({
    id: 'widen-ephemeral-ports',
    title: 'Give the clients\' hosts room for short connections: ephemeral ports and TIME_WAIT',
    risk: 'low',
    mode: 'guided',
    steps: [
      `Measure on the client host and the Redis host: ss -tan state time-wait '( sport = :${t.port} or dport = :${t.port} )' | wc -l${p.timeWait !== undefined ? ` (the Redis host has ${p.timeWait} for this port now)` : ''}; sysctl net.ipv4.ip_local_port_range${p.range ? ` (now ${p.range})` : ''} is how many outgoing ports one client address has (28232 by default) towards one server address and port.`,
      'Widen the range where clients connect from: sudo sysctl -w net.ipv4.ip_local_port_range="10240 65535" (persist in /etc/sysctl.d/), and net.ipv4.tcp_tw_reuse=1 lets new outgoing connections reuse TIME_WAIT ports safely.',
      'This only buys time: the fix is reusing connections (see reuse-connections).',
    ],
    verify: rerun(t, 'TIME_WAIT for the port stays low and the connection-rate check is small.'),
  }),
} as const;

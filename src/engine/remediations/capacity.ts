/**
 * Fixes for a server that is up but out of a resource: client slots, file
 * descriptors, memory, or its single thread (a busy script, a dataset load).
 * Automatic fixes are one Redis command (`redisCommand`), shown verbatim in
 * the steps; CONFIG SET lasts until restart, so each also says how to keep it.
 */
import type { Remediation } from '../model/types.js';
import { cli, type FixTarget, rerun, keepSetting } from './fix-target.js';

const MB = 1024 * 1024;

/** maxmemory-policy values redis.conf documents that evict keys. */
const EVICTION_POLICIES = new Set(['allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']);

/** Redis takes memory sizes as "<n>mb" (redis.conf units: 1mb = 1024*1024 bytes). */
export function megabytes(bytes: number): string {
  return `${Math.max(1, Math.ceil(bytes / MB))}mb`;
}

export const capacityFixes = {
  'raise-maxclients': (t: FixTarget, p: { to?: number } = {}): Remediation => {
    const to = String(p.to ?? 20000);
    return {
      id: 'raise-maxclients',
      title: `Raise maxclients to ${to}`,
      risk: 'low',
      mode: 'automatic',
      redisCommand: ['CONFIG', 'SET', 'maxclients', to],
      steps: [
        `${cli(t)} CONFIG SET maxclients ${to} — from a connection that is already open, or when a slot frees up (a full server refuses new connections).`,
        keepSetting(t, cli(t), `maxclients ${to}`),
        "If Redis answers \"The operating system is not able to handle the specified number of clients\", the open-files limit is the ceiling: raise it first (raise-nofile-limit).",
      ],
      verify: rerun(t, `INFO clients shows maxclients:${to}.`),
    };
  },

  'find-client-leak': (t: FixTarget): Remediation => ({
    id: 'find-client-leak',
    title: 'Find the clients that hold the connections',
    risk: 'low',
    mode: 'guided',
    steps: [
      `Connections per client address: ${cli(t)} CLIENT LIST | grep -o 'addr=[^ ]*' | cut -d= -f2 | cut -d: -f1 | sort | uniq -c | sort -rn | head`,
      `Long-idle connections (idle= seconds, name=, lib-name=) point at a pool that never closes or an application that reconnects without closing: ${cli(t)} CLIENT LIST`,
      'Bound the connection pool size in each application; a pool per worker process multiplies.',
    ],
    verify: rerun(t, 'connected_clients stays well under maxclients.'),
  }),

  'set-idle-timeout': (t: FixTarget, p: { seconds?: number } = {}): Remediation => {
    const seconds = String(p.seconds ?? 300);
    return {
      id: 'set-idle-timeout',
      title: `Close client connections idle for more than ${seconds} s`,
      risk: 'medium',
      mode: 'automatic',
      redisCommand: ['CONFIG', 'SET', 'timeout', seconds],
      steps: [
        `${cli(t)} CONFIG SET timeout ${seconds} — idle connections are closed after ${seconds} s (0, the default, keeps them forever).`,
        'Connection pools must reconnect after an idle close; most do, some log an error once.',
        keepSetting(t, cli(t), `timeout ${seconds}`),
      ],
      verify: rerun(t, 'connected_clients drops.'),
    };
  },

  'raise-nofile-limit': (t: FixTarget, p: { current?: number } = {}): Remediation => ({
    id: 'raise-nofile-limit',
    title: 'Raise the open-files limit of redis-server',
    risk: 'medium',
    mode: 'guided',
    steps: [
      `Redis keeps 32 descriptors for itself and lowers maxclients to (limit − 32)${p.current ? `: the limit is ${p.current}` : ''}. Its log says "maxclients has been reduced to N to compensate for low ulimit".`,
      `Check the running process: sudo cat /proc/$(pgrep -f 'redis-server.*:${t.port}' | head -1)/limits | grep 'open files'`,
      'systemd: sudo systemctl edit redis-server, add the two lines "[Service]" and "LimitNOFILE=65535", then sudo systemctl daemon-reload && sudo systemctl restart redis-server',
      'Started from a shell or init script: add "redis soft nofile 65535" and "redis hard nofile 65535" to /etc/security/limits.conf (ulimit -n shows a shell\'s limit) and restart Redis from a new session.',
      'Docker: docker run --ulimit nofile=65535:65535 …, or ulimits: nofile: {soft: 65535, hard: 65535} in compose; check sysctl fs.file-max is larger.',
    ],
    verify: rerun(t, 'INFO clients shows the configured maxclients (10000 by default).'),
  }),

  'kill-busy-script': (t: FixTarget, p: { kind?: 'script' | 'function' } = {}): Remediation => {
    const command = p.kind === 'function' ? ['FUNCTION', 'KILL'] : ['SCRIPT', 'KILL'];
    return {
      id: 'kill-busy-script',
      title: `Stop the running ${p.kind === 'function' ? 'function' : 'script'} (${command.join(' ')})`,
      risk: 'low',
      mode: 'automatic',
      redisCommand: command,
      steps: [
        `${cli(t)} ${command.join(' ')} — Redis accepts it while busy and stops a ${p.kind === 'function' ? 'function' : 'script'} that has not written yet.`,
        'If Redis answers -UNKILLABLE, the script already wrote data: wait for it to finish, or as a last resort SHUTDOWN NOSAVE (shutdown-nosave).',
        `Afterwards find it: ${cli(t)} SLOWLOG GET 10, and fix the script (bounded loops, work in SCAN-sized batches).`,
      ],
      verify: rerun(t, 'PING answers PONG instead of -BUSY.'),
    };
  },

  'shutdown-nosave': (t: FixTarget): Remediation => ({
    id: 'shutdown-nosave',
    title: 'Stop Redis without saving (last resort for an unkillable script)',
    risk: 'high',
    mode: 'guided',
    steps: [
      'Warning: writes since the last RDB save or AOF fsync are lost, and the server is down until it is started again.',
      `Only after ${cli(t)} SCRIPT KILL answered -UNKILLABLE and waiting is not an option: ${cli(t)} SHUTDOWN NOSAVE`,
      'Start it again: sudo systemctl start redis-server (systemd may restart it on its own with Restart=always).',
    ],
    verify: rerun(t, 'PING answers PONG.'),
  }),

  'wait-for-loading': (t: FixTarget, p: { etaSeconds?: number; percent?: string } = {}): Remediation => ({
    id: 'wait-for-loading',
    title: p.etaSeconds !== undefined ? `Wait for the dataset to load (about ${p.etaSeconds} s left)` : 'Wait for the dataset to finish loading',
    risk: 'low',
    mode: 'guided',
    steps: [
      `Redis answers -LOADING to every command until the whole RDB/AOF is in memory${p.percent && /^\d{1,3}(\.\d{1,4})?$/.test(p.percent) ? ` (now ${p.percent} %)` : ''}; clients should retry with back-off.`,
      `Follow it: watch -n 2 "${cli(t)} INFO persistence | grep -E '^loading'"`,
      'If loading starts over and over, Redis is crashing while loading: check the log (journalctl -u redis-server) and the OOM killer (sudo dmesg -T | grep -i oom), and that the host has memory for the dataset.',
      `To shorten future restarts, compact the AOF once loaded: ${cli(t)} BGREWRITEAOF.`,
    ],
    verify: rerun(t, 'INFO persistence shows loading:0.'),
  }),

  'raise-maxmemory': (t: FixTarget, p: { toBytes?: number; systemBytes?: number } = {}): Remediation => {
    const to = p.toBytes !== undefined ? megabytes(p.toBytes) : '<size>mb';
    return {
      id: 'raise-maxmemory',
      title: `Raise maxmemory to ${to}`,
      risk: 'medium',
      // Automatic only with a concrete value to send.
      mode: p.toBytes !== undefined ? 'automatic' : 'guided',
      ...(p.toBytes !== undefined ? { redisCommand: ['CONFIG', 'SET', 'maxmemory', to] } : {}),
      steps: [
        `Check the host has room: free -h${p.systemBytes ? ` (INFO reports ${megabytes(p.systemBytes)} of RAM)` : ''}; leave headroom for fork copy-on-write during BGSAVE/AOF rewrite.`,
        `${cli(t)} CONFIG SET maxmemory ${to}`,
        keepSetting(t, cli(t), `maxmemory ${to}`),
      ],
      verify: rerun(t, 'used_memory is below maxmemory and writes succeed.'),
    };
  },

  'set-eviction-policy': (t: FixTarget, p: { policy?: string } = {}): Remediation => {
    // Rules derive the policy from the server's maxmemory_policy: only Redis' own names reach a command.
    const policy = p.policy !== undefined && EVICTION_POLICIES.has(p.policy) ? p.policy : 'allkeys-lru';
    return {
      id: 'set-eviction-policy',
      title: `Let Redis evict keys at the limit (maxmemory-policy ${policy})`,
      risk: 'medium',
      mode: 'automatic',
      redisCommand: ['CONFIG', 'SET', 'maxmemory-policy', policy],
      steps: [
        `Only when this Redis is a cache: with ${policy} Redis deletes keys to make room, so data that must not vanish (queues, sessions, locks) has to live elsewhere or the limit has to grow instead.`,
        `${cli(t)} CONFIG SET maxmemory-policy ${policy}`,
        keepSetting(t, cli(t), `maxmemory-policy ${policy}`),
      ],
      verify: rerun(t, 'writes succeed and INFO stats evicted_keys grows instead of -OOM errors.'),
    };
  },

  'free-memory': (t: FixTarget): Remediation => ({
    id: 'free-memory',
    title: 'Find what uses the memory and free it',
    risk: 'low',
    mode: 'guided',
    steps: [
      `${cli(t)} --bigkeys and ${cli(t)} --memkeys list the largest keys; ${cli(t)} MEMORY DOCTOR explains fragmentation.`,
      `${cli(t)} INFO keyspace — keys without expiry (expires much lower than keys) only grow; give them a TTL (EXPIRE) where they are cache entries.`,
      'Delete what is obsolete with UNLINK (frees in the background), never FLUSHALL on a shared instance.',
    ],
    verify: rerun(t, 'used_memory is below maxmemory.'),
  }),
} as const;

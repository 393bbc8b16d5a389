/**
 * Fixes on the application's side of the connection: pool settings against
 * idle reaping, the handshake a client library sends, a managed service's
 * quota. Settings are named as each library spells them, because "enable
 * keepalive" is not something a person can paste.
 *
 * A fact these rest on (Redis server.c clientsCronHandleTimeout): `timeout`
 * compares the time since the client's last command with the setting, so only
 * a command (PING) resets it; TCP keepalive probes carry no data and do not.
 * TCP keepalive keeps NAT, load-balancer and firewall state alive instead.
 */
import type { Remediation } from '../model/types.js';
import { cli, type FixTarget, keepSetting, rerun } from './fix-target.js';

/** Seconds a pooled connection may sit idle: below the server's timeout, with a margin. */
function below(timeout: number | undefined): string {
  if (timeout === undefined || timeout <= 0) return 'shorter than the idle timeout on the path';
  return `below ${timeout} s (e.g. ${Math.max(1, Math.floor(timeout / 2))} s)`;
}

export const clientFixes = {
  'keep-idle-connections-alive': (t: FixTarget, p: { timeout?: number } = {}): Remediation => {
    const idle = below(p.timeout);
    const half = p.timeout && p.timeout > 0 ? Math.max(1, Math.floor(p.timeout / 2)) : 60;
    return {
      id: 'keep-idle-connections-alive',
      title: 'Make the client ping or retire idle connections before they are closed',
      risk: 'low',
      mode: 'guided',
      steps: [
        `Keep a pooled connection idle for no longer than the server allows: ${idle}. Only a command (PING) resets Redis's idle clock; TCP keepalive does not, but it does keep NAT and load-balancer state alive.`,
        `node-redis: createClient({ url, pingInterval: ${half * 1000} }) sends PING on an idle connection; socket: { keepAlive: true } for the path.`,
        `ioredis: one connection that reconnects by itself (retryStrategy, offline queue); a request in flight when the server closes fails with ECONNRESET — add a periodic redis.ping() every ${half} s, and keepAlive: 30000 for the path.`,
        `redis-py: Redis(..., health_check_interval=${half}, socket_keepalive=True, retry_on_error=[ConnectionError]) — a connection idle longer than the interval is checked with PING before use.`,
        `Jedis (commons-pool2): poolConfig.setTestWhileIdle(true), setMinEvictableIdleTime(Duration.ofSeconds(${half})), setTimeBetweenEvictionRuns(Duration.ofSeconds(${Math.max(1, Math.floor(half / 2))})), or setTestOnBorrow(true).`,
        `Lettuce: one shared connection with autoReconnect (the default) reconnects after a close; with a commons-pool2 pool (ConnectionPoolSupport) use the Jedis settings above. SocketOptions.builder().keepAlive(true) for the path.`,
        `go-redis v9: Options{ ConnMaxIdleTime: ${half} * time.Second } — idle connections are closed by the client before the server does.`,
        'A load balancer, NAT gateway or firewall with an idle timeout (AWS NLB 350 s, many NATs less): turn on TCP keepalive in the client with an interval below it, or set tcp-keepalive on the server below it (Redis default 300).',
      ],
      verify: rerun(t, 'the finding stays (it reports the server setting); the application logs no more ECONNRESET after quiet periods.'),
    };
  },

  'disable-idle-timeout': (t: FixTarget): Remediation => ({
    id: 'disable-idle-timeout',
    title: 'Stop Redis closing idle clients (timeout 0, the default)',
    risk: 'low',
    mode: 'automatic',
    redisCommand: ['CONFIG', 'SET', 'timeout', '0'],
    steps: [
      `${cli(t)} CONFIG SET timeout 0 — idle clients are then never closed by Redis (its default). Leaked connections are no longer reaped either: watch connected_clients (INFO clients).`,
      keepSetting(t, cli(t), 'timeout 0'),
      'A managed service: set timeout in its parameter group or console (ElastiCache: the parameter group\'s timeout; others may not allow it — then fix the clients, keep-idle-connections-alive).',
    ],
    verify: rerun(t, 'CONFIG GET timeout shows 0 and no idle-connections-closed finding.'),
  }),

  'use-resp2-handshake': (t: FixTarget): Remediation => ({
    id: 'use-resp2-handshake',
    title: 'Configure the client for what this server accepts: RESP2, no CLIENT SETINFO',
    risk: 'low',
    mode: 'guided',
    steps: [
      'node-redis v5: createClient({ url, RESP: 2 }) (RESP2 is its default; RESP: 3 sends HELLO 3).',
      'redis-py: Redis(..., protocol=2) (the default), and lib_name=None, lib_version=None to skip CLIENT SETINFO.',
      'Lettuce: ClientOptions.builder().protocolVersion(ProtocolVersion.RESP2).build() — without it Lettuce 6 starts with HELLO.',
      'go-redis v9: redis.Options{ Protocol: 2, DisableIdentity: true } (spelled DisableIndentity in older v9 releases) — v9 sends HELLO 3 and CLIENT SETINFO by default; 9.5.0 alone failed on a server without SETINFO (fixed in 9.5.1, go-redis#2911): upgrade it.',
      'Jedis 5: DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP2) and .clientSetInfoConfig(ClientSetInfoConfig.DISABLED).',
      'ioredis speaks RESP2 and sends no HELLO.',
    ],
    verify: rerun(t, 'the application connects; this finding stays until the server or proxy is upgraded (it reports what the server refuses).'),
  }),

  'upgrade-server-or-proxy': (t: FixTarget, p: { needs?: string } = {}): Remediation => ({
    id: 'upgrade-server-or-proxy',
    title: 'Upgrade Redis, or the proxy in front of it, to one that accepts the modern handshake',
    risk: 'medium',
    mode: 'guided',
    steps: [
      `Find what answers: ${cli(t)} INFO server (redis_version) — a proxy (twemproxy, Envoy, a managed service's endpoint) may answer for the server behind it.`,
      `${p.needs ?? 'HELLO needs Redis 6 or later, CLIENT SETINFO Redis 7.2, AUTH <user> <password> (ACL users) Redis 6.'} Upgrade the server (keep a replica or a snapshot: BGSAVE first), or the proxy to a release that passes these commands through.`,
      'If a rename-command in redis.conf hides HELLO, remove it: clients cannot know the new name.',
      'Until then, configure the clients for RESP2 (use-resp2-handshake).',
    ],
    verify: rerun(t, 'no handshake-incompatible finding.'),
  }),

  'reduce-provider-usage': (t: FixTarget, p: { limit?: string } = {}): Remediation => ({
    id: 'reduce-provider-usage',
    title: 'Stay within the service plan\'s limit, or raise it',
    risk: 'low',
    mode: 'guided',
    steps: [
      `The provider enforces ${p.limit ?? 'a plan limit'} in front of Redis; Redis itself is fine. Check the database's usage and plan page in the provider's console (Upstash: the database's Usage tab; its troubleshooting page for the exact error).`,
      'Connections: one client (or one small pool) per process, reused across requests — never a new connection per request. Serverless functions: create the client outside the handler, or use the provider\'s HTTP/REST client (Upstash @upstash/redis), which holds no TCP connection.',
      'Requests: batch with pipelines or MGET/MSET, cache reads in the application, remove polling loops; per-day and per-month limits reset on the provider\'s schedule.',
      'Request, key or record size: split large values, or store them elsewhere and keep a reference in Redis.',
      'Upgrade the plan (pay-as-you-go or a fixed plan) or ask the provider for a quota increase.',
    ],
    verify: rerun(t, 'no provider-limit-reached finding.'),
  }),
} as const;

/**
 * Literal Observations for rule tests: a healthy base session against a
 * Redis 7.0 server, and small builders for the shapes the probes produce.
 * Reply texts are the ones redis-server 7.0.15 sends (captured from real
 * servers), without the RESP type byte, as the RESP probe stores them.
 */
import type { InfoObservation, Observations, RespExchange, RespReply } from '../../src/engine/model/types.js';

export const TEXT = {
  denied:
    "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.",
  maxClients: 'ERR max number of clients reached',
  noauth: 'NOAUTH Authentication required.',
  wrongpass: 'WRONGPASS invalid username-password pair or user is disabled.',
  noPasswordConfigured:
    'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
  nopermPing: "NOPERM this user has no permissions to run the 'ping' command",
  nopermInfo: "NOPERM this user has no permissions to run the 'info' command",
  loading: 'LOADING Redis is loading the dataset in memory',
  misconf:
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.",
  busyScript: 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.',
  busyFunction: 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.',
  masterdown: "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
  oom: "OOM command not allowed when used memory > 'maxmemory'.",
  dbOutOfRange: 'ERR DB index is out of range',
} as const;

export const INFO_COMMAND = 'INFO server clients memory persistence replication keyspace';

/** INFO fields of an idle Redis 7.0.15 master with default settings. */
export function healthyInfo(): InfoObservation {
  return {
    sections: {
      server: { redis_version: '7.0.15', redis_mode: 'standalone', tcp_port: '6379' },
      clients: { connected_clients: '3', maxclients: '10000', blocked_clients: '0' },
      memory: {
        used_memory: '1088984',
        used_memory_human: '1.04M',
        total_system_memory: '8331587584',
        maxmemory: '0',
        maxmemory_human: '0B',
        maxmemory_policy: 'noeviction',
        mem_not_counted_for_evict: '0',
      },
      persistence: {
        loading: '0',
        async_loading: '0',
        rdb_changes_since_last_save: '0',
        rdb_last_save_time: '1795572384',
        rdb_last_bgsave_status: 'ok',
        aof_enabled: '0',
        aof_last_bgrewrite_status: 'ok',
        aof_last_write_status: 'ok',
      },
      replication: { role: 'master', connected_slaves: '0' },
      keyspace: { db0: 'keys=12,expires=0,avg_ttl=0' },
    },
  };
}

/** A healthy diagnosis of 10.0.0.5:6379 from another host: PING → +PONG, INFO answered. */
export function healthy(): Observations {
  return {
    target: { input: '10.0.0.5:6379', host: '10.0.0.5', port: 6379, tls: false },
    client: { authProvided: false, remote: true, timeoutMs: 2000 },
    dns: { lookedUp: false, ok: true, addresses: [{ address: '10.0.0.5', family: 4 }], durationMs: 0 },
    tcp: { ok: true, address: '10.0.0.5', port: 6379, durationMs: 1 },
    resp: session([
      ['PING', { kind: 'status', text: 'PONG' }],
      [INFO_COMMAND, { kind: 'string', text: '# Server\r\nredis_version:7.0.15\r\n' }],
    ]),
    info: healthyInfo(),
  };
}

type Exchange = [command: string, reply: RespReply | undefined];

/** A RESP session as the probe records it; ok when PING got +PONG. */
export function session(exchanges: Exchange[], extra: Partial<NonNullable<Observations['resp']>> = {}): NonNullable<Observations['resp']> {
  const list: RespExchange[] = exchanges.map(([command, reply]) => (reply ? { command, reply, durationMs: 1 } : { command, durationMs: 0 }));
  const ping = list.find((e) => e.command === 'PING');
  const anyBytes = list.some((e) => e.reply) || extra.greeting !== undefined || extra.nonResp !== undefined;
  return {
    ok: ping?.reply?.kind === 'status' && ping.reply.text === 'PONG',
    exchanges: list,
    closedByServer: false,
    noReply: !anyBytes,
    timedOut: false,
    ...extra,
  };
}

export const err = (text: string): RespReply => ({ kind: 'error', text });

/** Every command of the probe answered with the same error (what -NOAUTH, -LOADING … look like). */
export function allFail(text: string, withAuth = false): NonNullable<Observations['resp']> {
  const commands = [...(withAuth ? ['AUTH <redacted>'] : []), 'PING', INFO_COMMAND];
  return session(commands.map((c) => [c, err(text)]));
}

/** The target refused the TCP connect; nothing after it ran. */
export function refused(): Observations {
  const obs = healthy();
  obs.tcp = { ok: false, address: '10.0.0.5', port: 6379, code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.5:6379', durationMs: 1 };
  delete obs.resp;
  delete obs.info;
  return obs;
}

/** Merges INFO fields into the healthy INFO (section → field → value). */
export function withInfo(obs: Observations, fields: Record<string, Record<string, string>>): Observations {
  const info = obs.info ?? { sections: {} };
  for (const [section, values] of Object.entries(fields)) info.sections[section] = { ...(info.sections[section] ?? {}), ...values };
  obs.info = info;
  return obs;
}

/** Every string in a finding, for "never contains" assertions. */
export function allText(value: unknown): string {
  return JSON.stringify(value);
}

/** A password sent to a server that has none: AUTH is refused, PING and INFO still work. */
export function passwordWithoutRequirepass(): Observations {
  const obs = healthy();
  obs.client.authProvided = true;
  obs.resp = session([
    ['AUTH <redacted>', err(TEXT.noPasswordConfigured)],
    ['PING', { kind: 'status', text: 'PONG' }],
    [INFO_COMMAND, { kind: 'string', text: '# Server' }],
  ]);
  return obs;
}

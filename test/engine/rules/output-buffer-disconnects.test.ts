import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/output-buffer-disconnects.js';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import type { BufferedClient, Observations } from '../../../src/engine/model/types.js';
import { parseClientList, parseOutputBufferLimits } from '../../../src/engine/probes/client-list.js';
import type { RedisConfFile, ServerLog } from '../../../src/engine/remote/types.js';
import { healthy, withInfo } from '../fixtures.js';
import { listener, remote } from './remote-fixtures.js';

const LIMIT = 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60';

function withClients(buffered: BufferedClient[]): Observations {
  const obs = healthy();
  obs.clients = { total: 3, truncated: false, buffered, pubsubClients: 1, replicaClients: 0, sources: [], idle: 0, idleSec: 10 };
  obs.config = { 'client-output-buffer-limit': LIMIT };
  return obs;
}

describe('output-buffer-disconnects', () => {
  it('Redis ≥ 7.4 counted closures: confirmed warning, the subscriber fix', () => {
    const obs = withInfo(withClients([]), { stats: { client_output_buffer_limit_disconnections: '4' }, server: { uptime_in_seconds: '3600' } });
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ cause: 'output-buffer-disconnects', severity: 'warning', confidence: 'confirmed', details: { closed: 4 } });
    expect(f!.evidence[0]).toContain('client_output_buffer_limit_disconnections:4');
    expect(f!.remediations.map((r) => r.id)).toEqual(['fix-slow-subscribers']);
    expect(evaluate(obs).verdict).toBe('degraded');
  });

  it('a pub/sub client over its soft limit (Redis 7.0, no counter): likely, names the client', () => {
    const obs = withClients([{ kind: 'pubsub', addr: '10.0.0.8:51234', name: 'events-consumer', omemBytes: 9_000_000, oll: 400 }]);
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'warning', confidence: 'likely' });
    expect(f!.title).toContain('10.0.0.8:51234');
    expect(f!.evidence.join('\n')).toContain('pub/sub subscriber 10.0.0.8:51234 (name "events-consumer") has');
    expect(f!.evidence.join('\n')).toContain('Redis ≥ 7.4');
    expect(f!.remediations[0]!.steps.join('\n')).toContain('client-output-buffer-limit');
  });

  it('a replica near its hard limit: the replica fix', () => {
    const f = rule.evaluate(withClients([{ kind: 'replica', addr: '10.0.0.9:6380', omemBytes: 200_000_000, oll: 10 }]));
    expect(f!.remediations.map((r) => r.id)).toEqual(['raise-replica-output-buffer']);
  });

  it('small buffers, normal clients, no counter or a zero counter: nothing', () => {
    expect(rule.evaluate(withClients([{ kind: 'pubsub', addr: 'a:1', omemBytes: 1000, oll: 1 }]))).toBeUndefined();
    expect(rule.evaluate(withClients([{ kind: 'normal', addr: 'a:1', omemBytes: 900_000_000, oll: 1 }]))).toBeUndefined();
    expect(rule.evaluate(withInfo(withClients([]), { stats: { client_output_buffer_limit_disconnections: '0' } }))).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
  });

  it('parses CONFIG GET limits and CLIENT LIST (flags, omem, idle by source); hostile lines bounded', () => {
    expect(parseOutputBufferLimits(LIMIT)).toEqual([
      { class: 'normal', hardBytes: 0, softBytes: 0, softSeconds: 0 },
      { class: 'replica', hardBytes: 268435456, softBytes: 67108864, softSeconds: 60 },
      { class: 'pubsub', hardBytes: 33554432, softBytes: 8388608, softSeconds: 60 },
    ]);
    const list = [
      'id=3 addr=10.0.0.8:51234 laddr=10.0.0.5:6379 fd=8 name=sub age=100 idle=0 flags=P db=0 sub=1 psub=0 oll=12 omem=9000000 cmd=subscribe',
      'id=4 addr=10.0.0.7:40000 fd=9 name= age=50 idle=40 flags=N oll=0 omem=0 cmd=get',
      'id=5 addr=10.0.0.7:40001 fd=10 name=\u202eevil age=50 idle=45 flags=N oll=0 omem=0 cmd=get',
      'id=6 addr=127.0.0.1:5000 fd=11 name= age=0 idle=0 flags=N oll=0 omem=0 cmd=client|list',
      `id=7 addr=${'x'.repeat(100_000)}:1 flags=N omem=${'9'.repeat(30)}`,
    ].join('\n');
    const c = parseClientList(list);
    expect(c.total).toBe(4);
    expect(c.pubsubClients).toBe(1);
    expect(c.idle).toBe(2);
    expect(c.buffered).toEqual([{ kind: 'pubsub', addr: '10.0.0.8:51234', name: 'sub', omemBytes: 9000000, oll: 12, ageSec: 100 }]);
    expect(c.sources[0]).toEqual({ source: '10.0.0.7', count: 2, idle: 2 });
    expect(JSON.stringify(c)).not.toContain('\u202e');
    for (const s of c.sources) expect(s.source.length).toBeLessThanOrEqual(64);
    const huge = parseClientList('id=1 addr=1.2.3.4:5 idle=0 flags=N\n'.repeat(20_000));
    expect(huge).toMatchObject({ total: 5000, truncated: true });
  });

  describe('the server log over SSH (issue #18): the closures CLIENT LIST no longer shows', () => {
    const conf = (path: string, logfile?: string): RedisConfFile => ({ path, source: 'process', lines: [], requirepassSet: false, includes: [], port: 6379, ...(logfile !== undefined ? { logfile } : {}) });
    const log = (path: string, extra: Partial<ServerLog> = {}): ServerLog => ({
      source: 'file', path, status: 'read', bytesRead: 262144, partial: true, firstAt: '07 Dec 2026 01:00:00.000', lastAt: '07 Dec 2026 03:20:00.000', slowFsyncs: 0,
      bufferClosures: 3,
      closures: [
        { at: '07 Dec 2026 03:11:00.000', pid: 812, kind: 'pubsub', flags: 'P', addr: '10.0.0.8:51234', cmd: 'subscribe' },
        { at: '07 Dec 2026 03:12:09.331', pid: 812, kind: 'pubsub', flags: 'P', addr: '10.0.0.8:51300', name: 'events-consumer', cmd: 'subscribe' },
      ],
      ...extra,
    });
    /** redis-server pid 812 listens on :6379 with /etc/redis/redis.conf on its command line; pid 913 on :6380 with its own. */
    function onHost(logs: ServerLog[], confs = [conf('/etc/redis/redis.conf', '/var/log/redis/redis.log'), { ...conf('/etc/redis/6380.conf', '/var/log/redis/6380.log'), port: 6380 }]): Observations {
      const obs = withClients([]);
      obs.remote = remote({
        listeners: [listener('0.0.0.0', 6379, 'redis-server', 812), listener('0.0.0.0', 6380, 'redis-server', 913)],
        processes: [
          { pid: 812, user: 'redis', args: 'redis-server /etc/redis/redis.conf', configPath: '/etc/redis/redis.conf', defunct: false },
          { pid: 913, user: 'redis', args: 'redis-server /etc/redis/6380.conf', configPath: '/etc/redis/6380.conf', defunct: false },
        ],
        redisConf: confs,
        serverLogs: logs,
      });
      return obs;
    }

    it('closures in the logfile of the config of the process on the port: confirmed, with the log path, time and class, though CLIENT LIST shows none', () => {
      const f = rule.evaluate(onHost([log('/var/log/redis/redis.log')]));
      expect(f).toMatchObject({ severity: 'warning', confidence: 'confirmed', details: { logged: 3, kinds: 'pubsub', atRisk: 0 } });
      expect(f!.title).toBe('10.0.0.5:6379 closed 3 pub/sub clients for exceeding client-output-buffer-limit (its log, the last at 07 Dec 2026 03:12:09.331): they lost their messages and reconnected');
      expect(f!.evidence[0]).toBe(
        'server log /var/log/redis/redis.log on cache-1 (the logfile of /etc/redis/redis.conf, the config of redis-server pid 812 listening on :6379): 3 clients closed "for overcoming of output buffer limits" in its last 256 kB (07 Dec 2026 01:00:00.000 – 07 Dec 2026 03:20:00.000, host time); the last at 07 Dec 2026 03:12:09.331: pub/sub subscriber (flags=P) 10.0.0.8:51300 (name "events-consumer"), last command subscribe, logged by pid 812; of the last 2: 2 pubsub',
      );
      expect(f!.remediations.map((r) => r.id)).toEqual(['fix-slow-subscribers']);
    });

    it("how old the last closure is, by the host's clock; a day or more before it, only in the log: an info note", () => {
      const fresh = rule.evaluate(onHost([log('/var/log/redis/redis.log', { hostNow: '07 Dec 2026 06:12:09' })]))!;
      expect(fresh.severity).toBe('warning');
      expect(fresh.title).toContain('(its log, the last at 07 Dec 2026 03:12:09.331, 3 h ago by the host\'s clock)');
      const old = rule.evaluate(onHost([log('/var/log/redis/redis.log', { hostNow: '10 Dec 2026 03:12:09' })]))!;
      expect(old).toMatchObject({ severity: 'info', confidence: 'confirmed' });
      expect(old.evidence[0]).toContain('the last at 07 Dec 2026 03:12:09.331, 3 days ago by the host\'s clock: pub/sub subscriber');
      // A clock behind the log (another time zone): no age claimed.
      expect(rule.evaluate(onHost([log('/var/log/redis/redis.log', { hostNow: '06 Dec 2026 03:12:09' })]))!.title).toContain('the last at 07 Dec 2026 03:12:09.331)');
    });

    it('replicas closed: the replica fix', () => {
      const f = rule.evaluate(onHost([log('/var/log/redis/redis.log', { bufferClosures: 1, closures: [{ at: '07 Dec 2026 03:11:00.000', kind: 'replica', flags: 'S', addr: '10.0.0.9:6380', cmd: 'psync' }] })]));
      expect(f!.title).toContain('closed 1 replica client for exceeding');
      expect(f!.remediations.map((r) => r.id)).toEqual(['raise-replica-output-buffer']);
    });

    it("another instance's log on the same host is not taken; nor a log no config of the port names", () => {
      expect(rule.evaluate(onHost([log('/var/log/redis/redis.log', { bufferClosures: 0, closures: [] }), log('/var/log/redis/6380.log')]))).toBeUndefined();
      expect(rule.evaluate(onHost([log('/var/log/redis/6380.log')]))).toBeUndefined();
      expect(rule.evaluate(onHost([log('/var/log/redis/redis.log')], [conf('/etc/redis/redis.conf'), { ...conf('/etc/redis/6380.conf', '/var/log/redis/redis.log'), port: 6380 }]))).toBeUndefined();
    });

    it('logfile "" under systemd: the journal of the unit whose MainPID serves the port', () => {
      const obs = onHost([log('redis-server.service', { source: 'journal' })], [conf('/etc/redis/redis.conf', '')]);
      obs.remote!.systemd = { units: [{ id: 'redis-server.service', mainPid: 812, summary: '' }, { id: 'redis-other.service', mainPid: 913, summary: '' }] };
      const f = rule.evaluate(obs);
      expect(f).toMatchObject({ confidence: 'confirmed' });
      expect(f!.evidence[0]).toContain("server log the journal of redis-server.service on cache-1 (redis-server.service's MainPID 812 listens on :6379; /etc/redis/redis.conf logs to stdout (logfile \"\")): 3 clients closed");
      obs.remote!.systemd = { units: [{ id: 'redis-server.service', mainPid: 913, summary: '' }] };
      expect(rule.evaluate(obs)).toBeUndefined();
    });

    it('with a client at risk now: the log says whether earlier ones were closed, or that it could not be read', () => {
      const risky = { kind: 'pubsub' as const, addr: '10.0.0.8:51234', omemBytes: 9_000_000, oll: 400 };
      const none = onHost([log('/var/log/redis/redis.log', { bufferClosures: 0, closures: [], partial: false, bytesRead: 2048 })]);
      none.clients!.buffered = [risky];
      const a = rule.evaluate(none)!;
      expect(a.confidence).toBe('likely');
      expect(a.evidence.join('\n')).toContain('server log /var/log/redis/redis.log (the logfile of /etc/redis/redis.conf, the config of redis-server pid 812 listening on :6379): no such closure in all 2 kB (07 Dec 2026 01:00:00.000 – 07 Dec 2026 03:20:00.000, host time)');
      expect(a.evidence.join('\n')).not.toContain('Redis ≥ 7.4');
      for (const [status, text] of [['missing', 'does not exist: rotated away or never written'], ['denied', 'could not be read by the SSH account']] as const) {
        const obs = onHost([log('/var/log/redis/redis.log', { status, bufferClosures: 0, closures: [], bytesRead: 0 })]);
        obs.clients!.buffered = [risky];
        expect(rule.evaluate(obs)!.evidence.join('\n')).toContain(`server log /var/log/redis/redis.log (the logfile of /etc/redis/redis.conf, the config of redis-server pid 812 listening on :6379) ${text}`);
        // Nothing is invented from a log that was not read.
        const quiet = onHost([log('/var/log/redis/redis.log', { status, bytesRead: 0 })]);
        expect(rule.evaluate(quiet)).toBeUndefined();
      }
    });
  });
});

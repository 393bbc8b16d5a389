/**
 * The `redis-log` section (issue #18): the tail of the Redis log a config file names, reduced on
 * the host by one awk pass, run here with the real sh/tail/awk on real files, then parsed.
 * Hostile logs: a 50 MB log (only its last 256 kB is read, in bounded time), a cut first line,
 * a 1 MB line, bidi characters, Slack mentions and `password=` in a client's name, forged
 * section output; unsafe paths, a FIFO and a directory named as the log are never read.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/engine/remote/catalogue.js';
import { parseRedisLogs, secondsBetween } from '../../src/engine/remote/parsers/redis-log.js';
import { LOG_TAIL_BYTES, redisLogScript } from '../../src/engine/remote/scripts.js';
import { UnsafeValueError } from '../../src/engine/remote/shell.js';
import type { RemoteObservation } from '../../src/engine/remote/types.js';
import { makeTempDir } from '../lab/tmp.js';
import { runLocally } from './run-script.js';

const dir = makeTempDir('redislog');
afterAll(() => dir.remove());

/** A Redis 7 log line (server.c serverLogRaw: "%d:%c %s %c %s"). */
const line = (time: string, level: string, msg: string, pid = 4242) => `${pid}:M 07 Dec 2026 ${time} ${level} ${msg}\n`;
const client = (o: { addr: string; name?: string; flags: string; cmd: string }) =>
  `id=7 addr=${o.addr} laddr=10.0.0.1:6379 fd=9 name=${o.name ?? ''} age=12 idle=0 flags=${o.flags} db=0 sub=1 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 obl=0 oll=120 omem=2621440 tot-mem=2643200 events=rw cmd=${o.cmd} user=default redir=-1 resp=2`;
const closed = (time: string, o: Parameters<typeof client>[0]) => line(time, '#', `Client ${client(o)} scheduled to be closed ASAP for overcoming of output buffer limits.`);
const SLOW_FSYNC = 'Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.';

async function readLogs(paths: string[], unit?: string) {
  const res = await runLocally(`set -- ${paths.map((p) => `'${p}'`).join(' ')}\n${redisLogScript(unit)}`);
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  return { stdout: res.stdout, logs: parseRedisLogs(res.stdout) };
}

describe('redis-log: the tail of the server log, counted on the host', () => {
  it('counts output-buffer closures and slow AOF fsyncs, keeps the class, addr, name and time of each, first and last time', async () => {
    const p = join(dir.path, 'redis.log');
    writeFileSync(
      p,
      line('03:00:00.001', '*', 'Server initialized') +
        closed('03:12:09.331', { addr: '10.0.0.8:51234', name: 'worker', flags: 'P', cmd: 'subscribe' }) +
        line('03:13:00.000', '#', SLOW_FSYNC) +
        closed('03:14:09.331', { addr: '10.0.0.9:40000', flags: 'S', cmd: 'psync' }) +
        line('03:15:00.000', '#', `Client ${client({ addr: '10.0.0.7:1', flags: 'N', cmd: 'get' })} closed for overcoming of output buffer limits.`) +
        line('03:16:00.000', '*', 'Background saving started'),
    );
    const { logs } = await readLogs([p]);
    expect(logs).toEqual([
      {
        source: 'file',
        path: p,
        status: 'read',
        bytesRead: expect.any(Number),
        partial: false,
        firstAt: '07 Dec 2026 03:00:00.001',
        lastAt: '07 Dec 2026 03:16:00.000',
        bufferClosures: 3,
        closures: [
          { at: '07 Dec 2026 03:12:09.331', pid: 4242, kind: 'pubsub', flags: 'P', addr: '10.0.0.8:51234', name: 'worker', cmd: 'subscribe' },
          { at: '07 Dec 2026 03:14:09.331', pid: 4242, kind: 'replica', flags: 'S', addr: '10.0.0.9:40000', cmd: 'psync' },
          { at: '07 Dec 2026 03:15:00.000', pid: 4242, kind: 'normal', flags: 'N', addr: '10.0.0.7:1', cmd: 'get' },
        ],
        slowFsyncs: 1,
        lastSlowFsyncAt: '07 Dec 2026 03:13:00.000',
        hostNow: expect.stringMatching(/^\d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}$/),
      },
    ]);
    expect(logs[0]!.bytesRead).toBe(Buffer.byteLength(execFileSync('cat', [p])));
  });

  it('a 50 MB log: only its last 256 kB is read; closures before it are not counted, its cut first line is left out', async () => {
    const p = join(dir.path, 'big.log');
    writeFileSync(p, closed('01:00:00.000', { addr: '10.9.9.9:1', flags: 'P', cmd: 'subscribe' }));
    const filler = line('01:30:00.000', '*', `DB saved on disk ${'x'.repeat(200)}`);
    const block = filler.repeat(Math.ceil((1 << 20) / filler.length));
    for (let i = 0; i < 50; i++) appendFileSync(p, block);
    // A line that ends just inside the tail: its start (with the time and the client) lies before it.
    const long = closed('02:00:00.000', { addr: '10.8.8.8:1', name: 'n'.repeat(60), flags: 'P', cmd: 'subscribe' });
    appendFileSync(p, `${'y'.repeat(LOG_TAIL_BYTES)}${long}`);
    appendFileSync(p, closed('02:30:00.000', { addr: '10.1.1.1:2', flags: 'P', cmd: 'subscribe' }));
    const started = performance.now();
    const { logs } = await readLogs([p]);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(logs[0]).toMatchObject({ status: 'read', bytesRead: LOG_TAIL_BYTES, partial: true, bufferClosures: 1, firstAt: '07 Dec 2026 02:30:00.000', lastAt: '07 Dec 2026 02:30:00.000' });
    expect(logs[0]!.closures.map((c) => c.addr)).toEqual(['10.1.1.1:2']);
  });

  it('hostile lines: a 1 MB line, bidi characters, mentions and password= in a name; the name is capped and shown, fields stay fields', async () => {
    const p = join(dir.path, 'hostile.log');
    const name = `\u202Eevil<!channel>@here${'z'.repeat(300)}`;
    writeFileSync(
      p,
      `${'q '.repeat(512 * 1024)}\n` +
        closed('03:00:00.000', { addr: '10.0.0.8:1', name, flags: 'P', cmd: 'subscribe' }) +
        line('03:00:01.000', '#', `Client id=9 addr=10.0.0.5:2 name=password=hunter2 flags=S cmd=psync scheduled to be closed ASAP for overcoming of output buffer limits.`) +
        // A name cannot hold a space (CLIENT SETNAME refuses it); a forged line that fakes fields after it changes nothing.
        line('03:00:02.000', '#', 'Client id=10 addr=10.0.0.6:3 name=x flags=P flags=S cmd=subscribe scheduled to be closed ASAP for overcoming of output buffer limits.'),
    );
    const { stdout, logs } = await readLogs([p]);
    expect(stdout.length).toBeLessThan(4096);
    const [a, b, c] = logs[0]!.closures;
    expect(a!.name).toMatch(/^\\u202eevil<!channel>@herez+…$/);
    expect(a!.name!.length).toBeLessThanOrEqual(70);
    expect(b).toMatchObject({ kind: 'replica', name: 'password=<redacted>' });
    expect(stdout.includes('hunter2') && !JSON.stringify(logs).includes('hunter2')).toBe(true);
    expect(c).toMatchObject({ kind: 'pubsub', flags: 'P' });
    expect(logs[0]!.bufferClosures).toBe(3);
  });

  it('missing, a directory, a FIFO, unsafe or relative paths: nothing read that is not a regular file named safely', async () => {
    const fifo = join(dir.path, 'fifo.log');
    execFileSync('mkfifo', [fifo]);
    const sub = join(dir.path, 'adir');
    mkdirSync(sub);
    const { logs } = await readLogs([join(dir.path, 'gone.log'), sub, fifo, 'redis.log', `${dir.path}/../etc/x.log`, '/tmp/a$(id).log']);
    expect(logs.map((l) => `${l.path} ${l.status}`)).toEqual([`${join(dir.path, 'gone.log')} missing`, `${sub} not-a-file`, `${fifo} not-a-file`]);
  });

  it('a log the login cannot read is "denied" (as another user, without sudo)', async () => {
    if (process.getuid?.() !== 0) return;
    const p = join(dir.path, 'private.log');
    writeFileSync(p, closed('03:00:00.000', { addr: '10.0.0.8:1', flags: 'P', cmd: 'subscribe' }));
    chmodSync(p, 0o600);
    const res = await runLocally(`set -- '${p}'\n${redisLogScript()}`, { user: 'nobody' });
    expect(parseRedisLogs(res.stdout)).toMatchObject([{ path: p, status: 'denied', bufferClosures: 0 }]);
  });

  it("the journal of the unit serving the port (logfile \"\"): journalctl's own lines, and its hint when the login may not see the system journal", async () => {
    const journal = closed('03:12:09.331', { addr: '10.0.0.8:1', flags: 'P', cmd: 'subscribe' }) + line('03:13:00.000', '#', SLOW_FSYNC);
    const fake = (out: string, hint = '') => `s() { if [ "$1" = journalctl ]; then printf '%s' '${out}'; ${hint ? `echo '${hint}' >&2;` : ''} else "$@"; fi; }`;
    const seen = await runLocally(`${fake(journal)}\nset --\n${redisLogScript('redis-server.service')}`);
    expect(parseRedisLogs(seen.stdout)).toMatchObject([{ source: 'journal', path: 'redis-server.service', status: 'read', bufferClosures: 1, slowFsyncs: 1, closures: [{ kind: 'pubsub', at: '07 Dec 2026 03:12:09.331' }] }]);
    const hidden = await runLocally(`${fake('-- No entries --\n', 'Hint: You are currently not seeing messages from other users and the system.')}\nset --\n${redisLogScript('redis-server.service')}`);
    expect(parseRedisLogs(hidden.stdout)).toMatchObject([{ source: 'journal', status: 'denied', bufferClosures: 0 }]);
  });

  it('a unit name reaches the journal read only when it is a plain unit name', () => {
    expect(redisLogScript('redis-server.service')).toContain("journalctl -u 'redis-server.service' -n 5000 --no-pager -o cat");
    expect(redisLogScript()).not.toContain('journalctl');
    for (const bad of ["x';reboot;'", 'a b.service', '-x.service', '$(id).service']) expect(() => redisLogScript(bad)).toThrow(UnsafeValueError);
  });

  it('forged section output: headers with bad paths, more closures than counted, odd times', () => {
    const logs = parseRedisLogs(
      [
        '### log file /var/log/redis/redis.log',
        'c 1:M 07 Dec 2026 03:00:00.000 flags=P addr=a:1 name=- cmd=subscribe',
        'c 1:M 07 Dec 2026 03:00:01.000 flags=P addr=b:1 name=- cmd=subscribe',
        'c 1:M <script> Dec 2026 03:00:01.000 flags=P addr=c:1 name=- cmd=subscribe',
        'b 999999999',
        'p 1',
        'f not a time',
        'n 1',
        'a 0',
        '### log file /var/log/$(id).log',
        'n 5',
        '### log journal bad;unit',
        'n 5',
      ].join('\n'),
    );
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ bytesRead: LOG_TAIL_BYTES, bufferClosures: 1, partial: true });
    expect(logs[0]!.firstAt).toBeUndefined();
    expect(logs[0]!.closures).toEqual([{ kind: 'pubsub', flags: 'P', pid: 1, addr: 'c:1', cmd: 'subscribe' }]);
  });

  it("the host's clock comes in the log's format: how old a line is, or nothing when either time is unreadable", async () => {
    const { logs } = await readLogs([]);
    expect(logs).toEqual([]);
    const { logs: one } = await readLogs([join(dir.path, 'redis.log')]);
    const now = one[0]!.hostNow!;
    const local = new Date();
    expect(Math.abs(secondsBetween(now, `${String(local.getDate()).padStart(2, '0')} ${local.toLocaleString('en', { month: 'short' })} ${local.getFullYear()} ${local.toTimeString().slice(0, 8)}`)!)).toBeLessThan(60);
    expect(secondsBetween('07 Dec 2026 03:12:09.331', '08 Dec 2026 03:12:10')).toBe(86401);
    expect(secondsBetween('07 Foo 2026 03:12:09', '08 Dec 2026 03:12:10')).toBeUndefined();
    expect(secondsBetween(undefined, '08 Dec 2026 03:12:10')).toBeUndefined();
  });

  it('the check line says what was read', () => {
    const obs: RemoteObservation = { session: { ok: true, host: 'h', port: 22, durationMs: 0 }, commands: [] };
    const entry = CATALOGUE.find((e) => e.id === 'redis-log')!;
    const r = entry.parse({ stdout: '### log file /var/log/redis/a.log\nb 2048\np 0\nf 07 Dec 2026 03:00:00.000\nl 07 Dec 2026 03:10:00.000\nn 2\na 1 07 Dec 2026 03:05:00.000\n### log file /var/log/redis/b.log\nmissing\n', stderr: '', exitCode: 0 }, obs);
    expect(r).toEqual({ status: 'ok', detail: '/var/log/redis/a.log: 2 output-buffer closures, 1 slow AOF fsync in the last 2 kB (since 07 Dec 2026 03:00:00.000); /var/log/redis/b.log: no such file' });
  });
});

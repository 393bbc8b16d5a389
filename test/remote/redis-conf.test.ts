import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePidFiles, parseRedisConfOutput, splitConfArgs, unreadableConfs } from '../../src/engine/remote/parsers/redis-conf.js';
import { redisConfScript } from '../../src/engine/remote/scripts.js';
import { labRequirement } from '../lab/guard.js';
import { runLocally } from './run-script.js';

const SECRET = 'Tr0ub4dor&3-conf-secret';
const dir = mkdtempSync(join(tmpdir(), 'rd-conf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A redis.conf as shipped (Debian's defaults for these directives) plus a password.
const CONF = [
  '# Redis configuration file example.',
  'bind 127.0.0.1 -::1',
  'protected-mode yes',
  'port 6379',
  'tls-port 0',
  `requirepass "${SECRET}"`,
  `masterauth ${SECRET}`,
  '# maxclients 10000',
  'maxclients 4064',
  'dir /var/lib/redis',
  'include /etc/redis/local.conf',
  'save 3600 1',
  'PORT 6380',
].join('\n');

describe('redis.conf over the real remote script', () => {
  it('prints only the allow-listed directives, the secrets already redacted by awk on the host', async () => {
    const path = join(dir, 'redis.conf');
    writeFileSync(path, CONF);
    const res = await runLocally(redisConfScript([{ path, source: 'process' }, { path: join(dir, 'absent.conf'), source: 'default' }]));
    expect(res.code).toBe(0);
    expect(res.stdout).not.toContain(SECRET);
    expect(res.stdout).toBe(
      [
        `### file ${path} process`,
        '2: bind 127.0.0.1 -::1',
        '3: protected-mode yes',
        '4: port 6379',
        '5: tls-port 0',
        '6: requirepass <redacted>',
        '7: masterauth <redacted>',
        '9: maxclients 4064',
        '10: dir /var/lib/redis',
        '11: include /etc/redis/local.conf',
        '13: PORT 6380',
        '',
      ].join('\n'),
    );
    const [file] = parseRedisConfOutput(res.stdout);
    expect(file).toMatchObject({
      path,
      source: 'process',
      bind: ['127.0.0.1', '-::1'],
      protectedMode: true,
      port: 6380, // the last port line wins, as in Redis
      tlsPort: 0,
      requirepassSet: true,
      maxclients: 4064,
      dir: '/var/lib/redis',
      includes: ['/etc/redis/local.conf'],
    });
    expect(JSON.stringify(file)).not.toContain(SECRET);
  });

  it('redacts again when a secret arrives anyway (defence in depth)', () => {
    const files = parseRedisConfOutput(`### file /etc/redis/redis.conf default\n6: requirepass ${SECRET}\n7: masterauth "${SECRET}"\n8: requirepass ""\n`);
    expect(JSON.stringify(files)).not.toContain(SECRET);
    expect(files[0]?.lines.map((l) => l.text)).toEqual(['requirepass <redacted>', 'masterauth <redacted>', 'requirepass <redacted>']);
    expect(files[0]?.requirepassSet).toBe(false);
  });

  it('ignores files whose header path is not a safe absolute path', () => {
    expect(parseRedisConfOutput('### file /etc/$(x).conf default\n1: port 1\n')).toEqual([]);
  });

  it('splits arguments like sdssplitargs', () => {
    expect(splitConfArgs('bind "127.0.0.1" \'::1\' 10.0.0.5')).toEqual(['bind', '127.0.0.1', '::1', '10.0.0.5']);
  });
});

describe('include directives, followed on the host by the real script', () => {
  // Redis reads an include where the line stands (last directive wins) and expands globs, sorted.
  it('applies included files in place, follows nested globs, stops at cycles, relative and missing paths', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rd-inc-'));
    try {
      mkdirSync(join(d, 'conf.d'));
      const main = join(d, 'main.conf');
      const net = join(d, 'net.conf');
      const loop = join(d, 'loop.conf');
      writeFileSync(main, ['bind 127.0.0.1', `include ${net}`, 'protected-mode yes', 'include relative.conf', `include ${join(d, 'missing.conf')}`, `include "${loop}"`, ''].join('\n'));
      writeFileSync(net, ['bind 0.0.0.0 ::', `requirepass "${SECRET}"`, `include ${d}/conf.d/*.conf`, ''].join('\n'));
      writeFileSync(join(d, 'conf.d', '10-port.conf'), 'port 7001\n');
      writeFileSync(join(d, 'conf.d', '20-port.conf'), '# later in sort order: wins\nport 7002\n');
      writeFileSync(loop, [`include ${main}`, 'maxclients 100', ''].join('\n'));
      const res = await runLocally(redisConfScript([{ path: main, source: 'process' }]));
      expect(res.code).toBe(0);
      expect(res.stdout).not.toContain(SECRET);
      expect(res.stdout).toContain(`### include ${net} ${net}\n### file ${net} include\n1: bind 0.0.0.0 ::\n2: requirepass <redacted>\n`);
      expect(res.stdout).toContain(`### include ${d}/conf.d/*.conf ${d}/conf.d/10-port.conf\n### file ${d}/conf.d/10-port.conf include\n1: port 7001\n`);

      const [file] = parseRedisConfOutput(res.stdout);
      expect(file).toMatchObject({ path: main, bind: ['0.0.0.0', '::'], protectedMode: true, requirepassSet: true, port: 7002, maxclients: 100 });
      expect(file?.included).toEqual([net, `${d}/conf.d/10-port.conf`, `${d}/conf.d/20-port.conf`, loop]);
      expect(file?.unfollowed).toEqual(['relative.conf', join(d, 'missing.conf'), main]);
      expect(file?.lines.find((l) => l.text.startsWith('bind 0.0.0.0'))).toEqual({ n: 1, text: 'bind 0.0.0.0 ::', file: net });
      expect(file?.lines.find((l) => l.text === 'port 7002')).toEqual({ n: 2, text: 'port 7002', file: `${d}/conf.d/20-port.conf` });
      expect(JSON.stringify(file)).not.toContain(SECRET);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('an include argument with shell syntax is data: never run, never followed', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rd-inc-'));
    try {
      const main = join(d, 'main.conf');
      const marker = join(d, 'ran');
      writeFileSync(main, [`include /tmp/$(touch${'${IFS}'}${marker})`, `include /tmp/;touch${'${IFS}'}${marker}`, `include ${d}/../${'x'}.conf`, 'port 6379', ''].join('\n'));
      const res = await runLocally(redisConfScript([{ path: main, source: 'default' }]));
      expect(res.code).toBe(0);
      expect(existsSync(marker)).toBe(false);
      expect(res.stdout).not.toContain('### include');
      expect(parseRedisConfOutput(res.stdout)[0]).toMatchObject({ port: 6379, unfollowed: [`/tmp/$(touch${'${IFS}'}${marker})`, `/tmp/;touch${'${IFS}'}${marker}`, `${d}/../x.conf`] });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('an included file whose name has a space is not followed, and its lines never join another file', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rd-inc-'));
    try {
      mkdirSync(join(d, 'conf.d'));
      writeFileSync(join(d, 'main.conf'), `port 6379\ninclude ${d}/conf.d/*.conf\n`);
      writeFileSync(join(d, 'conf.d', 'a b.conf'), 'port 7000\n');
      writeFileSync(join(d, 'conf.d', 'c.conf'), 'bind 10.0.0.5\n');
      const res = await runLocally(redisConfScript([{ path: join(d, 'main.conf'), source: 'process' }]));
      expect(res.stdout).not.toContain('a b.conf');
      expect(parseRedisConfOutput(res.stdout)[0]).toMatchObject({ port: 6379, bind: ['10.0.0.5'], included: [`${d}/conf.d/c.conf`] });
      // And a header the parser does not know ends the file before it.
      expect(parseRedisConfOutput('### file /etc/redis/redis.conf default\n1: port 6379\n### file /etc/redis/x y.conf include\n1: port 7000\n')[0]?.port).toBe(6379);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it.skipIf(labRequirement('root (to run the script as nobody)', process.getuid?.() === 0))('a file that exists but cannot be read is reported as denied, a missing one is not', async () => {
    // Missing in a directory anyone may search, missing below a directory that is not there either.
    const missing = [`/tmp/rd-absent-${process.pid}.conf`, `/rd-absent-${process.pid}/redis.conf`];
    const res = await runLocally(redisConfScript([{ path: '/proc/1/environ', source: 'process' }, ...missing.map((path) => ({ path, source: 'default' as const }))]), { user: 'nobody' });
    expect(res.stdout).toBe('### denied /proc/1/environ process\n');
    expect(unreadableConfs(res.stdout)).toEqual([{ path: '/proc/1/environ', source: 'process' }]);
  });
});

describe('pid files over the real remote script', () => {
  it('reads the pidfile a config names and the default location given, tied to the config or the port; never an unsafe path', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rd-pid-'));
    try {
      const named = join(d, 'redis-server.pid');
      const byDefault = join(d, 'redis_7001.pid');
      writeFileSync(named, '4242\n');
      writeFileSync(byDefault, '5151\n');
      writeFileSync(join(d, 'big.pid'), '9'.repeat(100_000));
      const conf = join(d, 'redis.conf');
      writeFileSync(conf, [`pidfile ${named}`, 'port 7000', ''].join('\n'));
      const other = join(d, 'other.conf');
      writeFileSync(other, [`pidfile "${join(d, 'a b.pid')}"`, 'port 7002', ''].join('\n'));
      const res = await runLocally(redisConfScript([{ path: conf, source: 'process' }, { path: other, source: 'default' }], [byDefault, join(d, 'big.pid'), join(d, 'absent.pid')]));
      expect(res.code).toBe(0);
      const confs = parseRedisConfOutput(res.stdout);
      expect(confs[0]?.pidfile).toBe(named);
      expect(parsePidFiles(res.stdout, confs)).toEqual([
        { path: named, pid: 4242, configPath: conf },
        { path: byDefault, pid: 5151, port: 7001 },
      ]);
      // 16 bytes of a file that is no pid file are read and refused; a path with a space is not followed.
      expect(res.stdout).not.toContain('9'.repeat(17));
      expect(res.stdout).not.toContain('a b.pid\n');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

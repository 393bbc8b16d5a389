import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRedisConfOutput, splitConfArgs } from '../../src/engine/remote/parsers/redis-conf.js';
import { redisConfScript } from '../../src/engine/remote/scripts.js';
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

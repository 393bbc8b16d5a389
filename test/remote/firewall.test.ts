import { describe, expect, it } from 'vitest';
import { tablesForFamily, verdictForPort } from '../../src/engine/remote/firewall-verdict.js';
import { parseFirewalldListAll } from '../../src/engine/remote/parsers/firewall/firewalld.js';
import { parseIptablesSave } from '../../src/engine/remote/parsers/firewall/iptables.js';
import { parseNftRuleset } from '../../src/engine/remote/parsers/firewall/nft.js';
import { parseUfwStatus } from '../../src/engine/remote/parsers/firewall/ufw.js';
import type { FirewallTable } from '../../src/engine/remote/types.js';
import { fixture } from './fixtures.js';

const verdict = (t: FirewallTable, port: number) => {
  const v = verdictForPort(t, port);
  return `${v.verdict}${v.conditional ? ' (conditional)' : ''}${v.line ? `: ${v.line}` : ''}`;
};

describe('iptables -S (captured in a namespace with REJECT, DROP, multiport and lo rules)', () => {
  const v4 = parseIptablesSave(fixture('captured/iptables-S.txt'), 'iptables');
  const v6 = parseIptablesSave(fixture('captured/ip6tables-S.txt'), 'ip6tables');

  it('parses rules into protocol, ports, conditions and action', () => {
    expect(v4.entryChains).toEqual(['INPUT']);
    expect(v4.chains.INPUT?.policy).toBe('accept');
    expect(v4.chains.INPUT?.rules.map((r) => [r.action, r.protocol, JSON.stringify(r.ports ?? null), r.conditions.join('|'), !!r.loopbackOnly, !!r.excludesNew])).toEqual([
      ['reject', 'tcp', '[[6380,6380]]', '', false, false],
      ['drop', 'tcp', '[[6381,6381]]', '', false, false],
      ['reject', 'tcp', '[[7000,7005],[6390,6390]]', '-s 10.0.0.0/8', false, false],
      ['accept', 'any', 'null', '', true, false],
      ['accept', 'any', 'null', '', false, true],
    ]);
  });

  it('decides per port, quoting the deciding rule', () => {
    expect(verdict(v4, 6380)).toBe('reject: -A INPUT -p tcp -m tcp --dport 6380 -j REJECT --reject-with icmp-port-unreachable');
    expect(verdict(v4, 6381)).toBe('drop: -A INPUT -p tcp -m tcp --dport 6381 -j DROP');
    expect(verdict(v4, 7003)).toBe('reject (conditional): -A INPUT -s 10.0.0.0/8 -p tcp -m multiport --dports 7000:7005,6390 -j REJECT --reject-with tcp-reset');
    expect(verdict(v4, 6379)).toBe('accept: -P INPUT ACCEPT');
    expect(verdict(v6, 6380)).toBe('drop: -A INPUT -p tcp -m tcp --dport 6380 -j DROP');
    expect(tablesForFamily([v4, v6], 6)).toEqual([v6]);
  });

  it('takes chain and target names such as __proto__ and constructor as plain names, touching no prototype', () => {
    const t = parseIptablesSave(
      [
        '-P INPUT ACCEPT',
        '-P __proto__ DROP',
        '-N constructor',
        '-A INPUT -j constructor',
        '-A INPUT -j __proto__',
        '-A constructor -p tcp -m tcp --dport 6380 -j toString',
        '-A __proto__ -p tcp -m tcp --dport 6381 -j DROP',
      ].join('\n'),
      'iptables',
    );
    expect(Object.keys(t.chains)).toEqual(['INPUT', '__proto__', 'constructor']);
    expect(({} as Record<string, unknown>)['policy']).toBeUndefined();
    // A jump to a chain the dump does not define (toString) decides nothing.
    expect(verdict(t, 6380)).toBe('accept: -P INPUT ACCEPT');
    expect(verdict(t, 6381)).toBe('drop: -A __proto__ -p tcp -m tcp --dport 6381 -j DROP');
  });

  it('follows jumps, RETURN, ACCEPT before DROP and a DROP policy', () => {
    const t = parseIptablesSave(
      [
        '-P INPUT DROP',
        '-N app',
        '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
        '-A INPUT -j app',
        '-A app -p tcp -m tcp --dport 6379 -s 10.0.0.0/8 -j ACCEPT',
        '-A app -p tcp -m tcp --dport 6380 -j ACCEPT',
        '-A app -p tcp -m tcp --dport 6381 -j RETURN',
        '-A app -p udp -m udp --dport 6382 -j ACCEPT',
      ].join('\n'),
      'iptables',
    );
    expect(verdict(t, 6380)).toBe('accept: -A app -p tcp -m tcp --dport 6380 -j ACCEPT');
    expect(verdict(t, 6381)).toBe('drop: -P INPUT DROP');
    expect(verdict(t, 6382)).toBe('drop: -P INPUT DROP');
    const v = verdictForPort(t, 6379);
    expect(v).toMatchObject({ verdict: 'drop', line: '-P INPUT DROP', conditional: true, caveats: ['-A app -p tcp -m tcp --dport 6379 -s 10.0.0.0/8 -j ACCEPT'] });
  });
});

describe('nft list ruleset', () => {
  it('reads the captured iptables-nft ruleset the same way as iptables -S', () => {
    const tables = parseNftRuleset(fixture('captured/nft-list-ruleset.txt'));
    expect(tables.map((t) => [t.family, t.entryChains.join(','), t.notes[0]])).toEqual([
      ['ipv4', 'INPUT', 'table ip filter'],
      ['ipv6', 'INPUT', 'table ip6 filter'],
    ]);
    const [v4, v6] = tables;
    expect(verdict(v4!, 6380)).toBe('reject: tcp dport 6380 counter packets 0 bytes 0 reject');
    expect(verdict(v4!, 6381)).toBe('drop: tcp dport 6381 counter packets 0 bytes 0 drop');
    expect(verdict(v4!, 6390)).toMatch(/^reject \(conditional\): meta l4proto tcp ip saddr 10\.0\.0\.0\/8 tcp dport \{ 7000-7005, 6390 \}/);
    expect(verdict(v4!, 6379)).toBe('accept: type filter hook input priority filter; policy accept;');
    expect(verdict(v6!, 6380)).toBe('drop: tcp dport 6380 counter packets 0 bytes 0 drop');
  });

  it('walks a firewalld nftables ruleset (sample) to its final reject, and lets allowed ports through', () => {
    const [t] = parseNftRuleset(fixture('samples/nft-firewalld.txt'));
    expect(t?.family).toBe('inet');
    expect(t?.entryChains).toEqual(['filter_INPUT']);
    expect(verdict(t!, 6379)).toBe('reject: reject with icmpx admin-prohibited');
    expect(verdict(t!, 8080)).toBe('accept: tcp dport 8080 ct state { new, untracked } accept');
  });
});

describe('ufw status verbose (sample: ufw is not installed on the capture machine)', () => {
  it('reads rules in order with the default incoming policy, per family', () => {
    const [v4, v6] = parseUfwStatus(fixture('samples/ufw-status-verbose.txt'));
    expect(v4?.active).toBe(true);
    expect(v4?.chains.ufw?.policy).toBe('drop');
    expect(verdict(v4!, 6379)).toBe('drop: 6379/tcp  DENY IN  Anywhere');
    expect(verdict(v4!, 22)).toBe('accept: 22/tcp  ALLOW IN  Anywhere');
    expect(verdict(v4!, 7002)).toBe('drop (conditional): Default: deny (incoming)');
    expect(verdict(v6!, 6379)).toBe('reject: 6379/tcp (v6)  REJECT IN  Anywhere (v6)');
  });

  it('splits rows word by word (no backtracking): OUT rows skipped, a source kept as a condition, spaces squeezed', () => {
    const out = 'Status: active\nDefault: allow (incoming)\n6379/tcp                   DENY OUT    Anywhere\n6379/tcp      \t             REJECT IN   10.0.0.0/8   \n6380                       ALLOW       Anywhere\n';
    const [v4] = parseUfwStatus(out);
    expect(v4?.chains.ufw?.rules.map((r) => [r.action, r.line, r.conditions])).toEqual([
      ['reject', '6379/tcp  REJECT IN  10.0.0.0/8', ['from 10.0.0.0/8']],
      ['accept', '6380  ALLOW  Anywhere', []],
    ]);
  });

  it('an inactive ufw blocks nothing', () => {
    const [v4] = parseUfwStatus(fixture('samples/ufw-status-inactive.txt'));
    expect(v4?.active).toBe(false);
    expect(verdictForPort(v4!, 6379).verdict).toBe('none');
  });
});

describe('firewall-cmd --list-all (sample: firewalld is not installed on the capture machine)', () => {
  it('one table per active zone: default target rejects, ports/services/rich rules decide', () => {
    const [pub, internal] = parseFirewalldListAll(fixture('samples/firewall-cmd-list-all.txt'));
    expect(pub?.notes).toEqual(['zone public interfaces: eth0']);
    expect(verdict(pub!, 6379)).toBe('reject: zone public target: default');
    expect(verdict(pub!, 6381)).toBe('accept: ports: 6380-6390/tcp');
    expect(verdict(pub!, 6385)).toBe('reject (conditional): rule family="ipv4" source address="10.1.0.0/16" port port="6385" protocol="tcp" reject');
    expect(verdict(pub!, 22)).toBe('accept: services: ssh');
    expect(verdict(internal!, 6379)).toBe('accept: services: redis');
  });

  it('reads a rich rule\'s verdict from its end, past type= and limit value=', () => {
    const out = 'public (active)\n  target: default\n  rich rules:\n\trule port port="6379" protocol="tcp" reject type="icmp-host-prohibited"\n\trule port port="6380" protocol="tcp" drop limit value="1/m"\n\trule port port="6381" protocol="tcp" accept   \n\trule port port="6382" protocol="tcp" log\n';
    const [pub] = parseFirewalldListAll(out);
    expect(pub?.chains.public?.rules.map((r) => [r.action, r.ports])).toEqual([
      ['reject', [[6379, 6379]]],
      ['drop', [[6380, 6380]]],
      ['accept', [[6381, 6381]]],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { parseIptablesSave } from '../../../src/engine/remote/parsers/firewall/iptables.js';
import { parseUfwStatus } from '../../../src/engine/remote/parsers/firewall/ufw.js';
import { rule } from '../../../src/engine/rules/firewall-blocked.js';
import { listener, refusedWith, remote, timedOutWith } from './remote-fixtures.js';

const REJECT = '-A INPUT -p tcp -m tcp --dport 6379 -j REJECT --reject-with icmp-port-unreachable';
const DROP = '-A INPUT -p tcp -m tcp --dport 6379 -j DROP';
const redisOnAll = listener('0.0.0.0', 6379, 'redis-server', 812);

describe('firewall-blocked', () => {
  it('REJECT rule + Redis on 0.0.0.0 + refused: fires, quotes the rule and the listener, supersedes connection-refused', () => {
    const obs = refusedWith(remote({ listeners: [redisOnAll], firewall: [parseIptablesSave(`-P INPUT ACCEPT\n${REJECT}\n`, 'iptables')] }));
    const f = rule.evaluate(obs);
    expect(f?.title).toBe('iptables on cache-1 rejects connections to port 6379, where Redis listens');
    expect(f?.evidence).toEqual([
      'TCP connect to 10.0.0.5:6379: ECONNREFUSED',
      'ss -ltnp on cache-1: LISTEN 0 511 0.0.0.0:6379 0.0.0.0:* users:(("redis-server",pid=812,fd=6))',
      `iptables on cache-1: ${REJECT}`,
    ]);
    expect(f?.details).toEqual({ tool: 'iptables', action: 'reject', conditional: false });
    expect(f?.remediations.map((r) => r.id)).toEqual(['remove-firewall-rule', 'open-firewall-port']);
    expect(f?.remediations[0]?.steps[1]).toContain(`sudo iptables ${REJECT.replace('-A ', '-D ')}`);
    const e = evaluate(obs);
    expect(e.primaryCause).toBe('firewall-blocked');
    expect(e.findings.map((x) => x.cause)).not.toContain('connection-refused');
  });

  it('DROP rule + timeout: fires and supersedes connection-timeout', () => {
    const obs = timedOutWith(remote({ listeners: [redisOnAll], firewall: [parseIptablesSave(DROP, 'iptables')] }));
    expect(rule.evaluate(obs)?.details).toEqual({ tool: 'iptables', action: 'drop', conditional: false });
    expect(evaluate(obs).findings.map((x) => x.cause)).toEqual(['firewall-blocked']);
  });

  it('quotes every tool that blocks (ufw and the iptables chains it generates)', () => {
    const ufw = parseUfwStatus('Status: active\nDefault: deny (incoming), allow (outgoing)\n\nTo                         Action      From\n--                         ------      ----\n6379/tcp                   DENY IN     Anywhere\n');
    const f = rule.evaluate(refusedWith(remote({ listeners: [redisOnAll], firewall: [...ufw, parseIptablesSave(REJECT, 'iptables')] })));
    expect(f?.evidence.slice(2)).toEqual(['ufw on cache-1: 6379/tcp  DENY IN  Anywhere', `iptables on cache-1: ${REJECT}`]);
  });

  it('does not fire when Redis is not on an address the client reaches, or nothing blocks, or the connect worked', () => {
    const fw = [parseIptablesSave(REJECT, 'iptables')];
    expect(rule.evaluate(refusedWith(remote({ listeners: [listener('127.0.0.1', 6379, 'redis-server', 812)], firewall: fw })))).toBeUndefined();
    expect(rule.evaluate(refusedWith(remote({ listeners: [listener('0.0.0.0', 6379, 'nginx', 9)], firewall: fw })))).toBeUndefined();
    expect(rule.evaluate(refusedWith(remote({ listeners: [redisOnAll], firewall: [parseIptablesSave('-P INPUT ACCEPT', 'iptables')] })))).toBeUndefined();
    const ok = refusedWith(remote({ listeners: [redisOnAll], firewall: fw }));
    ok.tcp = { ok: true, address: '10.0.0.5', port: 6379, durationMs: 1 };
    expect(rule.evaluate(ok)).toBeUndefined();
  });

  it('a listener on the exact target address counts; another interface does not', () => {
    const fw = [parseIptablesSave(REJECT, 'iptables')];
    expect(rule.evaluate(refusedWith(remote({ listeners: [listener('10.0.0.5', 6379, 'redis-server', 1)], firewall: fw })))?.cause).toBe('firewall-blocked');
    expect(rule.evaluate(refusedWith(remote({ listeners: [listener('10.0.0.6', 6379, 'redis-server', 1)], firewall: fw })))).toBeUndefined();
  });
});

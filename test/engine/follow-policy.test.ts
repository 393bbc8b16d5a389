import { describe, expect, it } from 'vitest';
import { clusterCredentialsWithheld, credentialsWithheld, followAdmission } from '../../src/engine/pipeline/follow-policy.js';
import { networkMatcher } from '../../src/config/cidr.js';

const adHoc = { kind: 'ad-hoc' as const, allows: networkMatcher(['198.18.0.0/15']), outside: 'outside access.adHocNetworks' };
const LOOPBACK = 'a loopback or unspecified address named by a target that is not on loopback (here it would be this machine)';

describe('follow policy', () => {
  it('ad-hoc: only IP literals inside the networks; names, other networks and this machine refused', () => {
    const a = followAdmission(adHoc, '198.18.0.5');
    expect(a.refuse('198.18.3.4')).toBeUndefined();
    expect(a.refuse('::ffff:198.18.3.4')).toBeUndefined();
    for (const ip of ['10.0.0.1', '127.0.0.1', '::1', '0.0.0.0', '::', '::ffff:127.0.0.1', '169.254.169.254']) expect(a.refuse(ip), ip).toBe('outside access.adHocNetworks');
    expect(a.refuse('localhost')).toBe('a host name: ad-hoc targets follow IP addresses only');
    expect(a.refuse('db.example.com')).toBe('a host name: ad-hoc targets follow IP addresses only');
    // No predicate: nothing is admitted.
    expect(followAdmission({ kind: 'ad-hoc' }, '198.18.0.5').refuse('198.18.3.4')).toBe('outside the allowed networks');
  });

  it('configured: anything, names included, except this machine\'s loopback named by a remote target', async () => {
    const remote = followAdmission({ kind: 'configured' }, '10.0.0.5');
    expect(remote.refuse('10.0.0.6')).toBeUndefined();
    expect(remote.refuse('db.example.com')).toBeUndefined();
    for (const ip of ['127.0.0.1', '127.9.9.9', '::1', '0.0.0.0', '::', '::ffff:127.0.0.1', '::ffff:0.0.0.0']) expect(remote.refuse(ip), ip).toBe(LOOPBACK);
    expect((await remote.resolve('localhost', 1000)).refused).toMatch(/^localhost resolves to (127\.0\.0\.1|::1): a loopback/);
    // An admitted name: the address checked is the one the probe uses.
    expect(await remote.resolve('10.0.0.6', 1000)).toEqual({});
    // A target on loopback (a lab, a client on the Redis host) may name loopback nodes; absent policy = configured.
    expect(followAdmission(undefined, '127.0.0.1').refuse('127.0.0.1')).toBeUndefined();
    expect(await followAdmission(undefined, '127.0.0.1').resolve('localhost', 1000)).toEqual({});
  });

  it('an empty or "?" endpoint is left to the probe (NOADDR, nothing sent)', () => {
    expect(followAdmission(adHoc, '198.18.0.5').refuse('')).toBeUndefined();
    expect(followAdmission(adHoc, '198.18.0.5').refuse('?')).toBeUndefined();
  });

  it('credentials: never to Sentinels learned from hellos or SENTINEL SENTINELS; to nodes the target\'s own state names', () => {
    expect(credentialsWithheld('hello-sentinel')).toMatch(/__sentinel__:hello/);
    expect(credentialsWithheld('sentinel-peer')).toMatch(/__sentinel__:hello/);
    for (const via of ['cluster-node', 'sentinel-replica', 'replica-primary'] as const) expect(credentialsWithheld(via), via).toBeUndefined();
  });

  it('cluster nodes: a master serving no slots or a node in handshake (what a MEET on the bus adds) gets no password', () => {
    expect(clusterCredentialsWithheld({ role: 'master', slots: [[0, 100]], flags: ['master'] })).toBeUndefined();
    expect(clusterCredentialsWithheld({ role: 'replica', slots: [], flags: ['slave'] })).toBeUndefined();
    expect(clusterCredentialsWithheld({ role: 'master', slots: [], flags: ['master'] })).toMatch(/serving no slots/);
    expect(clusterCredentialsWithheld({ role: 'master', slots: [[0, 1]], flags: ['master', 'handshake'] })).toMatch(/handshake/);
  });
});

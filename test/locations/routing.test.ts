/**
 * The pure parts of running work where a target is seen (issue #20): which
 * location an incident's diagnosis runs at (and its fallback to `local`,
 * said in the alert), and what a location's worker may answer about a fix
 * and refuses to do with its own config.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Diagnosis } from '../../src/engine/index.js';
import { fixHere, parseFixAnswer, type LocationFixDeps, type LocationFixJob } from '../../src/jobs/location-remediate.js';
import { LocationUnavailableError } from '../../src/jobs/run-diagnosis.js';
import { actionHash } from '../../src/jobs/remediation-action.js';
import { resolveJobTarget } from '../../src/slack/resolve.js';
import { Logger } from '../../src/log.js';
import { chooseLocation, diagnoseWhereDown, type IncidentLocationDeps } from '../../src/monitor/incident-location.js';

const NOW = 1_000_000;
const out = (location: string, up: boolean, ago = 1000) => ({ location, target: 'cache', at: NOW - ago, up });

const CONFIG = parseConfig(`locations:
  - name: eu-vpc
  - name: dc-west
targets:
  - name: cache
    url: redis://198.18.0.1:6379
    probeFrom: [local, eu-vpc, dc-west]
    fixes: automatic
  - name: only-local
    url: redis://198.18.0.1:6379
  - name: remote-only
    url: redis://198.18.0.1:6379
    probeFrom: [dc-west]
  - name: guided-here
    url: redis://198.18.0.1:6379
    probeFrom: [eu-vpc]
`, 'test');

describe('chooseLocation: where an incident is diagnosed', () => {
  it('the first location (probeFrom order, not local) whose fresh probe saw it down', () => {
    expect(chooseLocation(['local', 'eu-vpc', 'dc-west'], [out('eu-vpc', true), out('dc-west', false)], NOW, 25_000)).toBe('dc-west');
    expect(chooseLocation(['local', 'eu-vpc', 'dc-west'], [out('eu-vpc', false), out('dc-west', false)], NOW, 25_000)).toBe('eu-vpc');
  });
  it('a stale down outcome does not count; nothing down elsewhere: local, else the first of probeFrom', () => {
    expect(chooseLocation(['local', 'eu-vpc'], [out('eu-vpc', false, 60_000)], NOW, 25_000)).toBe('local');
    expect(chooseLocation(['local', 'eu-vpc'], [out('eu-vpc', true)], NOW, 25_000)).toBe('local');
    expect(chooseLocation(['dc-west', 'eu-vpc'], [], NOW, 25_000)).toBe('dc-west');
  });
});

describe('diagnoseWhereDown: the diagnosis at that location, or local saying why', () => {
  const doc = (location: string) => ({ verdict: 'unreachable', primaryCause: 'connection-refused', findings: [], location } as unknown as Diagnosis);
  const deps = (over: Partial<IncidentLocationDeps> = {}): IncidentLocationDeps => ({
    config: CONFIG, liveWorkers: async () => 1, noWorker: async (l) => `no worker is serving ${l} (last seen 4 min ago)`,
    outcomes: async () => [out('dc-west', false)], intervalMs: () => 10_000, now: () => NOW, ...over,
  });

  it('runs at the location that sees it down and says so', async () => {
    const ran: string[] = [];
    const d = await diagnoseWhereDown(deps(), 'cache', async (at) => { ran.push(at); return doc(at); });
    expect(ran).toEqual(['dc-west']);
    expect(d.diagnosedFrom).toBe('dc-west');
  });

  it('no live worker there: local at once, and the alert says why', async () => {
    const ran: string[] = [];
    const d = await diagnoseWhereDown(deps({ liveWorkers: async () => 0 }), 'cache', async (at) => { ran.push(at); return doc(at); });
    expect(ran).toEqual(['local']);
    expect(d.diagnosedFrom).toBe('local, not dc-west: no worker is serving dc-west (last seen 4 min ago)');
  });

  it('the location gives no document (went away, refused): local, saying why; other errors are not hidden', async () => {
    const ran: string[] = [];
    const d = await diagnoseWhereDown(deps(), 'cache', async (at) => {
      ran.push(at);
      if (at === 'dc-west') throw new LocationUnavailableError('dc-west', 'no answer from dc-west within 60 s');
      return doc(at);
    });
    expect(ran).toEqual(['dc-west', 'local']);
    expect(d.diagnosedFrom).toBe('local, not dc-west: no answer from dc-west within 60 s');
    await expect(diagnoseWhereDown(deps(), 'cache', async () => { throw new Error('boom'); })).rejects.toThrow('boom');
  });

  it('a target probed from local only: local, naming no location (its alerts are unchanged)', async () => {
    const d = await diagnoseWhereDown(deps(), 'only-local', async (at) => doc(at));
    expect(d.diagnosedFrom).toBeUndefined();
  });
});

describe('a fix at a location: judged with the location\'s own config', () => {
  const log = new Logger('error', 'test', () => undefined);
  const deps = (location: string): LocationFixDeps => ({
    location, config: CONFIG, log, timeoutMs: 500, connectMs: 500, commandMs: 500,
    resolve: (input) => resolveJobTarget(input, CONFIG, {}),
    diagnose: async () => { throw new Error('not used'); },
    probe: async () => { throw new Error('not used'); },
    now: () => NOW,
  });
  const argv = ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'];
  const job = (over: Partial<LocationFixJob> = {}): LocationFixJob => ({
    requestId: 'r1', target: 'cache', remediation: 'set-eviction-policy', argv, location: 'eu-vpc', approvedBy: 'U0BOSS', sendBy: NOW + 1000,
    actionHash: actionHash({ name: 'cache', host: '198.18.0.1', port: 6379, tls: false }, argv), ...over,
  });

  it('refuses, sending nothing, what its config does not allow or what is not the approved action', async () => {
    const cases: [LocationFixJob, string, RegExp][] = [
      [job({ target: 'guided-here' }), 'eu-vpc', /the config of location eu-vpc has `fixes: guided` for guided-here/],
      [job({ target: 'nope' }), 'eu-vpc', /has no target "nope"/],
      [job({ target: 'remote-only' }), 'eu-vpc', /not probed from eu-vpc/],
      [job({ location: 'dc-west' }), 'eu-vpc', /meant for dc-west reached the worker of eu-vpc/],
      [job({ argv: ['FLUSHALL'] }), 'eu-vpc', /not one redis-doctor sends/],
      [job({ argv: ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu'] }), 'eu-vpc', /is not the one that was approved/],
      [job({ actionHash: 'x'.repeat(32) }), 'eu-vpc', /is not the one that was approved/],
    ];
    for (const [j, at, reason] of cases) {
      const a = await fixHere(deps(at), j);
      expect(a, JSON.stringify(j)).toMatchObject({ outcome: 'refused', sent: false });
      expect(a.reason).toMatch(reason);
    }
  });

  it('after its deadline: not sent', async () => {
    expect(await fixHere(deps('eu-vpc'), job({ sendBy: NOW - 1 }))).toMatchObject({ outcome: 'not-sent', sent: false });
  });

  it('parseFixAnswer: only a coherent outcome is believed', () => {
    expect(parseFixAnswer('eu-vpc', { outcome: 'applied', sent: true, reply: 'OK' })).toEqual({ location: 'eu-vpc', outcome: 'applied', sent: true, reply: 'OK' });
    expect(parseFixAnswer('eu-vpc', { outcome: 'applied', sent: false })).toBeUndefined();
    expect(parseFixAnswer('eu-vpc', { outcome: 'refused', sent: true })).toBeUndefined();
    expect(parseFixAnswer('eu-vpc', { outcome: 'rm -rf', sent: true })).toBeUndefined();
    expect(parseFixAnswer('eu-vpc', null)).toBeUndefined();
    expect(parseFixAnswer('eu-vpc', { outcome: 'failed', sent: true, reply: 'x'.repeat(5000) })!.reply!.length).toBeLessThanOrEqual(500);
  });
});

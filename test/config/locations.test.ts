import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { loadSettings } from '../../src/config/settings.js';
import { knownLocations, locationAclRules, locationQueue, probeLocations, targetsAt } from '../../src/jobs/locations.js';

const BASE = 'locations:\n  - name: eu-vpc\ntargets:\n  - {name: a, url: "redis://h:1", probeFrom: [local, eu-vpc]}\n  - {name: b, url: "redis://h:2"}\n';

describe('locations: and probeFrom', () => {
  it('local is implicit, probeFrom defaults to [local]', () => {
    const c = parseConfig(BASE, 'c.yaml');
    expect(knownLocations(c)).toEqual(['local', 'eu-vpc']);
    expect(probeLocations(c.targets[1])).toEqual(['local']);
    expect(targetsAt(c, 'eu-vpc').map((t) => t.name)).toEqual(['a']);
    expect(targetsAt(c, 'local').map((t) => t.name)).toEqual(['a', 'b']);
  });

  it.each([
    ['locations:\n  - name: EU_vpc\n', /locations\[0\]\.name: must match/],
    ['locations:\n  - name: local\n', /locations\[0\]\.name: "local" is the bot's own location/],
    ['locations:\n  - name: x\n  - name: x\n', /locations\[1\]\.name: duplicate location "x"/],
    ['targets:\n  - {name: a, url: "redis://h:1", probeFrom: [mars]}\n', /targets\[0\]\.probeFrom\[0\]: unknown location "mars"/],
    ['targets:\n  - {name: a, url: "redis://h:1", probeFrom: []}\n', /targets\[0\]\.probeFrom: must name at least one location/],
    ['targets:\n  - {name: a, url: "redis://h:1", probeFrom: [local, local]}\n', /targets\[0\]\.probeFrom\[1\]: "local" is listed twice/],
    ['locations:\n  - {name: x, region: eu}\n', /locations\[0\]/],
  ])('names the field: %j', (text, message) => {
    expect(() => parseConfig(text, 'c.yaml')).toThrow(ConfigError);
    expect(() => parseConfig(text, 'c.yaml')).toThrow(message);
  });
});

describe('the location → queue mapping', () => {
  it('local keeps the bot\'s queues; another location has its own prefix under the same hash tag', () => {
    expect(locationQueue('{redis-doctor}', 'local', 'diagnose')).toEqual({ prefix: '{redis-doctor}', name: 'diagnose' });
    expect(locationQueue('{redis-doctor}', 'eu-vpc', 'monitor')).toEqual({ prefix: '{redis-doctor}:at:eu-vpc', name: 'monitor' });
    expect(() => locationQueue('{redis-doctor}', 'a:b', 'diagnose')).toThrow(/not a location name/);
    expect(locationAclRules('{redis-doctor}', 'eu-vpc')).toContain('~{redis-doctor}:at:eu-vpc:*');
  });
});

describe('REDIS_DOCTOR_LOCATION', () => {
  const env = { REDIS_URL: 'redis://q:6379' };
  it('a worker at another location needs no Slack variable and no port', () => {
    const s = loadSettings({ ...env, REDIS_DOCTOR_LOCATION: 'eu-vpc' }, { workerOnly: true });
    expect(s).toMatchObject({ location: 'eu-vpc', botToken: '', portGiven: false });
  });
  it('the local worker and the front end still need the bot token; the front end serves local only', () => {
    expect(() => loadSettings(env, { workerOnly: true })).toThrow(/SLACK_BOT_TOKEN is not set/);
    expect(() => loadSettings({ ...env, SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret-secret', REDIS_DOCTOR_LOCATION: 'eu-vpc' })).toThrow(/REDIS_DOCTOR_LOCATION .*for a worker alone/);
    expect(() => loadSettings({ ...env, REDIS_DOCTOR_LOCATION: 'Eu VPC' }, { workerOnly: true })).toThrow(/REDIS_DOCTOR_LOCATION is not valid/);
  });
});

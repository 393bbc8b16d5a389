/** The bot environment (INTERFACES.md section 5) and the admission policy: pure checks. */
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { loadSettings } from '../../src/config/settings.js';
import { admitTarget, canonicalInput, unwrapSlackLink } from '../../src/slack/admission.js';
import { parseTarget, type ParsedAddress } from '../../src/engine/model/target.js';

describe('loadSettings', () => {
  const base = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'abcdefgh12345678' };

  it('chooses HTTP mode with a signing secret and Socket Mode when SLACK_APP_TOKEN is set', () => {
    expect(loadSettings(base).mode).toBe('http');
    const socket = loadSettings({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1-A-1-x' });
    expect(socket.mode).toBe('socket');
    expect(socket.appToken).toBe('xapp-1-A-1-x');
  });

  it('applies the documented defaults', () => {
    const s = loadSettings(base);
    expect(s).toMatchObject({ port: 3000, redisUrl: 'redis://127.0.0.1:6379', logLevel: 'info', queuePrefix: '{redis-doctor}', inlineWorker: true });
    expect(s.slackApiUrl).toBeUndefined();
  });

  it('gives SLACK_API_URL the trailing slash the Web API client expects', () => {
    expect(loadSettings({ ...base, SLACK_API_URL: 'https://slack-gov.com/api' }).slackApiUrl).toBe('https://slack-gov.com/api/');
  });

  it('names the field in every error, without echoing secret values', () => {
    expect(() => loadSettings({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/SLACK_SIGNING_SECRET is required in HTTP mode \(or set SLACK_APP_TOKEN for Socket Mode\): the signing secret/);
    expect(() => loadSettings({ ...base, SLACK_BOT_TOKEN: 'not-a-token-s3cr3t' })).toThrow(/SLACK_BOT_TOKEN is not valid \(must be a bot token/);
    expect(() => loadSettings({ ...base, SLACK_BOT_TOKEN: 'not-a-token-s3cr3t' })).not.toThrow(/s3cr3t/);
    expect(() => loadSettings({ ...base, PORT: 'eighty' })).toThrow(/PORT is not valid .*: the HTTP port/);
    expect(() => loadSettings({ ...base, REDIS_URL: 'http://x' })).toThrow(/REDIS_URL is not valid \(must be a redis:\/\/.*: the bot's own queue Redis/);
    expect(() => loadSettings({ ...base, REDIS_DOCTOR_QUEUE_PREFIX: 'redis-doctor' })).toThrow(/REDIS_DOCTOR_QUEUE_PREFIX is not valid \(must be a hash tag/);
    expect(() => loadSettings({ ...base, SLACK_API_URL: 'ftp://x' })).toThrow(/SLACK_API_URL is not valid/);
  });

  it('says what a missing variable is and where to get it, not what zod expected', () => {
    let message = '';
    try {
      loadSettings({});
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^environment: SLACK_BOT_TOKEN is not set: the bot token \(xoxb-…\), from your Slack app's settings: OAuth & Permissions → Bot User OAuth Token/);
    expect(message).not.toMatch(/expected string|received undefined|Invalid input/);
  });

  it('lets a worker alone start without a signing secret or app token', () => {
    expect(loadSettings({ SLACK_BOT_TOKEN: 'xoxb-1' }, { workerOnly: true }).mode).toBe('http');
  });

  it('treats an empty variable as not set', () => {
    expect(loadSettings({ ...base, SLACK_APP_TOKEN: '', PORT: '' })).toMatchObject({ mode: 'http', port: 3000 });
    expect(() => loadSettings({ ...base, SLACK_BOT_TOKEN: '' })).toThrow(/SLACK_BOT_TOKEN is not set/);
  });
});

describe('admitTarget', () => {
  const config = configSchema.parse({
    targets: [{ name: 'cache-prod', url: 'redis://10.0.0.5:6379' }],
    access: { allowAdHocTargets: true, adHocNetworks: ['10.20.0.0/16', 'fd00::/8'] },
  });

  it('admits configured names and ad-hoc IPs inside the networks, in canonical form', () => {
    expect(admitTarget('cache-prod', config)).toEqual({ ok: true, kind: 'named', input: 'cache-prod' });
    expect(admitTarget(' 10.20.1.2:6380 ', config)).toEqual({ ok: true, kind: 'ad-hoc', input: '10.20.1.2:6380' });
    expect(admitTarget('10.20.1.2', config)).toEqual({ ok: true, kind: 'ad-hoc', input: '10.20.1.2:6379' });
    expect(admitTarget('[fd00::5]:7000', config)).toEqual({ ok: true, kind: 'ad-hoc', input: '[fd00::5]:7000' });
    expect(admitTarget('rediss://10.20.1.2:6380/2', config)).toEqual({ ok: true, kind: 'ad-hoc', input: 'rediss://10.20.1.2:6380/2' });
  });

  it('unwraps only Slack\'s exact link formatting of a redis URL', () => {
    expect(unwrapSlackLink('<redis://10.20.1.2:6380|redis://10.20.1.2:6380>')).toBe('redis://10.20.1.2:6380');
    expect(unwrapSlackLink('<redis://10.20.1.2:6380>')).toBe('redis://10.20.1.2:6380');
    expect(unwrapSlackLink('<https://evil|redis://x>')).toBe('<https://evil|redis://x>');
    expect(admitTarget('<https://evil|redis://x>', config).ok).toBe(false);
  });

  it('round-trips canonical inputs through the target parser', () => {
    for (const text of ['10.20.1.2:6380', 'rediss://10.20.1.2:6380/2', 'redis://app@10.20.1.2:6379', '[fd00::5]:7000']) {
      const parsed = parseTarget(text) as ParsedAddress;
      expect(canonicalInput(parsed)).toBe(text);
    }
  });

  it('refuses the rest with a reason', () => {
    const reason = (t: string) => {
      const a = admitTarget(t, config);
      return a.ok ? 'admitted' : a.reason;
    };
    expect(reason('10.21.0.1:6379')).toContain('outside the networks');
    expect(reason('db.example.com:6379')).toContain('must be IP addresses');
    expect(reason('staging')).toContain('Unknown target `staging`');
    expect(reason('redis://:pw@10.20.1.2')).toContain('Never type a password');
    expect(reason('x'.repeat(1000))).toContain('too long');
  });
});

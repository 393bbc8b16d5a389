/**
 * What the slash command answers in its ack, and that refusals queue nothing.
 * Text typed in Slack is hostile: it must never reach mrkdwn unescaped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../lab/poll.js';
import { ackText, payloadBody, startHarness, type Harness } from './helpers/harness.js';

const CONFIG = [
  'targets:',
  '  - name: cache-prod',
  '    url: redis://127.0.0.1:1',
  'access:',
  '  diagnose: [U0ALICE, U0BOSS]',
  '  approvers: [U0BOSS]',
  '  allowAdHocTargets: true',
  '  adHocNetworks: [198.18.0.0/16]',
].join('\n');

describe('/redis-diagnose answers', () => {
  let h: Harness;

  beforeAll(async () => {
    // No worker: these tests are about answers and queued jobs; nothing here is ever probed.
    h = await startHarness({ config: CONFIG, respondTimeoutMs: 300, env: { REDIS_DOCTOR_INLINE_WORKER: 'false' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** Waits until the bot has given up `n` response_url posts in all (it logs each). */
  async function givenUp(n: number): Promise<string[]> {
    return pollUntil(async () => {
      const lines = h.logs.filter((l) => l.includes('response_url post failed'));
      return lines.length >= n ? lines : undefined;
    }, { what: `${n} abandoned response_url posts`, timeoutMs: 10_000 });
  }

  async function refused(text: string, user = 'U0ALICE'): Promise<string> {
    const r = await h.command({ text, user });
    expect(r.status).toBe(200);
    expect(r.json?.response_type).toBe('ephemeral');
    return ackText(r.json);
  }

  /** Job hashes: `<prefix>:diagnose:d-<hex>`, one per queued job. */
  async function queuedJobs(): Promise<string[]> {
    return (await h.keys()).filter((k) => /:diagnose:d-[0-9a-f]+$/.test(k)).sort();
  }

  it('gives usage for empty text and for help', async () => {
    for (const text of ['', '   ', 'help', 'HELP']) {
      const answer = await refused(text);
      expect(answer).toContain('/redis-diagnose &lt;target&gt;');
      expect(answer).toContain('/redis-diagnose status');
      expect(answer).toContain('198.18.0.0/16');
    }
  });

  it('names an unknown target and queues nothing', async () => {
    const answer = await refused('cache-staging');
    expect(answer).toContain('Unknown target `cache-staging`');
    expect(answer).toContain('/redis-diagnose status');
  });

  it('takes the names of Object\'s own properties for target names, not subcommands', async () => {
    for (const word of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      // Refused as a target (an unknown name, or not a name at all), answered in the ack.
      const answer = await refused(word);
      expect(answer).toMatch(/^:no_entry: (Unknown|invalid) target/);
      expect(answer).toContain(word);
    }
    expect(await queuedJobs()).toEqual([]);
  });

  it('escapes hostile text: no mentions, links or code-span breakouts reach Slack', async () => {
    const hostile = [
      '<!channel> cache-prod',
      '<@U0BOSS>',
      '<https://evil.example|click me>',
      'cache-prod; rm -rf /',
      '$(reboot)',
      '`whoami`',
      'a'.repeat(600),
      'cache\u0000prod',
      '&lt;script&gt;',
    ];
    for (const text of hostile) {
      const answer = await refused(text);
      expect(answer, text).toMatch(/not allowed|invalid|too long|Unknown target|unsupported/);
      // Only our own mrkdwn may contain < or >: the user's text arrives as entities.
      expect(answer, text).not.toMatch(/<!channel>|<@U0BOSS>|<https:\/\/evil/);
      expect(answer, text).not.toContain('\u0000');
      expect(answer.length, text).toBeLessThan(3000);
    }
    expect(await queuedJobs()).toEqual([]);
  });

  it('refuses a password typed in Slack, without repeating it', async () => {
    const answer = await refused('redis://default:hunter2-secret@198.18.0.5:6379');
    expect(answer).toContain('Never type a password in Slack');
    expect(answer).not.toContain('hunter2-secret');
    expect(h.logs.join('\n')).not.toContain('hunter2-secret');
  });

  it('admits ad-hoc IP targets only inside adHocNetworks, never host names', async () => {
    expect(await refused('198.19.0.5:6379')).toContain('outside the networks');
    expect(await refused('cache.internal.example:6379')).toContain('must be IP addresses');
    expect(await refused('localhost:6379')).toContain('must be IP addresses');
    expect(await queuedJobs()).toEqual([]);
    const ok = await h.command({ text: '198.18.0.5:6380', user: 'U0ALICE' });
    expect(ackText(ok.json)).toContain('Diagnosing `198.18.0.5:6380`');
  });

  it('gives up a follow-up whose response_url never answers (bounded, unlike Bolt\'s respond)', async () => {
    await h.command({ text: 'cache-prod', channel: 'C0HANG' });
    h.double.hang('/response/hang-duplicate');
    const second = await h.command({ text: 'cache-prod', channel: 'C0HANG', responseTag: 'hang-duplicate' });
    expect(ackText(second.json)).toContain('Diagnosing `cache-prod`');
    const lines = await givenUp(1);
    expect(lines[0]).toMatch(/timeout|aborted/i);
    expect(h.double.calls.filter((c) => c.path === '/response/hang-duplicate').map((c) => c.status)).toEqual([0]);
  });

  it('gives up an answer to a click whose response_url never answers', async () => {
    const before = h.logs.filter((l) => l.includes('response_url post failed')).length;
    h.double.hang('/response/hang-click');
    const payload = {
      type: 'block_actions', user: { id: 'U0MALLORY', username: 'mallory', team_id: 'T0TEST' }, api_app_id: 'A0TEST', token: 'x',
      container: { type: 'message', message_ts: '1700000000.000001', channel_id: 'C0HANG', is_ephemeral: false },
      trigger_id: `${process.pid}.hang.1`, team: { id: 'T0TEST', domain: 'test' }, channel: { id: 'C0HANG', name: 'ops' },
      message: { type: 'message', ts: '1700000000.000001', text: 'x', blocks: [] },
      response_url: h.double.responseUrl('hang-click'),
      actions: [{ action_id: 'remediate:raise-maxclients', block_id: 'actions:max-clients-reached:0', value: '{}', type: 'button', action_ts: '1' }],
    };
    expect((await h.post(payloadBody(payload))).status).toBe(200);
    await givenUp(before + 1);
    expect(h.double.calls.filter((c) => c.path === '/response/hang-click').map((c) => c.status)).toEqual([0]);
  });

  it('refuses users outside access.diagnose and queues nothing', async () => {
    const answer = await refused('cache-prod', 'U0MALLORY');
    expect(answer).toContain('not allowed to run diagnoses');
    // Earlier tests' jobs are added after their acks and may still land now, so
    // count the jobs this user asked for rather than comparing snapshots.
    const requesters = await Promise.all((await queuedJobs()).map(async (key) => {
      const data = await h.redis.hget(key, 'data');
      return data ? (JSON.parse(data) as { requestedBy?: string }).requestedBy : undefined;
    }));
    expect(requesters.length).toBeGreaterThan(0);
    expect(requesters).not.toContain('U0MALLORY');
  });
});

describe('ad-hoc targets turned off (the default)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: 'targets: []\n' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('says so and names the setting', async () => {
    const r = await h.command({ text: '198.18.0.9:6379' });
    expect(ackText(r.json)).toContain('ad-hoc targets are turned off (`access.allowAdHocTargets`)');
    expect((await h.keys()).filter((k) => /:diagnose:(wait|d-)/.test(k))).toEqual([]);
  });

  it('answers status with no targets configured', async () => {
    const r = await h.command({ text: 'status' });
    expect(ackText(r.json)).toContain('No targets are configured');
  });
});

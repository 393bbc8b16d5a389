/**
 * Hostile input against the real Bolt receiver, seeded and bounded in time:
 * 10,000 random slash-command texts and 10,000 malformed interactivity
 * payloads, all correctly signed (what an attacker with the signing secret,
 * or a confused client, could send). Every one is answered, the process stays
 * up, no rejection goes unhandled, and nothing the bot posts can ping a
 * channel or a person (`<!channel>`, `<!here>`, `<@U…>` typed by someone).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandBody, payloadBody, startHarness, type Harness } from '../slack/helpers/harness.js';

const SLASH_TEXTS = Number(process.env.FUZZ_SLASH ?? 10_000);
const PAYLOADS = Number(process.env.FUZZ_PAYLOADS ?? 10_000);
const CONCURRENCY = 16;
const TIME_BOUND_MS = 150_000;

/** mulberry32: a small seeded PRNG, so a failure can be replayed with FUZZ_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const rnd = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const int = (n: number) => Math.floor(rnd() * n);

const PIECES = [
  '<!channel>', '<!here>', '<!everyone>', '<@U0ALICE>', '<#C0ABC|ops>', '<https://evil.example|click>', '*bold*', '_it_', '~s~', '`code`', '```block```', '&amp;', '&lt;', '>quote',
  'redis://user:Fuzz-Secret-1@198.18.0.5:6379', 'redis://:p@h', 'rediss://[::1]:6379/3', '10.0.0.5:6379', '[fe80::1%eth0]:1', 'localhost;rm -rf /', '$(id)', '`id`', '| nc x 1',
  'help', 'status', 'audit', 'cache-prod', 'HELP', ' ', '\t', '\n', '\u0000', '\u001b[2J', '\u202e', '\u2066', '\uffff', '😀', 'é', '%zz', '%00', '..', '/etc/passwd', 'null', 'undefined', '{}', '[]',
];

function slashText(): string {
  if (rnd() < 0.02) return 'x'.repeat(4000 + int(4000));
  const n = 1 + int(4);
  let s = '';
  for (let i = 0; i < n; i++) s += rnd() < 0.7 ? pick(PIECES) : String.fromCodePoint(int(0x2fff));
  return s;
}

const ACTION_IDS = ['remediate:raise-maxclients', 'remediate:', 'approve:rXyz', 'approve:', 'deny:r1', 'recheck:d.x', 'recheck:', 'ack:i.x', 'snooze:i.x', 'unknown', '', 'x'.repeat(300), 'approve:<!channel>'];
const VALUES = [undefined, null, '', 'r1', '{"d":"x","c":"auth-required","r":"supply-password"}', '{', '<!channel>', 5, {}, [], 'x'.repeat(2500)];

function junk(depth = 0): unknown {
  const r = rnd();
  if (depth > 3 || r < 0.3) return pick([null, true, 0, -1, 1e308, '', '<!here>', 'x'.repeat(int(200)), '\u0000'] as const);
  if (r < 0.6) return Array.from({ length: int(4) }, () => junk(depth + 1));
  return Object.fromEntries(Array.from({ length: int(4) }, () => [pick(['type', 'user', 'actions', 'channel', 'message', 'id', 'value', 'x']), junk(depth + 1)]));
}

const STRING_VALUES = ['', 'r1', '{"d":"x","c":"auth-required","r":"supply-password"}', '{', '<!channel>', 'd.no-such', 'x'.repeat(1999), '\u202e<@U0ALICE>'];

/** A block_actions payload as Slack sends one, with hostile ids and values; 40 % are then broken in some way. */
function payload(): string {
  if (rnd() < 0.05) return pick(['payload=', 'payload=%7B', 'payload=null', 'payload=%5B%5D', 'payload=42', 'a=b', 'payload=%22s%22', '']);
  const actionId = pick(ACTION_IDS.filter((a) => a.length > 0 && a.length <= 255));
  const base: Record<string, unknown> = {
    type: 'block_actions',
    user: { id: pick(['U0ALICE', 'U0BOSS', 'U0MALLORY', '<!channel>']) },
    team: { id: 'T0TEST' },
    api_app_id: 'A0TEST',
    channel: { id: pick(['C0FUZZ', 'C0OTHER']) },
    container: { type: 'message', message_ts: '1700000000.000001', channel_id: 'C0FUZZ' },
    message: { ts: '1700000000.000001', ...(rnd() < 0.5 ? { thread_ts: '1700000000.000001' } : {}) },
    response_url: 'http://127.0.0.1:1/response/fuzz',
    trigger_id: `${process.pid}.fuzz.${int(1e9)}`,
    actions: [{ action_id: actionId, block_id: 'b', type: 'button', value: pick(STRING_VALUES), action_ts: '1' }],
  };
  if (rnd() < 0.4) {
    const key = pick(Object.keys(base).concat('extra'));
    if (rnd() < 0.5) delete base[key];
    else base[key] = rnd() < 0.5 ? junk() : pick(VALUES);
    if (rnd() < 0.3) base.actions = pick([[], null, 'x', [junk()], [{ action_id: pick(ACTION_IDS), value: pick(VALUES) }]]);
  }
  return payloadBody(base);
}

describe('fuzz: hostile slash texts and interactivity payloads', () => {
  let h: Harness;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    h = await startHarness({
      config: 'targets: []\naccess:\n  diagnose: [U0ALICE]\n  approvers: [U0BOSS]\n',
      env: { LOG_LEVEL: 'error' },
      respondTimeoutMs: 200,
    });
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await h?.stop();
  });

  async function run(total: number, body: () => string, check: (status: number, text: string, i: number) => void): Promise<number> {
    const deadline = Date.now() + TIME_BOUND_MS;
    let next = 0;
    let done = 0;
    const lane = async () => {
      while (next < total && Date.now() < deadline) {
        const i = next++;
        const raw = body();
        const r = await h.post(raw);
        check(r.status, r.text, i);
        done++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    return done;
  }

  it(`answers ${SLASH_TEXTS} random slash texts, pinging nobody`, async () => {
    const statuses = new Map<number, number>();
    const done = await run(SLASH_TEXTS, () => commandBody(h.double, { text: slashText(), user: pick(['U0ALICE', 'U0MALLORY']) }), (status, text, i) => {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      expect(status, `slash #${i} (seed ${SEED})`).toBe(200);
      // The ack is the private answer: what the user typed comes back escaped.
      expect(text, `slash #${i}`).not.toMatch(/<!(channel|here|everyone)>|<@U/);
    });
    expect(done).toBe(SLASH_TEXTS);
    expect(unhandled).toEqual([]);
  }, TIME_BOUND_MS + 30_000);

  it(`answers ${PAYLOADS} malformed interactivity payloads without a 5xx`, async () => {
    const statuses = new Map<number, number>();
    const done = await run(PAYLOADS, payload, (status, _text, i) => {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      expect([200, 400, 404], `payload #${i} (seed ${SEED}) answered ${status}`).toContain(status);
    });
    expect(done).toBe(PAYLOADS);
    // Not all stopped at the door: a good share were well-formed enough to reach the handlers.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(PAYLOADS * 0.4);
    expect(unhandled).toEqual([]);
  }, TIME_BOUND_MS + 30_000);

  it('is still serving, and posted nothing that pings anyone', async () => {
    const help = commandBody(h.double, { text: 'help' });
    expect((await h.post(help)).status).toBe(200);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    for (const c of h.double.calls) expect(JSON.stringify(c.body), c.method).not.toMatch(/<!(channel|here|everyone)>|<@U0(?!ALICE|BOSS)/);
  });
});

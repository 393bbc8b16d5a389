/**
 * The shared secrets assertion can fail: a planted secret in any sink the
 * lab reads makes the test that leaked it fail, naming the sink.
 */
import { describe, expect, it } from 'vitest';
import { startHarness } from '../slack/helpers/harness.js';
import { assertNoPlantedSecret, plantSecret } from './secrets.js';

describe('the planted-secrets assertion', () => {
  it('finds a secret in plain, URL-encoded and JSON-escaped form', () => {
    const s = plantSecret('Plant-ed/"secret"-42');
    expect(() => assertNoPlantedSecret('a log', `x ${s} y`)).toThrow(/leaked into a log/);
    expect(() => assertNoPlantedSecret('a URL', `redis://:${encodeURIComponent(s)}@h`)).toThrow(/leaked into a URL/);
    expect(() => assertNoPlantedSecret('JSON', JSON.stringify({ v: s }))).toThrow(/leaked into JSON/);
    expect(() => assertNoPlantedSecret('clean text', 'Plant-ed <redacted>')).not.toThrow();
  });

  it('fails a harness that leaves one in a key under its prefix, and one in its log', async () => {
    const secret = plantSecret(`harness-leak-${process.pid}-x9`);
    const h = await startHarness({ config: 'targets: []\n' });
    await h.redis.set(`${h.prefix}:store:leaky`, `value with ${secret}`);
    await expect(h.stop()).rejects.toThrow(/leaked into the queue Redis key .*:store:leaky/);

    const h2 = await startHarness({ config: 'targets: []\n' });
    h2.logs.push(`{"msg":"oops","password":"${secret}"}`);
    await expect(h2.stop()).rejects.toThrow(/leaked into the bot log/);
  });
});

/**
 * Admission (what a Slack user may diagnose) and the worker's resolution of
 * the admitted text parse alike: whatever is admitted is admitted again, to
 * the same canonical text, and resolves; whatever is refused is refused with
 * a reason that repeats no secret.
 */
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { admitTarget } from '../../src/slack/admission.js';
import { resolveJobTarget } from '../../src/slack/resolve.js';

const config = configSchema.parse({
  targets: [{ name: 'cache-prod', url: 'redis://198.18.0.9:6379' }],
  access: { allowAdHocTargets: true, adHocNetworks: ['198.18.0.0/15', 'fd00::/8'] },
});

const ADMITTED = [
  'cache-prod', '198.18.0.1', '198.18.0.1:6380', '[::ffff:198.18.0.1]:6379', '::ffff:198.18.0.1', '[fd00::5]:6379',
  'redis://198.18.0.1:6379/2', 'rediss://198.18.0.1', 'redis://app@198.18.0.1:6390', 'rediss://[::ffff:198.18.0.1]:6379', '<redis://198.18.0.1:6379|redis://198.18.0.1:6379>',
];
const REFUSED = [
  '::ffff:198.18.0.1%lo', '[::ffff:198.18.0.1%lo]:6379', 'redis://[::ffff:198.18.0.1%25lo]:6379', '[fe80::1%lo]:6379',
  '10.0.0.1:6379', '127.0.0.1', '[::1]:6379', 'cache.example.com', 'redis://198.18.0.1:6379?password=Adm-Secret-1', 'redis://:Adm-Secret-1@198.18.0.1',
  '<!channel>', '<@U0ALICE>', '*bold*', 'ghost-target',
];

describe('admission and the worker parse alike', () => {
  it.each(ADMITTED)('%j: admitted, admitted again to the same text, resolved by the worker', (text) => {
    const first = admitTarget(text, config);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    const again = admitTarget(first.input, config);
    expect(again).toEqual(first);
    expect(() => resolveJobTarget(first.input, config, {})).not.toThrow();
  });

  it.each(REFUSED)('%j: refused with a reason that holds no secret', (text) => {
    const a = admitTarget(text, config);
    expect(a.ok).toBe(false);
    if (a.ok) return;
    expect(a.reason).not.toContain('Adm-Secret-1');
    // Mentions and formatting typed into the command are shown escaped, never live.
    expect(a.reason).not.toMatch(/<[!@]/);
  });
});

describe('the follow policy the worker hands the engine', () => {
  it('a named target: configured; an ad-hoc one: ad-hoc, admitting exactly what admitTarget admits', () => {
    expect(resolveJobTarget('cache-prod', config, {}).options.followPolicy).toEqual({ kind: 'configured' });
    const policy = resolveJobTarget('198.18.0.1:6379', config, {}).options.followPolicy;
    expect(policy?.kind).toBe('ad-hoc');
    for (const ip of ['198.18.0.1', '198.19.255.254', 'fd00::5', '::ffff:198.18.0.1']) expect(policy?.allows?.(ip), ip).toBe(true);
    for (const ip of ['127.0.0.1', '::1', '10.0.0.1', '0.0.0.0', '169.254.169.254', 'localhost']) expect(policy?.allows?.(ip), ip).toBe(false);
    expect(policy?.outside).toBe('outside the networks ad-hoc targets may use (access.adHocNetworks)');
  });
});

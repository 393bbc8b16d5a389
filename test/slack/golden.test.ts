/**
 * Every message kind rendered from fixed fixtures (golden/kinds.ts) and
 * compared with its reviewed golden file, test/slack/golden/<kind>.json:
 * any difference fails. After a deliberate change, `UPDATE_GOLDEN=1 npx
 * vitest run test/slack/golden.test.ts` rewrites them (review the diff) and
 * docs/messages/ (each kind's Block Kit JSON and a Block Kit Builder link in
 * its README); without it, docs/messages/ out of step with the kinds fails too.
 *
 * Also: Slack's size limits on every kind, hostile text escaped everywhere a
 * renderer takes it, and push texts that name the target and the cause.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/slack/views/limits.js';
import { HOSTILE, hostileHome, hostileKinds, kinds, type Kind } from './golden/kinds.js';

const DIR = join(import.meta.dirname, 'golden');
const DOCS = join(import.meta.dirname, '..', '..', 'docs', 'messages');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

type Node = Record<string, unknown>;

/** Every object in a message, depth first. */
function* walk(v: unknown): Generator<Node> {
  if (Array.isArray(v)) for (const x of v) yield* walk(x);
  else if (v && typeof v === 'object') {
    yield v as Node;
    for (const x of Object.values(v)) yield* walk(x);
  }
}

function limitProblems(rendered: { blocks: unknown[]; text?: string }): string[] {
  const out: string[] = [];
  if (rendered.blocks.length > LIMITS.blocks) out.push(`${rendered.blocks.length} blocks`);
  if (rendered.text !== undefined && rendered.text.length > LIMITS.fallbackText) out.push('text too long');
  for (const b of rendered.blocks as Node[]) {
    const t = b.text as { text?: string } | undefined;
    if (b.type === 'section' && (t?.text?.length ?? 0) > LIMITS.sectionText) out.push(`section ${String(b.block_id)} over ${LIMITS.sectionText}`);
    if (typeof b.block_id === 'string' && b.block_id.length > LIMITS.blockId) out.push('block_id too long');
    if (b.type === 'context' && ((b.elements as unknown[]).length > LIMITS.contextElements)) out.push('context elements');
    if (b.type === 'actions' && ((b.elements as unknown[]).length > LIMITS.actionsElements)) out.push('actions elements');
  }
  for (const n of walk(rendered.blocks)) {
    if (n.type === 'plain_text' && typeof n.text === 'string' && n.text.length > 150) out.push(`plain_text over 150: ${n.text}`);
    if (n.type === 'button') {
      const label = (n.text as { text: string }).text;
      if (label.length > LIMITS.buttonShort) out.push(`button over ${LIMITS.buttonShort}: ${label}`);
      if (typeof n.value === 'string' && n.value.length > LIMITS.buttonValue) out.push('button value too long');
    }
    if (typeof n.action_id === 'string' && n.action_id.length > LIMITS.actionId) out.push('action_id too long');
    if (n.type === 'mrkdwn' && typeof n.text === 'string' && n.text.length > LIMITS.sectionText) out.push('mrkdwn over 3000');
  }
  return out;
}

/** Where a push text must name the target and the cause (the kinds about one target and cause). */
const PUSH: Record<string, string[]> = {
  'diagnosis-healthy': ['cache', 'healthy'],
  'diagnosis-degraded': ['cache', 'slow-commands'],
  'diagnosis-unreachable': ['cache', 'connection-refused'],
  'diagnosis-fixed': ['cache', 'memory-limit-reached', '<@U0BOSS>'],
  'diagnosis-fix-failed': ['cache', 'memory-limit-reached', 'failed'],
  'finding': ['cache', 'memory-limit-reached'],
  'finding-unlikely': ['cache', 'wrong-port'],
  'finding-stale': ['cache', 'connection-refused'],
  'approval-request': ['cache', 'memory-limit-reached', '<@U0ALICE>'],
  'approval-approved': ['cache', 'memory-limit-reached'],
  'approval-denied': ['cache', 'memory-limit-reached'],
  'approval-expired': ['cache', 'memory-limit-reached'],
  'remediation-outcome': ['cache', 'memory-limit-reached'],
  'steps': ['cache', 'memory-limit-reached', '<@U0CAROL>'],
  'alert': ['cache', 'connection-refused'],
  'alert-acked': ['cache', 'connection-refused', '<@U0BOB>'],
  'alert-reminder': ['cache', 'connection-refused'],
  'ack': ['cache', 'connection-refused', '<@U0BOB>'],
  'snooze': ['cache', 'connection-refused', '<@U0ALICE>'],
  'recovery': ['cache', 'connection-refused'],
  'alert-resolved': ['cache', 'connection-refused'],
};

describe('golden messages', () => {
  const all = kinds();

  it.each(all.map((k) => [k.name, k] as const))('%s matches its reviewed golden file', (name, k) => {
    const file = join(DIR, `${name}.json`);
    const json = `${JSON.stringify(k.rendered, null, 2)}\n`;
    if (UPDATE) writeFileSync(file, json);
    expect(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
    expect(json).toBe(readFileSync(file, 'utf8'));
  });

  it('has no golden file for a kind that no longer exists', () => {
    const names = new Set(all.map((k) => `${k.name}.json`));
    expect(readdirSync(DIR).filter((f) => f.endsWith('.json') && !names.has(f))).toEqual([]);
  });

  it.each(all.map((k) => [k.name, k] as const))('%s is within Slack\'s limits', (_name, k) => {
    expect(limitProblems(k.rendered as { blocks: unknown[]; text?: string })).toEqual([]);
  });

  it('push texts name the target and the cause (and people as mentions)', () => {
    for (const [name, words] of Object.entries(PUSH)) {
      const k = all.find((x) => x.name === name);
      expect(k, name).toBeDefined();
      const text = (k!.rendered as { text: string }).text;
      for (const w of words) expect(text, `${name}: ${text}`).toContain(w);
    }
  });
});

/** docs/messages/: `<kind>.json` (what Block Kit Builder takes) and README.md with a Builder link per kind. */
function docsFiles(all: Kind[]): Map<string, string> {
  const files = new Map<string, string>();
  const rows: string[] = [];
  for (const k of all) {
    const r = k.rendered as { type?: string; text?: string; blocks: unknown[] };
    const payload = r.type === 'home' ? { type: 'home', blocks: r.blocks } : { blocks: r.blocks };
    files.set(`${k.name}.json`, `${JSON.stringify(payload, null, 2)}\n`);
    // ( and ) too: a Markdown link would end at the first ).
    const link = `https://app.slack.com/block-kit-builder/#${encodeURIComponent(JSON.stringify(payload)).replace(/\(/g, '%28').replace(/\)/g, '%29')}`;
    const push = r.text !== undefined ? ` Push text: \`${r.text.replace(/`/g, "'")}\`.` : '';
    rows.push(`- **${k.name}** — ${k.what}${push} [JSON](${k.name}.json) · [open in Block Kit Builder](${link})`);
  }
  files.set('README.md', [
    '# The messages redis-doctor posts',
    '',
    'Each message kind as Block Kit JSON, rendered from fixed fixtures by the same pure renderers the bot uses',
    '(`test/slack/golden/kinds.ts`). Generated by `UPDATE_GOLDEN=1 npx vitest run test/slack/golden.test.ts`,',
    'which also rewrites the reviewed golden files in `test/slack/golden/`; the test fails when these files',
    'and the renderers disagree. The Builder links open each message in Slack\'s Block Kit Builder (sign in to',
    'any workspace); date tokens show their fallback text there.',
    '',
    ...rows,
    '',
  ].join('\n'));
  return files;
}

describe('docs/messages', () => {
  it('has each kind\'s Block Kit JSON and Builder link, in step with the renderers', () => {
    const files = docsFiles(kinds());
    if (UPDATE) {
      mkdirSync(DOCS, { recursive: true });
      for (const [name, text] of files) writeFileSync(join(DOCS, name), text);
    }
    for (const [name, text] of files) {
      const path = join(DOCS, name);
      expect(existsSync(path), `${path} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
      expect(readFileSync(path, 'utf8'), name).toBe(text);
    }
    expect(readdirSync(DOCS).filter((f) => !files.has(f))).toEqual([]);
  });
});

describe('hostile text in every kind', () => {
  const messages = [...hostileKinds(), hostileHome()];

  /** What Slack reads as mrkdwn: the push text and every mrkdwn text object (plain_text shows `<` as typed). */
  const mrkdwnOf = (m: { text?: string; blocks: unknown[] }) => [
    ...(m.text !== undefined ? [m.text] : []),
    ...[...walk(m.blocks)].filter((n) => n.type === 'mrkdwn').map((n) => String(n.text)),
  ];

  it('never becomes a mention, a link or a bidi override, in any text', () => {
    for (const m of messages) {
      const texts = mrkdwnOf(m as { text?: string; blocks: unknown[] });
      for (const t of texts) for (const raw of ['<!channel>', '<@U0EVE>', '<https://evil']) expect(t).not.toContain(raw);
      expect(texts.join('\n')).toContain('&lt;!channel&gt;');
      // Bidi controls are shown as escapes in everything displayed, plain_text too (ids are not displayed).
      for (const n of walk(m)) if (typeof n.text === 'string') expect(n.text).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
      expect(limitProblems(m as { blocks: unknown[]; text?: string })).toEqual([]);
    }
  });

  it('keeps *, _, ~ and backticks as typed in code: steps and evidence are code blocks', () => {
    const [, , finding, , , , , , , , , , steps] = hostileKinds();
    for (const m of [finding!, steps!]) {
      // The hostile line is inside a code block (where Slack applies no formatting), its * _ ~ untouched.
      const blocks = mrkdwnOf(m).flatMap((t) => t.split('```').filter((_, i) => i % 2 === 1));
      expect(blocks.some((c) => c.includes('*b* _i_ ~s~'))).toBe(true);
    }
    expect(HOSTILE).toContain('`');
  });
});

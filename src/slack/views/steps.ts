/**
 * The steps of a remediation as Slack shows them: each step in its own code
 * block, so a command in it can be copied as it is and nothing in it formats
 * (`*`, `_`, `~` are literal inside ```) or notifies (`<!channel>` is escaped:
 * Slack shows &lt; as < in code, but never reads it as a mention).
 *
 * Steps are prose with commands in it (src/engine/remediations/), one string
 * each: the whole step is the block, not a guess at where its command starts.
 */
import type { types } from '@slack/bolt';
import type { CauseId, Remediation, TargetInfo } from '../../engine/index.js';
import { address, fallbackMrkdwn, packSections, recheckButton, section, targetLabel, type Rendered } from './elements.js';
import { LIMITS } from './limits.js';
import { code, escapeMrkdwn, mention, truncate } from './mrkdwn.js';

const FENCE = '```';

/** One code block; a ``` inside would close it early, so it becomes a look-alike. */
export function codeBlock(text: string, max = LIMITS.sectionText - 40): string {
  return `${FENCE}${truncate(escapeMrkdwn(text).replace(/```/g, 'ˋˋˋ'), max - 2 * FENCE.length)}${FENCE}`;
}

/** Numbered steps, each a code block, then how to verify: lines for packSections. */
export function stepLines(r: Pick<Remediation, 'steps' | 'verify'>): string[] {
  const lines = r.steps.map((s, i) => `*${i + 1}.*\n${codeBlock(s)}`);
  if (r.verify) lines.push(`_Verify:_\n${codeBlock(r.verify)}`);
  return lines;
}

export interface StepsView {
  target: TargetInfo;
  cause: CauseId;
  remediation: Remediation;
  /** Who opened the steps. */
  by: string;
  /** `recheck:<ref>` for a fresh diagnosis once the steps are applied. */
  recheck: string;
  /** The block_id of the heading: `steps:<remediation-id>`. */
  blockId: string;
}

/** A guided remediation's steps, posted at once: nothing was run and nobody was asked. */
export function renderSteps(v: StepsView): Rendered {
  const name = v.target.name ?? address(v.target);
  const blocks: types.KnownBlock[] = [
    section(`:clipboard: Steps for *${escapeMrkdwn(v.remediation.title)}* on ${targetLabel(v.target)} (${code(v.cause)}), for ${mention(v.by)}. redis-doctor ran nothing: apply them yourself, then re-check.`, v.blockId),
  ];
  const lines = stepLines(v.remediation);
  const shown = packSections(blocks, lines, 2);
  if (shown < lines.length) blocks.push(section(`_${lines.length - shown} more steps not shown (message size limit)._`));
  blocks.push({ type: 'actions', block_id: `verify:${truncate(v.blockId, 200, '')}`, elements: [recheckButton(v.recheck, 'Re-check: is it fixed?')] });
  return {
    text: fallbackMrkdwn(`Steps for ${escapeMrkdwn(name)}: ${escapeMrkdwn(v.remediation.title)} (${escapeMrkdwn(v.cause)}), for ${mention(v.by)}`),
    blocks,
  };
}

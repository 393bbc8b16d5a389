/**
 * A message whose buttons no longer apply (the incident recovered): the same
 * text and blocks without its actions blocks, and one line saying why.
 * Pure: the caller says when it recovered.
 */
import type { types } from '@slack/bolt';
import { context, slackDateOfMs, type Rendered } from './elements.js';
import { LIMITS } from './limits.js';

export function withoutButtons(message: { text: string; blocks: unknown[] }, resolvedAt: number): Rendered {
  const kept = (message.blocks as types.KnownBlock[]).filter((b) => b.type !== 'actions' && b.block_id !== 'stale');
  const note = { ...context([`:white_check_mark: Recovered ${slackDateOfMs(resolvedAt)}: these fixes are no longer offered. Run a new diagnosis if it fails again.`]), block_id: 'stale' };
  return { text: message.text, blocks: [...kept.slice(0, LIMITS.blocks - 1), note] };
}

/**
 * Block Kit limits (Slack's Block Kit reference). A message over any of
 * them is refused with `invalid_blocks`, so renderers cut to these numbers.
 */
export const LIMITS = {
  /** section `text`: "Maximum length for the text in this field is 3000 characters." */
  sectionText: 3000,
  /** context elements: max 10; we keep each text short as well. */
  contextElements: 10,
  contextText: 2000,
  /** "You can include up to 50 blocks in each message." */
  blocks: 50,
  /** button `text`: "Maximum length for the text in this field is 75 characters." */
  buttonText: 75,
  /** What we show on a button: about 30 characters stay on one line on a phone; the full title is in the section. */
  buttonShort: 30,
  /** button `value`: "Maximum length is 2000 characters." */
  buttonValue: 2000,
  /** `action_id` and `block_id`: "Maximum length is 255 characters." */
  actionId: 255,
  blockId: 255,
  /** actions block: "There is a maximum of 25 elements in each action block." */
  actionsElements: 25,
  /** confirm dialog: title 100, text 300, confirm/deny button text 30. */
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** Top-level `text` is the notification fallback; Slack truncates past 40,000, we keep it short. */
  fallbackText: 3000,
} as const;

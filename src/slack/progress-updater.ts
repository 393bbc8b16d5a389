/**
 * Shows engine progress in the parent message while checks run. Edits are
 * spaced (chat.update is rate limited: Slack's "Tier 3", about 50 a minute)
 * and chained, so a late progress edit can never land after the verdict.
 * An edit whose steps are the ones the last edit showed is not sent: Slack
 * would show the same message again (two identical updates in a row).
 */
import type { ProgressEvent } from '../engine/index.js';

export class ProgressUpdater {
  private readonly steps = new Map<string, ProgressEvent>();
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  // The parent message was just posted with no steps: the first edit waits a full interval,
  // so a diagnosis that ends sooner goes straight to its verdict.
  private lastSent = Date.now();
  private stopped = false;
  /** The steps of the last edit sent (phase and step of each, in order). */
  private lastKey = '';

  constructor(
    private readonly send: (steps: ProgressEvent[]) => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (err: Error) => void,
  ) {}

  readonly onEvent = (event: ProgressEvent): void => {
    if (this.stopped) return;
    this.steps.set(event.step, event);
    if (this.timer) return;
    const wait = Math.max(0, this.lastSent + this.intervalMs - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  };

  private flush(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const snapshot = [...this.steps.values()];
    const key = JSON.stringify(snapshot.map((e) => [e.step, e.phase]));
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.lastSent = Date.now();
    // Progress is best effort: a failed edit is logged, the diagnosis goes on.
    this.chain = this.chain.then(() => this.send(snapshot)).catch((err: Error) => this.onError(err));
  }

  /** No more edits after this; resolves when the last one has settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain;
  }
}

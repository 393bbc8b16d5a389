/**
 * Runs the diagnosis steps one at a time: emits the progress events and
 * records one `Check` per step, in the order the steps ran.
 */
import type { ProgressEvent } from '../model/options.js';
import type { Check, CheckStatus } from '../model/types.js';
import { now, since } from '../shared/clock.js';

export interface CheckOutcome {
  status: CheckStatus;
  detail: string;
}

export class StepRecorder {
  readonly checks: Check[] = [];

  /** `prefix` names the checks of a followed node apart from the target's (`primary:tcp-connect`). */
  constructor(
    private readonly onProgress?: (event: ProgressEvent) => void,
    private readonly prefix = '',
  ) {}

  async run<T>(stepId: string, step: () => Promise<T>, describe: (result: T) => CheckOutcome): Promise<T> {
    const id = this.prefix + stepId;
    this.emit({ phase: 'start', step: id });
    const start = now();
    const result = await step();
    this.record(id, describe(result), since(start));
    return result;
  }

  skip(id: string, detail: string): void {
    this.note(id, { status: 'skip', detail }, 0);
  }

  /** A step whose work was done by an earlier one (INFO rides in the handshake's round trip). */
  note(stepId: string, outcome: CheckOutcome, durationMs: number): void {
    const id = this.prefix + stepId;
    this.emit({ phase: 'start', step: id });
    this.record(id, outcome, durationMs);
  }

  /** Checks produced elsewhere (the remote checks) join the list as they are. */
  add(checks: readonly Check[]): void {
    this.checks.push(...checks);
  }

  private record(id: string, outcome: CheckOutcome, durationMs: number): void {
    this.checks.push({ id, status: outcome.status, durationMs, detail: outcome.detail });
    this.emit({ phase: 'done', step: id, detail: outcome.detail });
  }

  private emit(event: ProgressEvent): void {
    // A failing progress callback (a closed terminal, a Slack hiccup) must not end the diagnosis.
    try {
      this.onProgress?.(event);
    } catch {
      /* ignored on purpose */
    }
  }
}

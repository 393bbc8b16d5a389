/**
 * The monitor's state writes, gathered (issue #20, bench/README.md "Monitor"):
 * the compare-and-sets of the ticks that end within `windowMs` of each other
 * go to the queue Redis as one Lua call (MonitorStore.casStates) instead of
 * one script call each. Each entry is still compared and set on its own, so
 * a second worker, or this one restarted, continues the same state exactly as
 * with casState. One timer per window, not one per write; at most `max`
 * entries per call.
 */
import type { CasResult, MonitorStore } from '../stores/monitor-store.js';
import type { TargetState } from './state-machine.js';

interface Pending {
  target: string;
  version: number;
  state: TargetState;
  tick: number;
  resolve: (r: CasResult) => void;
  reject: (err: Error) => void;
}

export class StateWriter {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: MonitorStore, private readonly windowMs: number, private readonly max = 500) {}

  cas(target: string, version: number, state: TargetState, tick: number): Promise<CasResult> {
    return new Promise<CasResult>((resolve, reject) => {
      this.pending.push({ target, version, state, tick, resolve, reject });
      if (this.pending.length >= this.max) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.store.casStates(batch).then(
      (results) => batch.forEach((p, i) => p.resolve(results[i]!)),
      (err: Error) => { for (const p of batch) p.reject(err); },
    );
  }
}

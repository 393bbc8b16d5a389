/**
 * The monitor's idle watch (optional, MonitorDeps.idleWatch): one connection
 * per monitored target held idle after the up probe's handshake, as a pooled
 * client holds one (engine holdIdle). A short probe never sees what reaps such
 * a connection — Redis's `timeout`, a load balancer's or NAT's idle timeout, a
 * firewall's state timeout — and the application sees ECONNRESET after quiet
 * periods. Each tick of a target that is up:
 *   - no connection held: open one (in the background; the tick does not wait);
 *   - the held one ended (FIN, RST): record how and after how long idle, drop
 *     it; the next tick opens another;
 *   - idle for `checkAfterMs` or more: PING it (a pool's health check); no
 *     reply within the probe's bound records `silent` (state dropped on the
 *     path without a FIN or RST); a PONG starts the idle clock again.
 * The latest record of a target (kept `maxAgeMs`) goes into the history of its
 * next diagnosis (TargetHistory.idleClosed), where the idle-connections-closed
 * rule reads it. Records live in this process: a worker that restarts starts
 * watching again. One connection per target per worker process, bounded by
 * the number of targets.
 */
import type { DiagnoseTarget, IdleHold, UpOptions, UpResult } from '../engine/index.js';
import type { TargetHistory } from '../engine/index.js';

export type HoldFn = (target: DiagnoseTarget, options: UpOptions) => Promise<{ result: UpResult; hold?: IdleHold }>;

export interface IdleWatchOptions {
  hold: HoldFn;
  /** PING a connection idle this long (default 10 min: longer than most NAT and LB idle timeouts people set, shorter than the kernel's 2 h keepalive). */
  checkAfterMs?: number;
  /** Bound of the open and of the PING (default 2000 ms). */
  timeoutMs?: number;
  /** How long a record stays evidence (default 24 h). */
  maxAgeMs?: number;
  /** Targets watched at most (default 1000): past that, no new connection is held. */
  maxTargets?: number;
  now?: () => number;
}

type Record = NonNullable<TargetHistory['idleClosed']>;

interface Watched {
  hold?: IdleHold;
  opening?: boolean;
  checking?: boolean;
}

export class IdleWatch {
  private readonly watched = new Map<string, Watched>();
  private readonly records = new Map<string, { record: Record; at: number }>();
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly options: IdleWatchOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Called by each tick of a target that is up; never waits on the network. */
  watch(name: string, target: DiagnoseTarget, upOptions: UpOptions): void {
    if (this.stopped) return;
    let w = this.watched.get(name);
    if (!w) {
      if (this.watched.size >= (this.options.maxTargets ?? 1000)) return;
      w = {};
      this.watched.set(name, w);
    }
    const hold = w.hold;
    if (!hold) {
      if (!w.opening) this.open(name, w, target, upOptions);
      return;
    }
    const ended = hold.ended();
    if (ended) {
      this.record(name, ended.how, ended.idleMs);
      delete w.hold;
      return;
    }
    if (!w.checking && hold.idleMs() >= (this.options.checkAfterMs ?? 10 * 60_000)) {
      w.checking = true;
      void hold.ping(this.options.timeoutMs ?? 2000).then(() => {
        w.checking = false;
        const end = hold.ended();
        if (end) {
          this.record(name, end.how, end.idleMs);
          if (w.hold === hold) delete w.hold;
        }
      });
    }
  }

  /** The latest record for `name`, while it is evidence. */
  evidence(name: string): Record | undefined {
    const hit = this.records.get(name);
    if (!hit) return undefined;
    if (this.now() - hit.at > (this.options.maxAgeMs ?? 24 * 3600_000)) {
      this.records.delete(name);
      return undefined;
    }
    return hit.record;
  }

  /** Closes every held connection; watch() does nothing afterwards. */
  stop(): void {
    this.stopped = true;
    for (const w of this.watched.values()) w.hold?.close();
    this.watched.clear();
  }

  private open(name: string, w: Watched, target: DiagnoseTarget, upOptions: UpOptions): void {
    w.opening = true;
    this.options
      .hold(target, { ...upOptions, timeoutMs: this.options.timeoutMs ?? 2000 })
      .then(({ hold }) => {
        if (this.stopped || this.watched.get(name) !== w) hold?.close();
        else if (hold) w.hold = hold;
      })
      .catch(() => undefined)
      .finally(() => {
        w.opening = false;
      });
  }

  private record(name: string, how: Record['how'], idleMs: number): void {
    const at = this.now();
    this.records.set(name, { at, record: { how, idleSeconds: Math.round(idleMs / 100) / 10, at: new Date(at).toISOString() } });
  }
}

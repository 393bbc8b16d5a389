/**
 * Grouped alerts (INTERFACES.md section 6, turn 3; `alerts.groupWaitSeconds`).
 *
 * A host that takes twelve instances down is one message, not twelve. The
 * first incident is posted as usual (`alert:<target>`, no delay) and opens a
 * group for `groupWaitSeconds`, keyed by its channel + host and its channel +
 * cause. An incident of the same channel sharing the host or the cause that
 * is about to be posted inside that window posts nothing of its own in the
 * channel: it joins the group (a Lua script: atomic across workers), and
 *
 *   - the first alert's message becomes the group message (chat.update): first
 *     block `alert-group:<cause>`, the targets listed with their state;
 *   - each member gets its own message in the group's thread (first block
 *     `alert:<target>`, with its recheck / ack / snooze buttons), and its
 *     findings, notes, reminders and recovery follow in that same thread,
 *     each naming its target;
 *   - the group message is kept current as members recover, and says
 *     resolved when all have.
 *
 * In the incident record a member has `ts` = the group message (every thread
 * reply goes there), `groupId`, and `headTs` = its own message in the thread
 * (what ack, a new cause and the recovery edit instead of the group message).
 */
import type { Logger } from '../log.js';
import type { IncidentRecord, MonitorStore } from '../stores/monitor-store.js';
import type { AlertSink, GroupView, IncidentView } from './alert-sink.js';

export class AlertGrouper {
  constructor(
    private readonly store: MonitorStore,
    private readonly sink: AlertSink,
    private readonly windowMs: number,
    private readonly viewOf: (rec: IncidentRecord) => IncidentView,
    private readonly log: Logger,
    private readonly now: () => number,
    /** Runs `work` holding the incident's lease on `what` (IncidentKeeper.claimed); undefined when another worker holds it. */
    private readonly claimed: (id: string, what: string, work: () => Promise<void>) => Promise<void | undefined>,
  ) {}

  get enabled(): boolean {
    return this.windowMs > 0 && this.sink.postInThread !== undefined && this.sink.updateGroup !== undefined;
  }

  /** The group keys of an incident: its host, and its cause when it has one. */
  private keys(rec: IncidentRecord): string[] {
    const g = this.store.groups;
    return [
      ...(rec.targetInfo?.host ? [g.groupKey(rec.channel, 'host', rec.targetInfo.host)] : []),
      ...(rec.cause && rec.cause !== 'none' ? [g.groupKey(rec.channel, 'cause', rec.cause)] : []),
    ];
  }

  /** After an incident's own alert is posted: it opens a group the next ones may join. */
  async opened(rec: IncidentRecord, ts: string): Promise<void> {
    if (!this.enabled) return;
    await this.store.groups.register({
      id: `g-${rec.id}`, channel: rec.channel, ts, openedAt: rec.openedAt,
      ...(rec.cause && rec.cause !== 'none' ? { cause: rec.cause } : {}),
      ...(rec.targetInfo?.host ? { host: rec.targetInfo.host } : {}),
    }, rec.id, this.keys(rec), this.windowMs).catch((err: Error) => this.log.log('warn', 'could not open an alert group: the next alerts post on their own', { incident: rec.id, error: err.message }));
  }

  /**
   * Before an incident's alert is posted: joins an open group of its channel
   * sharing its host or cause. True when it did (the group message stands for
   * it: nothing is posted in the channel); false: post as usual.
   */
  async join(rec: IncidentRecord): Promise<boolean> {
    if (!this.enabled) return false;
    const joined = await this.store.groups.join(rec.id, this.keys(rec));
    if (!joined) return false;
    // ts is the group's: findings, notes and the recovery go in its thread.
    if (!(await this.store.setIncidentOnce(rec.id, 'ts', joined.ts))) return true;
    await this.store.updateIncident(rec.id, { groupId: joined.gid, postedAt: this.now() });
    await this.shape(joined.gid);
    this.log.log('info', 'alert grouped', { target: rec.target, incident: rec.id, group: joined.gid, members: joined.members });
    return true;
  }

  /**
   * Every member has its own message in the thread (the first one gets its
   * own when the second joins), then the group message is rendered again.
   */
  async shape(gid: string): Promise<void> {
    const g = await this.store.groups.get(gid);
    if (!g || g.members.length < 2) return;
    const recs = await this.members(g.members);
    for (const rec of recs) {
      if (rec.headTs) continue;
      if (!rec.groupId) await this.store.updateIncident(rec.id, { groupId: gid });
      // Held under the member's `head` lease and read again inside it: two workers shaping at once post it once.
      await this.claimed(rec.id, 'head', async () => {
        const fresh = await this.store.incident(rec.id);
        if (!fresh || fresh.headTs) return;
        const head = await this.sink.postInThread!(g.channel, g.ts, this.viewOf({ ...fresh, groupId: gid }));
        if (!(await this.store.setIncidentOnce(rec.id, 'headTs', head))) {
          await this.sink.remove(g.channel, head).catch(() => undefined);
        }
      });
    }
    await this.refresh(gid);
  }

  private async members(ids: readonly string[]): Promise<IncidentRecord[]> {
    const recs = await Promise.all(ids.map((id) => this.store.incident(id)));
    return recs.filter((r): r is IncidentRecord => r !== undefined);
  }

  /** The group message, current: each member's state (kept as long as the incidents are). */
  async refresh(gid: string): Promise<void> {
    const g = await this.store.groups.get(gid);
    if (!g || g.members.length < 2) return;
    const recs = (await this.members(g.members)).map((r) => ({ ...r, groupId: gid }));
    if (recs.length === 0) return;
    const causes = new Set(recs.map((r) => r.cause ?? 'none'));
    const view: GroupView = {
      id: gid,
      cause: causes.size === 1 ? [...causes][0]! : 'mixed',
      ...(g.host && recs.every((r) => r.targetInfo?.host === g.host) ? { host: g.host } : {}),
      members: recs.map((r) => this.viewOf(r)),
      ...(recs[0]!.mention ? { mention: recs[0]!.mention } : {}),
    };
    await this.sink.updateGroup!(g.channel, g.ts, view);
  }

  /**
   * What edits a member's parent (ack, a new cause, resolved): its own message
   * in the group's thread, then the group message. False: not a member, edit
   * `rec.ts` as usual.
   */
  async updateMember(rec: IncidentRecord, view: IncidentView): Promise<boolean> {
    if (!rec.groupId) return false;
    if (rec.headTs) {
      await this.sink.update(rec.channel, rec.headTs, view);
      await this.refresh(rec.groupId);
    } else {
      // Its own message in the thread is missing (a worker died while shaping the group): post what is missing.
      await this.shape(rec.groupId);
    }
    return true;
  }
}

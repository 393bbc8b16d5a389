/**
 * The Alertmanager receiver as a component of the bot process: the route's
 * handler (route.ts), the intake queue (intake.ts), and a sweep every
 * alerts.intervalSeconds that brings the incidents of targets nobody probes
 * up to date (reminders, a post Slack refused): the monitor's tick does that
 * for monitored ones. Built by bot.ts only when ALERTMANAGER_WEBHOOK_TOKEN
 * is set (INTERFACES.md section 5); it sits at the edge beside slack/ and
 * cli/ — nothing under engine/, jobs/ or monitor/ imports it.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Component } from '../components/component.js';
import type { Config } from '../config/schema.js';
import type { ResolvedTarget } from '../config/resolve-target.js';
import type { Diagnosis } from '../engine/index.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { AlertSink } from '../monitor/alert-sink.js';
import { ExternalIncidents } from '../monitor/external.js';
import type { AlertSettings } from '../monitor/incident.js';
import { IncidentKeeper, type IncidentDiagnose, type KeeperDeps } from '../monitor/incidents.js';
import type { MonitorStore } from '../stores/monitor-store.js';
import { AlertIntake } from './intake.js';
import { targetMapper } from './mapping.js';
import { alertmanagerHandler } from './route.js';

const LEASE_MS = 120_000;
const SWEEP_MAX = 500;
const STOP_MS = 5000;

export interface ReceiverDeps {
  token: string;
  config: Config;
  store: MonitorStore;
  sink: AlertSink;
  diagnose: IncidentDiagnose;
  findDiagnosis: (id: string) => Promise<Diagnosis | undefined>;
  /** Config target name → engine input (its address is shown on the alert). */
  resolve: (name: string) => ResolvedTarget;
  /** The targets the monitor probes. */
  monitored: readonly string[];
  metrics: Metrics;
  log: Logger;
  leaseMs?: number;
  concurrency?: number;
  now?: () => number;
  /** A target's channel, mention and links (monitor/routing.ts), as for the monitor's own incidents. */
  route?: KeeperDeps['route'];
  /** Maintenance windows: a silenced target's alerts are kept quiet like the monitor's. */
  silences?: KeeperDeps['silences'];
}

/** The incident settings of alerts from Alertmanager: alerts: with alertmanager.channel; undefined when neither names a channel. */
export function receiverSettings(config: Config): AlertSettings | undefined {
  const channel = config.alertmanager?.channel ?? config.alerts?.channel;
  if (!channel) return undefined;
  const a = config.alerts;
  return {
    channel,
    intervalSeconds: a?.intervalSeconds ?? 30,
    failuresBeforeAlert: a?.failuresBeforeAlert ?? 2,
    successesBeforeRecovery: a?.successesBeforeRecovery ?? 2,
    remindAfterMinutes: a?.remindAfterMinutes ?? 60,
  };
}

export class AlertmanagerReceiver implements Component {
  readonly name = 'Alertmanager receiver';
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  private readonly intake: AlertIntake;
  private readonly incidents: ExternalIncidents;
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(private readonly deps: ReceiverDeps, private readonly settings: AlertSettings) {
    const owner = `${hostname()}:${process.pid}:am-${randomBytes(4).toString('hex')}`;
    const now = deps.now ?? Date.now;
    const keeper = new IncidentKeeper({ settings, store: deps.store, sink: deps.sink, diagnose: deps.diagnose, findDiagnosis: deps.findDiagnosis, metrics: deps.metrics, log: deps.log, ...(deps.route ? { route: deps.route } : {}), ...(deps.silences ? { silences: deps.silences } : {}) }, owner, deps.leaseMs ?? LEASE_MS, now);
    const monitored = new Set(deps.monitored);
    this.incidents = new ExternalIncidents({
      store: deps.store, keeper, now,
      probed: (t) => monitored.has(t),
      targetInfo: (t) => {
        try {
          return deps.resolve(t).target;
        } catch {
          return undefined;
        }
      },
    });
    this.intake = new AlertIntake({
      incidents: this.incidents, mapper: targetMapper(deps.config, deps.config.alertmanager?.targetLabel), metrics: deps.metrics, log: deps.log, now,
      ...(deps.concurrency !== undefined ? { concurrency: deps.concurrency } : {}),
    });
    this.handler = alertmanagerHandler({ token: deps.token, intake: this.intake, log: deps.log });
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => void this.sweep(), this.settings.intervalSeconds * 1000);
    this.timer.unref();
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.incidents.sweep(SWEEP_MAX);
    } catch (err) {
      this.deps.log.log('warn', 'Alertmanager incidents not brought up to date this time', { error: (err as Error).message });
    } finally {
      this.sweeping = false;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.intake.stop(STOP_MS);
  }
}

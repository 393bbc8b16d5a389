/**
 * Prometheus metrics (GET /metrics). One registry per process, created by
 * main/worker and passed down, so tests can read exact counter values.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type CommandOutcome = 'queued' | 'inline' | 'pending' | 'deduplicated' | 'usage' | 'status' | 'audit' | 'forbidden' | 'refused' | 'busy' | 'silence';

export class Metrics {
  readonly registry = new Registry();
  readonly commands: Counter<'outcome'>;
  readonly jobs: Counter<'outcome'>;
  readonly duration: Histogram<'verdict'>;
  readonly causes: Counter<'cause'>;
  readonly actions: Counter<'kind' | 'outcome'>;
  /** Slack Web API calls that failed after their retries, by method and Slack's error (or `network`). */
  readonly slackFailures: Counter<'method' | 'error'>;
  /** INTERFACES.md section 5: 1 up, 0 down, for monitored targets. */
  readonly targetUp: Gauge<'target'>;
  /** Addition (issue 18): the p99 of the monitor's last PING sample of each target, ms. */
  readonly latencyP99: Gauge<'target'>;
  /** INTERFACES.md section 5: kind alert | recovery | reminder. */
  readonly alerts: Counter<'kind'>;
  /** Monitor probes that timed out while the process's event loop was blocked: neither failures nor successes. */
  readonly probesInconclusive: Counter;
  /** 1 while the last batch of this process had at least 10 % inconclusive probes (monitor/loop-lag.ts). */
  readonly monitorOverloaded: Gauge;
  /** INTERFACES.md section 5: outcome applied | failed | denied | expired | refused; additions: unknown (sent, no reply), guided (approved, steps posted). */
  readonly remediations: Counter<'outcome'>;
  /** POST /alertmanager: each alert of a payload, by what became of it (src/alertmanager/intake.ts). */
  readonly alertmanagerAlerts: Counter<'outcome'>;

  constructor(opts: { defaults?: boolean } = {}) {
    const registers = [this.registry];
    this.commands = new Counter({ name: 'redis_doctor_slack_commands_total', help: 'Slash commands received, by outcome', labelNames: ['outcome'], registers });
    this.jobs = new Counter({ name: 'redis_doctor_jobs_total', help: 'Diagnosis jobs finished, by outcome', labelNames: ['outcome'], registers });
    this.duration = new Histogram({
      name: 'redis_doctor_diagnosis_duration_seconds',
      help: 'Time the engine took for one diagnosis',
      labelNames: ['verdict'],
      // Local targets answer in milliseconds; timeouts and SSH push runs to seconds.
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    this.causes = new Counter({ name: 'redis_doctor_causes_found_total', help: 'Findings reported, by cause id', labelNames: ['cause'], registers });
    this.actions = new Counter({ name: 'redis_doctor_slack_actions_total', help: 'Button clicks, by kind and outcome', labelNames: ['kind', 'outcome'], registers });
    this.slackFailures = new Counter({ name: 'redis_doctor_slack_api_failures_total', help: 'Slack Web API calls that failed after their retries, by method and error', labelNames: ['method', 'error'], registers });
    this.targetUp = new Gauge({ name: 'redis_doctor_target_up', help: 'Monitored targets: 1 up, 0 down', labelNames: ['target'], registers });
    this.latencyP99 = new Gauge({ name: 'redis_doctor_target_latency_p99_ms', help: 'Monitored targets: p99 of the last probe\'s PINGs, one at a time on its connection (ms)', labelNames: ['target'], registers });
    this.probesInconclusive = new Counter({ name: 'redis_doctor_monitor_probes_inconclusive_total', help: 'Monitor probes that timed out while this process\'s event loop was blocked: not counted as failures', registers });
    this.monitorOverloaded = new Gauge({ name: 'redis_doctor_monitor_overloaded', help: 'Monitor: 1 while the latest batch of this process had at least 10 % inconclusive probes (its event loop blocked)', registers });
    this.alerts = new Counter({ name: 'redis_doctor_alerts_total', help: 'Alert messages posted, by kind (alert, recovery, reminder)', labelNames: ['kind'], registers });
    this.remediations = new Counter({ name: 'redis_doctor_remediations_total', help: 'Remediation requests ended, by outcome (applied, failed, denied, expired, refused)', labelNames: ['outcome'], registers });
    this.alertmanagerAlerts = new Counter({ name: 'redis_doctor_alertmanager_alerts_total', help: 'Alerts received on POST /alertmanager, by outcome (opened, joined, duplicate, resolved, unknown-target, dropped, …)', labelNames: ['outcome'], registers });
    if (opts.defaults) collectDefaultMetrics({ register: this.registry, prefix: 'redis_doctor_' });
  }
}

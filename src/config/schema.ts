/**
 * The YAML configuration file of INTERFACES.md section 4, as a zod schema.
 * Validated once at start; every error names the field (`targets[0].url: …`).
 */
import { z } from 'zod';
import { isValidTargetName, MAX_TIMEOUT_MS, MIN_TIMEOUT_MS, parseTarget } from '../engine/index.js';
import { parseCidr } from './cidr.js';
import { SENTINEL_MASTER_RE } from './sentinel-master.js';
import { DOCKER_HOST_RE } from './docker-host.js';

const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
/** Approval requests are kept 30 days (stores/approval-store.ts): none may outlive its record. */
const MAX_APPROVAL_TTL_S = 30 * 24 * 3600;

const TIMEOUT_RANGE = `must be between ${MIN_TIMEOUT_MS} and ${MAX_TIMEOUT_MS} ms`;

/** A probe location's name (INTERFACES.md section 4 `locations`); `local` is the bot's own and always exists. */
export const LOCAL_LOCATION = 'local';
const LOCATION_NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
export function isValidLocationName(name: string): boolean {
  return LOCATION_NAME_RE.test(name);
}
const locationName = z.string().refine(isValidLocationName, 'must match [a-z0-9][a-z0-9-]* (at most 63 characters)');

/** A link shown on a target's alerts and diagnoses (a button): https only, no credentials, bounded. */
const httpsUrl = z.string().max(2000, 'must be at most 2000 characters').superRefine((v, ctx) => {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an https:// URL' });
    return;
  }
  if (u.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'must be an https:// URL' });
  else if (u.username || u.password) ctx.addIssue({ code: 'custom', message: 'must not contain credentials' });
  // Slack link syntax: these would end or split the <url|label> token.
  else if (/[\s<>|]/.test(v)) ctx.addIssue({ code: 'custom', message: 'must not contain spaces or < > |' });
});

const slackChannelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'must be a Slack channel id such as C0123ABCD');

/** Who an alert pages: a user group, `<!here>` or `<!channel>`; nothing else (never free text). */
export const MENTION_RE = /^(?:<!subteam\^S[A-Z0-9]{2,20}(?:\|@?[a-z0-9._-]{1,80})?>|<!here>|<!channel>)$/;

const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id such as U0123ABCD');

export const sshSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(22),
    user: z.string().regex(/^[a-z_][a-z0-9_.-]*$/i, 'must be a user name'),
    privateKeyPath: z.string().min(1).optional(),
    knownHostsPath: z.string().min(1),
    /** Run the commands that need it through `sudo -n`. */
    sudo: z.boolean().default(false),
    /** Bound for the whole SSH phase in ms, as --ssh-timeout (default: the larger of 10000 and 5 × the step timeout). */
    timeoutMs: z.number('must be a whole number of milliseconds').int('must be a whole number of milliseconds').min(MIN_TIMEOUT_MS, TIMEOUT_RANGE).max(MAX_TIMEOUT_MS, TIMEOUT_RANGE).optional(),
  })
  .strict();

export const targetSchema = z
  .object({
    name: z.string().refine(isValidTargetName, 'must match [a-z0-9][a-z0-9-]* (at most 63 characters)'),
    url: z.string().superRefine((url, ctx) => {
      if (!/^rediss?:\/\//.test(url)) {
        ctx.addIssue({ code: 'custom', message: 'must be a redis:// or rediss:// URL' });
        return;
      }
      try {
        const parsed = parseTarget(url);
        if (parsed.kind === 'address' && parsed.password !== undefined) {
          ctx.addIssue({ code: 'custom', message: 'must not contain a password: use passwordEnv' });
        }
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
    passwordEnv: envVarName.optional(),
    user: z.string().min(1).optional(),
    tlsCaPath: z.string().min(1).optional(),
    tlsInsecure: z.boolean().optional(),
    ssh: sshSchema.optional(),
    /** The url is a Sentinel: diagnose the primary it names for this master (a RESP argument, never shell text). */
    sentinelMaster: z.string().regex(SENTINEL_MASTER_RE, 'must be a Sentinel master name of letters, digits and . _ : -').optional(),
    /** The clients are cluster-aware (true) or plain clients (false); unknown when absent (addition). */
    cluster: z.boolean().optional(),
    /** What the clients do: write (a replica fails them) or only read (addition). */
    clientAccess: z.enum(['read', 'write']).optional(),
    /** Where its container state is read (issue #19; as --docker-host) and which container should serve it. */
    docker: z
      .object({
        host: z.string().max(512).regex(DOCKER_HOST_RE, 'must be unix:///path/to/docker.sock or ssh://user@host[:port]').optional(),
        container: z.string().max(128).regex(/^\/?[A-Za-z0-9][A-Za-z0-9_.-]+$/, 'must be a Docker container name ([a-zA-Z0-9][a-zA-Z0-9_.-]+) or id').optional(),
      })
      .strict()
      .optional(),
    /**
     * guided (the default): an approved fix is never run, its steps are posted;
     * automatic: an approved automatic remediation runs its one Redis command.
     */
    fixes: z.enum(['guided', 'automatic']).default('guided'),
    /** Where its diagnoses and monitor probes run (addition, issue #20): probe location names, `local` the bot's own. */
    probeFrom: z.array(locationName).min(1, 'must name at least one location').default([LOCAL_LOCATION]),
    /** Its alerts (and their notes, reminders, recoveries) go to this channel instead of alerts.channel (addition). */
    alertChannel: slackChannelId.optional(),
    /** Shown as buttons on its alerts and diagnoses (addition). */
    runbookUrl: httpsUrl.optional(),
    dashboardUrl: httpsUrl.optional(),
  })
  .strict();

const cidr = z.string().refine((v) => parseCidr(v) !== undefined, 'must be a CIDR such as 10.0.0.0/8');

export const configSchema = z
  .object({
    /** Probe locations: workers that run in other networks (addition, issue #20); `local` is implicit. */
    locations: z.array(z.object({ name: locationName }).strict()).default([]),
    targets: z.array(targetSchema).default([]),
    access: z
      .object({
        diagnose: z.array(z.union([z.literal('*'), slackUserId])).default(['*']),
        approvers: z.array(slackUserId).default([]),
        /** May the person who asked for a fix approve it? */
        selfApproval: z.boolean().default(false),
        /** An approval request expires after this many seconds. */
        approvalTtlSeconds: z.number().int().min(10).max(MAX_APPROVAL_TTL_S).default(900),
        allowAdHocTargets: z.boolean().default(false),
        adHocNetworks: z.array(cidr).default([]),
      })
      .strict()
      .default({ diagnose: ['*'], approvers: [], selfApproval: false, approvalTtlSeconds: 900, allowAdHocTargets: false, adHocNetworks: [] }),
    alerts: z
      .object({
        channel: slackChannelId,
        /** Who an alert's parent message pages (addition): a user group `<!subteam^S…>`, `<!here>` or `<!channel>`. */
        mention: z.string().max(120).regex(MENTION_RE, 'must be a user group mention such as <!subteam^S0ONCALL>, or <!here> or <!channel>').optional(),
        /** Incidents opening within this many seconds with one shared cause or host share one grouped alert (0: never group). */
        groupWaitSeconds: z.number().int().min(0).max(3600).default(0),
        intervalSeconds: z.number().int().min(5).max(86400).default(30),
        targets: z.array(z.string().min(1)).default(['*']),
        /** Consecutive failed probes before an alert. */
        failuresBeforeAlert: z.number().int().min(1).max(100).default(2),
        /** Consecutive good probes before recovery. */
        successesBeforeRecovery: z.number().int().min(1).max(100).default(2),
        /** A reminder in the alert's thread while still down, every this many minutes (0: never). */
        remindAfterMinutes: z.number().int().min(0).max(7 * 24 * 60).default(60),
        /**
         * Hold one idle connection per monitored target and report what reaps it (Redis's `timeout`,
         * a load balancer's or NAT's idle timeout) as idle-connections-closed evidence. Off by
         * default: each held connection counts against the target's maxclients.
         */
        idleWatch: z.boolean().default(false),
        /**
         * Addition (issue 18): a tick whose PING p99 (a few PINGs one at a time on the probe's
         * connection) is above this many ms counts as a failed probe: failuresBeforeAlert of them
         * in a row open an incident (monitor/latency.ts). Absent: latency is measured, never alerted on.
         */
        latencyMs: z.number('must be a number of milliseconds').positive('must be a positive number of milliseconds').max(MAX_TIMEOUT_MS, `must be at most ${MAX_TIMEOUT_MS} ms`).optional(),
      })
      .strict()
      .optional(),
    /** POST /alertmanager (src/alertmanager/): Alertmanager's webhook opens and resolves incidents. */
    alertmanager: z
      .object({
        /** The label whose value names a configured target; without it, the `instance` label's host:port. */
        targetLabel: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,99}$/, 'must be a Prometheus label name such as redis_doctor_target').optional(),
        /** Where its incidents are posted; default alerts.channel. */
        channel: z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'must be a Slack channel id such as C0123ABCD').optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const locations = new Set<string>([LOCAL_LOCATION]);
    config.locations.forEach((l, i) => {
      if (locations.has(l.name)) ctx.addIssue({ code: 'custom', path: ['locations', i, 'name'], message: l.name === LOCAL_LOCATION ? '"local" is the bot\'s own location and always exists: do not list it' : `duplicate location "${l.name}"` });
      locations.add(l.name);
    });
    if (config.alertmanager && !config.alertmanager.channel && !config.alerts) {
      ctx.addIssue({ code: 'custom', path: ['alertmanager', 'channel'], message: 'is required without an alerts: section (it defaults to alerts.channel)' });
    }
    const seen = new Set<string>();
    config.targets.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `duplicate target name "${t.name}"` });
      seen.add(t.name);
      const where = new Set<string>();
      t.probeFrom.forEach((l, j) => {
        if (!locations.has(l)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'probeFrom', j], message: `unknown location "${l}" (not in locations:, and not "local")` });
        else if (where.has(l)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'probeFrom', j], message: `"${l}" is listed twice` });
        where.add(l);
      });
    });
    config.alerts?.targets.forEach((name, i) => {
      if (name !== '*' && !seen.has(name)) {
        ctx.addIssue({ code: 'custom', path: ['alerts', 'targets', i], message: `unknown target "${name}"` });
      }
    });
  });

export type Config = z.infer<typeof configSchema>;
export type TargetConfig = z.infer<typeof targetSchema>;
export type SshConfig = z.infer<typeof sshSchema>;

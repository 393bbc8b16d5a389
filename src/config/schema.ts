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
  })
  .strict();

const cidr = z.string().refine((v) => parseCidr(v) !== undefined, 'must be a CIDR such as 10.0.0.0/8');

export const configSchema = z
  .object({
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
        channel: z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'must be a Slack channel id such as C0123ABCD'),
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
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.targets.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `duplicate target name "${t.name}"` });
      seen.add(t.name);
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

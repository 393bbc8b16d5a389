/**
 * Every message kind the bot posts, rendered from fixed fixtures by the pure
 * renderers: what the golden test compares with test/slack/golden/*.json and
 * what scripts/messages-docs.mjs turns into docs/messages/. Fixed times, ids
 * and users; no clock, no I/O.
 */
import type { Diagnosis, Finding, Remediation } from '../../../src/engine/model/types.js';
import { configSchema } from '../../../src/config/schema.js';
import type { IncidentView } from '../../../src/monitor/alert-sink.js';
import type { ApprovalRequest, Ledger } from '../../../src/stores/approval-store.js';
import type { AuditEntry } from '../../../src/stores/audit-log.js';
import { renderIncident, renderNote } from '../../../src/slack/views/alert.js';
import { renderApprovalRequest, renderNotRun, renderOutcome, renderRequestStatus } from '../../../src/slack/views/approval.js';
import { renderAudit } from '../../../src/slack/views/audit.js';
import { renderHelp, renderStatus } from '../../../src/slack/views/commands.js';
import { renderFinding, renderProgress, renderResult } from '../../../src/slack/views/diagnosis.js';
import type { Rendered } from '../../../src/slack/views/elements.js';
import { renderHome, type HomeView } from '../../../src/slack/views/home.js';
import { withoutButtons } from '../../../src/slack/views/stale.js';
import { renderSteps } from '../../../src/slack/views/steps.js';
import { renderGroup } from '../../../src/slack/views/alert-group.js';
import { renderSilences, renderSilenceSet } from '../../../src/slack/views/silences.js';
import { renderLocationHeader, renderLocationsResult, renderNoWorker } from '../../../src/slack/views/locations.js';

export const NOW = Date.parse('2026-12-07T03:00:00.000Z');
const T = (minAgo: number) => NOW - minAgo * 60_000;
const iso = (minAgo: number) => new Date(T(minAgo)).toISOString();

const target = { input: 'cache', name: 'cache', host: '10.0.0.5', port: 6379, tls: false };

const raise: Remediation = {
  id: 'raise-maxmemory', title: 'Raise maxmemory to 3mb', risk: 'medium', mode: 'automatic',
  steps: ['redis-cli -h 10.0.0.5 -p 6379 CONFIG SET maxmemory 3mb', 'Check: redis-cli INFO memory | grep used_memory_human'],
  redisCommand: ['CONFIG', 'SET', 'maxmemory', '3mb'],
};
const evict: Remediation = {
  id: 'set-eviction-policy', title: 'Evict least recently used keys (allkeys-lru)', risk: 'high', mode: 'automatic',
  steps: ['redis-cli CONFIG SET maxmemory-policy allkeys-lru'], redisCommand: ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'],
};
const findKeys: Remediation = {
  id: 'find-big-keys', title: 'Find the keys that use the memory', risk: 'low', mode: 'guided',
  steps: ['redis-cli -h 10.0.0.5 --bigkeys', 'redis-cli -h 10.0.0.5 MEMORY USAGE *some_key* (a `*` or _ stays as typed)'],
};

const memory: Finding = {
  cause: 'memory-limit-reached', severity: 'critical', confidence: 'confirmed', title: 'Redis is at its memory limit and refuses writes (noeviction)',
  evidence: ['-OOM command not allowed when used memory > \'maxmemory\'.', 'used_memory:3145728', 'maxmemory:2097152', 'maxmemory_policy:noeviction'],
  remediations: [raise, evict, findKeys],
};
const refused: Finding = {
  cause: 'connection-refused', severity: 'critical', confidence: 'confirmed', title: 'Nothing listens on 10.0.0.5:6379: the connection is refused',
  evidence: ['connect ECONNREFUSED 10.0.0.5:6379'],
  remediations: [{ id: 'start-redis', title: 'Start the Redis server on 10.0.0.5', risk: 'low', mode: 'guided', steps: ['systemctl status redis-server', 'systemctl start redis-server'] }],
};
const wrongPort: Finding = {
  cause: 'wrong-port', severity: 'critical', confidence: 'possible',
  title: 'Nothing listens on port 6379; another Redis answers on port 6380 — a wrong port, or this instance is down',
  evidence: ['TCP connect to 10.0.0.5:6379 was refused (ECONNREFUSED)', 'Redis answers on 10.0.0.5:6380: +PONG'],
  remediations: [], details: { suggestedPort: 6380, historyAgainst: iso(12) },
};
const slow: Finding = {
  cause: 'slow-commands', severity: 'warning', confidence: 'likely', title: 'KEYS * blocked the server for 1.2 s',
  evidence: ['SLOWLOG: KEYS * (1204 ms)'], remediations: [],
};

function diagnosis(findings: Finding[], verdict: Diagnosis['verdict']): Diagnosis {
  return {
    target, verdict, primaryCause: findings[0]?.cause ?? null, findings,
    checks: [
      { id: 'dns', status: 'pass', durationMs: 1, detail: 'literal address' },
      { id: 'tcp-connect', status: verdict === 'unreachable' ? 'fail' : 'pass', durationMs: 2, detail: verdict === 'unreachable' ? 'ECONNREFUSED' : 'connected' },
      { id: 'redis-handshake', status: verdict === 'unreachable' ? 'skip' : 'pass', durationMs: 3, detail: 'PONG' },
      { id: 'latency-sample', status: verdict === 'unreachable' ? 'skip' : 'pass', durationMs: 50, detail: 'p50 0.2 ms, p99 0.9 ms, max 1.4 ms' },
    ],
    durationMs: 412, startedAt: iso(20), version: '0.1.0',
  };
}

const request: ApprovalRequest = {
  id: 'rK2m9Xq4T7', diagnosisId: 'd-42', target, cause: 'memory-limit-reached', remediation: raise,
  requestedBy: 'U0ALICE', channel: 'C0OPS', threadTs: '1765076400.000100', createdAt: iso(15), expiresAt: iso(0),
};
const run = { plan: 'run' as const, argv: raise.redisCommand!, hash: 'h' };
const decided: Ledger = { request, state: 'applied', plan: 'run', decidedBy: 'U0BOSS', decidedAt: iso(14), sent: true, startedAt: iso(14), finishedAt: iso(14), reply: 'OK' };

const incident: IncidentView = {
  id: 'cache-lq3x0', ref: 'i.cache-lq3x0', target: 'cache', targetInfo: target, reason: 'down', cause: 'connection-refused',
  title: refused.title, firstFailureAt: T(12), firstCode: 'ECONNREFUSED', firstError: 'connect ECONNREFUSED 10.0.0.5:6379',
  lastOkAt: T(12.1), openedAt: T(11), failuresBeforeAlert: 2, intervalSeconds: 30,
};

const audit: AuditEntry[] = [
  { id: '1-0', record: { at: iso(14), event: 'applied', by: 'worker:bot-1:42', requestId: request.id, diagnosisId: 'd-42', target: 'cache', cause: 'memory-limit-reached', remediationId: raise.id, risk: 'medium', mode: 'automatic', plan: 'run', command: 'CONFIG SET maxmemory 3mb', requestedBy: 'U0ALICE', requestedAt: iso(15), decidedBy: 'U0BOSS', decidedAt: iso(14), outcome: 'applied', reply: 'OK', channel: 'C0OPS' } },
  { id: '2-0', record: { at: iso(5), event: 'steps-shown', by: 'U0CAROL', requestId: '', diagnosisId: 'd-42', target: 'cache', cause: 'memory-limit-reached', remediationId: findKeys.id, risk: 'low', mode: 'guided', plan: 'steps', requestedBy: 'U0CAROL', requestedAt: iso(5), outcome: 'viewed', channel: 'C0OPS' } },
];

const config = configSchema.parse({
  targets: [{ name: 'cache', url: 'redis://10.0.0.5:6379' }, { name: 'sessions', url: 'redis://10.0.0.6:6380' }],
  access: { approvers: ['U0BOSS'] },
});

export type Kind = { name: string; what: string; rendered: Rendered | HomeView };

/** Each message kind, in the order docs/messages/README.md lists them. */
export function kinds(): Kind[] {
  const degraded = diagnosis([slow], 'degraded');
  const memoryDiag = diagnosis([memory], 'degraded');
  return [
    { name: 'diagnosis-progress', what: 'The parent message while checks run: the step running now and the time so far.', rendered: renderProgress({ target, requestedBy: 'U0ALICE', steps: [{ step: 'dns', phase: 'done' }, { step: 'tcp', phase: 'done' }, { step: 'tls', phase: 'start' }], elapsedMs: 3200 }) },
    { name: 'diagnosis-healthy', what: 'A healthy verdict: no findings, no checks row.', rendered: renderResult(diagnosis([], 'healthy'), { requestedBy: 'U0ALICE' }) },
    { name: 'diagnosis-degraded', what: 'A degraded verdict, with the checks row.', rendered: renderResult(degraded, { requestedBy: 'U0ALICE' }) },
    { name: 'diagnosis-unreachable', what: 'An unreachable verdict, with the checks row showing what failed.', rendered: renderResult(diagnosis([refused], 'unreachable'), { requestedBy: 'U0ALICE' }) },
    { name: 'diagnosis-fixed', what: 'The parent edited after a verified fix.', rendered: renderResult(memoryDiag, { requestedBy: 'U0ALICE', fix: { by: 'U0BOSS', remediation: raise.title, cause: 'memory-limit-reached', outcome: 'fixed' } }) },
    { name: 'diagnosis-fix-failed', what: 'The parent edited after a fix that failed.', rendered: renderResult(memoryDiag, { fix: { by: 'U0BOSS', remediation: raise.title, cause: 'memory-limit-reached', outcome: 'failed', detail: 'not sent: connect ETIMEDOUT 10.0.0.5:6379' } }) },
    { name: 'finding', what: 'A finding in the thread: evidence as code, a button per fix (approval for what runs, steps for guided ones).', rendered: renderFinding(memory, 'd-42', { target: 'cache' }) },
    { name: 'finding-unlikely', what: 'A possible finding the monitor\'s history argues against: one line, no buttons.', rendered: renderFinding(wrongPort, 'm-0123456789abcdef01234567', { target: 'cache' }) },
    { name: 'finding-stale', what: 'A finding in a recovered incident\'s thread: its buttons taken away, its text kept.', rendered: withoutButtons(renderFinding(refused, 'm-0123456789abcdef01234567', { target: 'cache' }), T(1)) },
    { name: 'approval-request', what: 'An approval request: the exact command, who may approve, when it expires.', rendered: renderApprovalRequest(request, { approvers: ['U0BOSS', 'U0CAROL'], selfApproval: false, plan: run }) },
    { name: 'approval-approved', what: 'The request once run: who approved, what ran, its reply.', rendered: renderRequestStatus(decided) },
    { name: 'approval-denied', what: 'The request denied.', rendered: renderRequestStatus({ request, state: 'denied', plan: 'run', decidedBy: 'U0BOSS', decidedAt: iso(14) }) },
    { name: 'approval-expired', what: 'The request expired without a decision.', rendered: renderRequestStatus({ request, state: 'expired', plan: 'run', reason: 'no decision before the request expired' }) },
    { name: 'remediation-outcome', what: 'The outcome reply in the thread, before the verifying re-diagnosis.', rendered: renderOutcome(decided, true) },
    { name: 'remediation-not-run', what: 'An approved fix of a target probed from another location whose worker is dead: nothing sent, the approval stands, a button runs it again.', rendered: renderNotRun({ request, state: 'approved', plan: 'run', decidedBy: 'U0BOSS', decidedAt: iso(14) }, 'no worker is serving eu-vpc (last seen 12 min ago)') },
    { name: 'steps', what: 'A guided fix\'s steps, posted at once as code; nothing run.', rendered: renderSteps({ target, cause: 'memory-limit-reached', remediation: findKeys, by: 'U0CAROL', recheck: 'd.d-42', blockId: `steps:${findKeys.id}` }) },
    { name: 'alert', what: 'An alert: the target down, the cause, since when, what changed.', rendered: renderIncident(incident) },
    { name: 'alert-acked', what: 'The alert acknowledged: who, in the headline.', rendered: renderIncident({ ...incident, ackedBy: 'U0BOB' }) },
    { name: 'alert-reminder', what: 'A reminder in the thread while nobody acked.', rendered: renderNote({ kind: 'reminder', downForMs: 30 * 60_000, remindAfterMinutes: 30 }, incident) },
    { name: 'ack', what: 'The ack note in the thread.', rendered: renderNote({ kind: 'acked', by: 'U0BOB' }, incident) },
    { name: 'snooze', what: 'The snooze note in the thread.', rendered: renderNote({ kind: 'snoozed', by: 'U0ALICE', until: T(-60), label: '1h' }, incident) },
    { name: 'recovery', what: 'The recovery reply (broadcast to the channel).', rendered: renderNote({ kind: 'recovered', resolvedAt: T(1), downtimeMs: 11 * 60_000, successes: 2 }, incident) },
    { name: 'alert-routed', what: 'An alert for a target with alertChannel, alerts.mention and runbook/dashboard links: the page first, links as buttons.', rendered: renderIncident({ ...incident, mention: '<!subteam^S0ONCALL|@oncall>', runbookUrl: 'https://wiki.example/redis-runbook', dashboardUrl: 'https://grafana.example/d/redis' }) },
    { name: 'alert-slow', what: 'A latency incident (alerts.latencyMs): slow, not down, with the p99 and the threshold.', rendered: renderIncident({ ...incident, firstCode: 'SLOW', cause: 'slow-commands', title: 'KEYS * blocked the server for 1.2 s', firstError: 'slow: p99 212 ms over 50 ms (alerts.latencyMs)' }) },
    {
      name: 'alert-group', what: 'A grouped alert (alerts.groupWaitSeconds): one message for targets down together; each target\'s own message is in its thread.',
      rendered: renderGroup({ id: 'g-1', cause: 'connection-refused', host: '10.0.0.5', mention: '<!here>', members: [
        { ...incident, target: 'cache', inGroup: true },
        { ...incident, id: 'sessions-1', ref: 'i.sessions-1', target: 'sessions', targetInfo: { ...target, input: 'sessions', name: 'sessions', port: 6380 }, inGroup: true, ackedBy: 'U0BOB' },
        { ...incident, id: 'queue-1', ref: 'i.queue-1', target: 'queue', targetInfo: { ...target, input: 'queue', name: 'queue', port: 6381 }, inGroup: true, resolvedAt: T(1), downtimeMs: 10 * 60_000 },
      ] }),
    },
    { name: 'silence-set', what: '`/redis-diagnose silence cache 2h deploy` (approvers): the maintenance window, in the channel.', rendered: renderSilenceSet({ target: 'cache', by: 'U0BOSS', at: T(0), until: T(-120), reason: 'deploy of 7.2' }, false, NOW) },
    { name: 'silences', what: '`/redis-diagnose silences`: the windows in force.', rendered: renderSilences([{ target: 'cache', by: 'U0BOSS', at: T(30), until: T(-90), reason: 'deploy of 7.2' }, { target: '*', by: 'U0BOSS', at: T(5), until: T(-25) }], NOW) },
    {
      name: 'locations-result', what: '`/redis-diagnose cache from all`: each location\'s verdict and where they disagree.',
      rendered: renderLocationsResult('cache', [
        { ok: true, diagnosis: { ...diagnosis([], 'healthy'), location: 'local' } },
        { ok: true, diagnosis: { ...diagnosis([refused], 'unreachable'), location: 'eu-vpc' } },
        { ok: false, location: 'dc-west', reason: 'this worker\'s config has no target cache' },
      ], [{ cause: 'blocked-from-location', severity: 'critical', confidence: 'likely', title: 'cache answers from local but refuses eu-vpc: a firewall or security group between eu-vpc and 10.0.0.5:6379', evidence: [], remediations: [] }], 'U0ALICE'),
    },
    { name: 'location-header', what: 'The thread reply that opens one location\'s findings.', rendered: renderLocationHeader({ ok: true, diagnosis: { ...diagnosis([refused], 'unreachable'), location: 'eu-vpc' } }) },
    { name: 'location-no-worker', what: 'A location with no live worker: answered at once, nothing queued.', rendered: renderNoWorker('no worker is serving eu-vpc (last seen 12 min ago)') },
    { name: 'alert-diagnosed-at-location', what: 'An alert for a target down from one location only: its diagnosis ran there, and the alert says from where.', rendered: renderIncident({ ...incident, firstError: 'down from dc-west (ECONNREFUSED: connect ECONNREFUSED 10.0.0.5:6379); up from local, eu-vpc', diagnosedFrom: 'dc-west' }) },
    { name: 'alert-resolved', what: 'The alert parent once resolved.', rendered: renderIncident({ ...incident, ackedBy: 'U0BOB', resolvedAt: T(1), downtimeMs: 11 * 60_000 }) },
    {
      name: 'app-home', what: 'The App Home tab (views.publish).',
      rendered: renderHome({
        targets: [
          { name: 'cache', url: 'redis://10.0.0.5:6379', monitored: true, monitor: { status: 'down', since: T(11), cause: 'connection-refused' }, last: { verdict: 'unreachable', primaryCause: 'connection-refused', at: iso(11), diagnosisId: 'm-1' } },
          { name: 'sessions', url: 'redis://10.0.0.6:6380', monitored: true, monitor: { status: 'up', since: T(600) }, last: { verdict: 'healthy', primaryCause: null, at: iso(90), diagnosisId: 'd-7' } },
        ],
        incidents: [{ target: 'cache', since: T(12), cause: 'connection-refused', title: refused.title, ackedBy: 'U0BOB', ackedAt: T(8), channel: 'C0ALERTS', ts: '1.1' }],
        diagnoses: [{ target: 'cache', verdict: 'unreachable', primaryCause: 'connection-refused', at: iso(11), diagnosisId: 'm-1' }, { target: 'sessions', verdict: 'healthy', primaryCause: null, at: iso(90), diagnosisId: 'd-7' }],
        sections: [{ id: 'silences', title: 'Active silences', lines: [`*sessions* until <!date^${Math.floor((NOW + 4 * 3600_000) / 1000)}^{date_short_pretty} {time_secs}|2026-12-07T07:00:00Z> by <@U0ALICE>: failover drill`] }],
        shared: true,
      }, NOW),
    },
    {
      name: 'status', what: '`/redis-diagnose status` (ephemeral).',
      rendered: renderStatus(config, new Map([['cache', { verdict: 'unreachable', primaryCause: 'connection-refused', at: iso(11), diagnosisId: 'm-1' }]]), true, NOW,
        { targets: new Set(['cache', 'sessions']), states: new Map([['cache', { status: 'down', since: T(11), cause: 'connection-refused' }]]) }),
    },
    { name: 'help', what: '`/redis-diagnose help` (ephemeral).', rendered: renderHelp('/redis-diagnose', config) },
    { name: 'audit', what: '`/redis-diagnose audit` (approvers, ephemeral).', rendered: renderAudit(audit, 25) },
  ];
}

/**
 * Hostile text from the network in every place a renderer takes it: mentions,
 * links, formatting characters, a bidi override, backticks.
 */
export const HOSTILE = 'x <!channel> <@U0EVE> <https://evil.example|click> *b* _i_ ~s~ `c` \u202eevil\u202c &amp;';

export function hostileKinds(): Rendered[] {
  const f: Finding = { ...memory, title: HOSTILE, evidence: [HOSTILE], remediations: [{ ...raise, title: HOSTILE }, { ...findKeys, title: HOSTILE, steps: [HOSTILE] }] };
  const d = { ...diagnosis([f], 'degraded'), checks: [{ id: 'redis-handshake', status: 'fail' as const, durationMs: 1, detail: HOSTILE }] };
  const inc: IncidentView = { ...incident, target: HOSTILE, title: HOSTILE, firstError: HOSTILE };
  const req: ApprovalRequest = { ...request, remediation: { ...raise, title: HOSTILE } };
  return [
    renderResult(d, { note: HOSTILE, heading: HOSTILE }),
    renderResult(d, { fix: { remediation: HOSTILE, cause: 'memory-limit-reached', outcome: 'not-fixed', detail: HOSTILE } }),
    renderFinding(f, 'd-1', { target: HOSTILE }),
    renderFinding({ ...wrongPort, title: HOSTILE }, 'd-1', { target: HOSTILE }),
    renderProgress({ target: { ...target, name: HOSTILE }, steps: [{ step: HOSTILE, phase: 'start' }], note: HOSTILE, elapsedMs: 1000 }),
    renderIncident(inc), renderIncident({ ...inc, ackedBy: HOSTILE }),
    renderNote({ kind: 'recovered', resolvedAt: T(1), downtimeMs: 1000, successes: 2 }, inc),
    renderNote({ kind: 'reminder', downForMs: 1000, remindAfterMinutes: 30 }, inc),
    renderNote({ kind: 'snoozed', by: 'U0ALICE', until: T(-60), label: HOSTILE }, inc),
    renderApprovalRequest(req, { approvers: ['U0BOSS'], selfApproval: false, plan: run }),
    renderRequestStatus({ ...decided, request: req, reply: HOSTILE, reason: HOSTILE }),
    renderSteps({ target, cause: 'memory-limit-reached', remediation: { ...findKeys, title: HOSTILE, steps: [HOSTILE] }, by: 'U0CAROL', recheck: 'd.d-42', blockId: 'steps:x' }),
    renderIncident({ ...inc, diagnosedFrom: HOSTILE }),
    renderNotRun({ request: req, state: 'approved', plan: 'run', decidedBy: 'U0BOSS' }, HOSTILE),
  ];
}

export function hostileHome(): HomeView {
  return renderHome({
    targets: [{ name: HOSTILE, url: 'redis://10.0.0.5:6379', monitored: true, monitor: { status: 'down', since: T(1), cause: HOSTILE } }],
    incidents: [{ target: HOSTILE, since: T(1), cause: HOSTILE, title: HOSTILE, ackedBy: HOSTILE, channel: HOSTILE }],
    diagnoses: [{ target: HOSTILE, verdict: 'degraded', primaryCause: HOSTILE as 'wrong-port', at: HOSTILE, diagnosisId: 'x' }],
    sections: [], shared: false,
  }, NOW);
}

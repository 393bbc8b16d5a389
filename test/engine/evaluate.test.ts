import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/engine/pipeline/evaluate.js';
import { RULES } from '../../src/engine/rules/index.js';
import { CAUSE_IDS } from '../../src/engine/model/causes.js';
import { defineRule } from '../../src/engine/rules/helpers/define.js';
import type { Finding, Observations, Rule } from '../../src/engine/model/types.js';
import { allFail, allText, err, healthy, INFO_COMMAND, passwordWithoutRequirepass, refused, session, TEXT, withInfo } from './fixtures.js';
import { SCENARIOS } from './scenarios.js';
import { sentinelObs } from './topology-fixtures.js';

const MB = 1024 * 1024;
const causes = (findings: Finding[]) => findings.map((f) => f.cause);

describe('evaluate: verdicts', () => {
  it('a healthy server: no findings, verdict healthy, primaryCause null', () => {
    expect(evaluate(healthy())).toEqual({ findings: [], primaryCause: null, verdict: 'healthy' });
  });

  const UNREACHABLE = [
    'dns-resolution-failed',
    'connection-refused',
    'connection-timeout',
    'host-unreachable',
    'tls-mismatch',
    'tls-certificate-rejected',
    'not-redis',
    'wrong-port',
    'bind-loopback-only',
    'protected-mode',
    'auth-required',
    'auth-failed',
    'acl-denied',
    'max-clients-reached',
    'loading-dataset',
    'busy-script',
    'persistence-failing',
    'cluster-down',
    'cluster-client-required',
    'announced-address-unreachable',
    'sentinel-stale-master',
    'wrong-instance',
  ] as const;
  for (const cause of UNREACHABLE) {
    it(`${cause}: unreachable, and it is the primary cause`, () => {
      const result = evaluate(SCENARIOS[cause]!());
      expect(result.verdict).toBe('unreachable');
      expect(result.primaryCause).toBe(cause);
      expect(result.findings[0]?.cause).toBe(cause);
    });
  }

  for (const cause of ['memory-limit-reached', 'replica-link-down', 'fd-limit-too-low', 'write-to-replica', 'not-enough-replicas'] as const) {
    it(`${cause}: PING works, so degraded`, () => {
      const result = evaluate(SCENARIOS[cause]!());
      expect(result.verdict).toBe('degraded');
      expect(result.primaryCause).toBe(cause);
    });
  }

  it('a password sent to a server without one is a warning (wrong-instance, possible): degraded, not unreachable', () => {
    const obs = passwordWithoutRequirepass();
    expect(evaluate(obs)).toMatchObject({ verdict: 'degraded', primaryCause: 'wrong-instance' });
    expect(evaluate(obs).findings.map((f) => [f.cause, f.severity, f.confidence])).toEqual([['wrong-instance', 'warning', 'possible']]);
  });

  it('info findings keep a server healthy, with primaryCause null', () => {
    const obs = healthy();
    obs.resp = session([
      ['PING', { kind: 'status', text: 'PONG' }],
      [INFO_COMMAND, err(TEXT.nopermInfo)],
    ]);
    delete obs.info;
    const result = evaluate(obs);
    expect(result.verdict).toBe('healthy');
    expect(result.primaryCause).toBeNull();
    expect(causes(result.findings)).toEqual(['acl-denied']);
    expect(result.findings[0]?.severity).toBe('info');
  });

  it('a PING that failed for no known reason is unreachable, with a finding that quotes the reply', () => {
    const obs = healthy();
    obs.resp = session([['PING', err("ERR unknown command 'PING', with args beginning with: ")]]);
    const result = evaluate(obs);
    expect(result).toMatchObject({ primaryCause: 'unexpected-reply', verdict: 'unreachable' });
    expect(result.findings.map((f) => [f.cause, f.severity, f.confidence])).toEqual([['unexpected-reply', 'critical', 'possible']]);
    expect(result.findings[0]?.evidence).toEqual(["PING → -ERR unknown command 'PING', with args beginning with:"]);
  });

  it('the fallback stays silent when another rule explains the failure, and when the server is healthy', () => {
    expect(evaluate(SCENARIOS['auth-required']!()).findings.map((f) => f.cause)).toEqual(['auth-required']);
    expect(evaluate(healthy()).findings).toEqual([]);
  });

  it('a critical transport finding overrides a plaintext +PONG (TLS client, plaintext port)', () => {
    const obs = healthy();
    obs.target.tls = true;
    obs.tls = { ok: false, durationMs: 2000, code: 'ETIMEDOUT', message: 'no TLS handshake answer within 2000 ms (no bytes)' };
    obs.plaintextPing = { redis: true, reply: '+PONG', durationMs: 1 };
    const result = evaluate(obs);
    expect(result.verdict).toBe('unreachable');
    expect(causes(result.findings)).toEqual(['tls-mismatch']);
  });
});

describe('evaluate: TLS certificates', () => {
  it('a server that requires a client certificate: unreachable, tls-certificate-rejected, nothing else', () => {
    const obs = healthy();
    obs.target.tls = true;
    obs.tls = { ok: true, durationMs: 4, protocol: 'TLSv1.3', authorized: true, alertAfterHandshake: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' };
    obs.resp = session([['PING', undefined], [INFO_COMMAND, undefined]], { closedByServer: true, noReply: true, socketError: 'ECONNRESET' });
    delete obs.info;
    const result = evaluate(obs);
    expect(result).toMatchObject({ verdict: 'unreachable', primaryCause: 'tls-certificate-rejected' });
    expect(causes(result.findings)).toEqual(['tls-certificate-rejected']);
  });

  it('a certificate that --tls-insecure let through keeps a working server healthy (info finding)', () => {
    const obs = healthy();
    obs.target.tls = true;
    obs.tls = { ok: true, durationMs: 2, protocol: 'TLSv1.3', authorized: false, authorizationError: 'CERT_HAS_EXPIRED' };
    const result = evaluate(obs);
    expect(result).toMatchObject({ verdict: 'healthy', primaryCause: null });
    expect(result.findings.map((f) => [f.cause, f.severity])).toEqual([['tls-certificate-rejected', 'info']]);
  });
});

describe('evaluate: supersession and order', () => {
  it('wrong-port replaces the generic connection-refused', () => {
    expect(causes(evaluate(SCENARIOS['wrong-port']!()).findings)).toEqual(['wrong-port']);
  });

  it('a possible finding neither outranks nor explains away a confirmed one: network-only wrong-port follows connection-refused', () => {
    const obs = refused();
    obs.neighbours = { scanned: [6378, 6380], found: [{ port: 6380, redis: true, reply: '+PONG' }], durationMs: 3, truncated: false };
    const result = evaluate(obs);
    expect(result.findings.map((f) => [f.cause, f.confidence])).toEqual([['connection-refused', 'confirmed'], ['wrong-port', 'possible']]);
    expect(result.primaryCause).toBe('connection-refused');
  });

  it('bind-loopback-only replaces connection-refused and ranks before wrong-port', () => {
    const obs = refused();
    obs.loopback = { address: '127.0.0.1', port: 6379, redis: true, reply: '+PONG', durationMs: 1 };
    obs.neighbours = { scanned: [6380], found: [{ port: 6380, redis: true, reply: '+PONG' }], durationMs: 2, truncated: false };
    expect(causes(evaluate(obs).findings)).toEqual(['bind-loopback-only', 'wrong-port']);
  });

  it('auth-failed replaces the -NOAUTH that follows a failed AUTH', () => {
    expect(causes(evaluate(SCENARIOS['auth-failed']!()).findings)).toEqual(['auth-failed']);
  });

  it('tls-mismatch replaces connection-refused for a TLS port that resets plaintext', () => {
    expect(causes(evaluate(SCENARIOS['tls-mismatch']!()).findings)).toEqual(['tls-mismatch']);
  });

  it('orders by severity first: max clients (critical) before the fd limit (warning) that explains it', () => {
    const obs = withInfo(healthy(), { clients: { connected_clients: '992', maxclients: '992' } });
    obs.resp = session([['PING', undefined]], { greeting: err(TEXT.maxClients), closedByServer: true });
    const result = evaluate(obs);
    expect(causes(result.findings)).toEqual(['max-clients-reached', 'fd-limit-too-low']);
    expect(result.verdict).toBe('unreachable');
  });

  it('orders equal severities by rank: MISCONF before the memory limit', () => {
    const obs = withInfo(healthy(), {
      memory: { used_memory: String(101 * MB), maxmemory: String(100 * MB), maxmemory_policy: 'noeviction' },
      persistence: { rdb_last_bgsave_status: 'err' },
    });
    obs.resp = session([
      ['PING', err(TEXT.misconf)],
      [INFO_COMMAND, { kind: 'string', text: '# Memory' }],
    ]);
    const result = evaluate(obs);
    expect(causes(result.findings)).toEqual(['persistence-failing', 'memory-limit-reached']);
    expect(result.primaryCause).toBe('persistence-failing');
  });

  it('sorts by severity, then by position in the rules list (the ranking), and applies supersedes', () => {
    const make = (cause: Finding['cause'], severity: Finding['severity'], supersedes?: Finding['cause'][]): Rule => defineRule({
      cause,
      impact: 'unusable',
      ...(supersedes ? { supersedes } : {}),
      evaluate: () => ({ severity, confidence: 'confirmed', title: cause, evidence: [], remediations: [] }),
    });
    // Listed most specific first; severity still comes before the ranking.
    const rules = [
      make('acl-denied', 'info'),
      make('fd-limit-too-low', 'warning'),
      make('connection-refused', 'critical'),
      make('wrong-port', 'critical', ['connection-refused']),
      make('max-clients-reached', 'critical'),
      make('busy-script', 'critical'),
      make('loading-dataset', 'critical'),
    ];
    expect(causes(evaluate(healthy(), rules).findings)).toEqual([
      'wrong-port',
      'max-clients-reached',
      'busy-script',
      'loading-dataset',
      'fd-limit-too-low',
      'acl-denied',
    ]);
    // The same rules in another order rank the other way.
    expect(causes(evaluate(healthy(), [...rules].reverse()).findings).slice(0, 3)).toEqual(['loading-dataset', 'busy-script', 'max-clients-reached']);
  });

  it('a critical finding of a degrading cause leaves a server that answers PING degraded; of an unusable one, unreachable', () => {
    const rule = (impact: 'unusable' | 'degrading') => defineRule({
      cause: 'memory-limit-reached', impact, evaluate: () => ({ severity: 'critical', confidence: 'confirmed', title: 't', evidence: [], remediations: [] }),
    });
    expect(evaluate(healthy(), [rule('degrading')]).verdict).toBe('degraded');
    expect(evaluate(healthy(), [rule('unusable')]).verdict).toBe('unreachable');
  });

  it('a rule declares its cause once: the finding carries it', () => {
    for (const rule of RULES) {
      const obs = SCENARIOS[rule.cause]?.();
      if (obs) expect(rule.evaluate(obs)?.cause, rule.cause).toBe(rule.cause);
    }
  });
});

describe('evaluate: the primary a Sentinel target names', () => {
  it('its findings join the target\'s, saying which address was followed; it decides the verdict too', () => {
    const obs = sentinelObs();
    const primary = obs.topology!.primary!.observations;
    primary.resp = allFail(TEXT.noauth);
    delete primary.info;
    const result = evaluate(obs);
    expect(result).toMatchObject({ verdict: 'unreachable', primaryCause: 'auth-required' });
    const f = result.findings[0]!;
    expect(f.title).toMatch(/^Primary 10\.0\.0\.5:6379 of "mymaster" \(named by Sentinel 10\.0\.0\.9:26379\): /);
    expect(f.evidence[0]).toBe('followed: Sentinel 10.0.0.9:26379 names 10.0.0.5:6379 as the primary of "mymaster"');
    expect(f.details?.['followed']).toBe('10.0.0.5:6379');
    // Its remediations are about the primary, not the Sentinel.
    expect(f.remediations[0]?.steps.join('\n')).toContain('redis-cli -h 10.0.0.5 -p 6379');
  });

  it('a followed primary that does not answer PING, for no reason a rule names, still makes the run unreachable', () => {
    const obs = sentinelObs();
    obs.topology!.primary!.observations.resp = session([['PING', err("ERR unknown command 'PING', with args beginning with: ")]]);
    expect(evaluate(obs)).toMatchObject({ verdict: 'unreachable' });
    expect(evaluate(sentinelObs())).toEqual({ findings: [], primaryCause: null, verdict: 'healthy' });
  });
});

describe('evaluate: the rule set', () => {
  it('the cause ids and the rules are the same set, both ways: one rule per cause, no rule without an id', () => {
    const ids = RULES.map((r) => r.cause);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...CAUSE_IDS].sort());
  });

  it('every scenario is named for a cause that has a rule', () => {
    const ids = RULES.map((r) => r.cause as string);
    for (const name of Object.keys(SCENARIOS).filter((n) => n !== 'healthy')) expect(ids).toContain(name);
  });

  it('no supersedes cycle: a rule never supersedes one that supersedes it', () => {
    for (const a of RULES) for (const b of RULES) {
      if (a.supersedes?.includes(b.cause)) expect(b.supersedes ?? []).not.toContain(a.cause);
    }
  });

  it('every scenario fires its own rule, and every automatic remediation carries its command', () => {
    for (const [name, build] of Object.entries(SCENARIOS)) {
      const { findings } = evaluate(build());
      if (name !== 'healthy') expect(causes(findings), name).toContain(name);
      for (const r of findings.flatMap((f) => f.remediations)) {
        expect(r.id).toMatch(/^[a-z0-9-]+$/);
        expect(r.steps.length).toBeGreaterThan(0);
        if (r.mode === 'automatic') expect(r.redisCommand?.length, r.id).toBeGreaterThan(0);
        else expect(r.redisCommand, r.id).toBeUndefined();
      }
    }
  });
});

describe('evaluate: secrets', () => {
  const PASSWORD = 'Tr0ub4dor&3-s3cret';

  function withCredentials(obs: Observations): Observations {
    obs.client = { ...obs.client, authProvided: true, user: 'app' };
    // Even a caller that forgot to redact the input must not leak it through a finding.
    obs.target = { ...obs.target, input: `redis://app:${PASSWORD}@${obs.target.host}:${obs.target.port}`, user: 'app' };
    return obs;
  }

  it('no finding, evidence or remediation step contains the password; steps use placeholders', () => {
    let stepsSeen = 0;
    for (const [name, build] of Object.entries(SCENARIOS)) {
      const { findings } = evaluate(withCredentials(build()));
      expect(allText(findings), name).not.toContain(PASSWORD);
      expect(allText(findings), name).not.toContain(encodeURIComponent(PASSWORD));
      for (const step of findings.flatMap((f) => f.remediations.flatMap((r) => r.steps))) {
        stepsSeen++;
        // redis-cli -a <password> would put a password on a command line.
        expect(step, name).not.toMatch(/redis-cli[^;]* -a /);
        expect(step, name).not.toMatch(/rediss?:\/\/[^\s:@/]*:(?!<password>@)[^\s@/]+@/);
      }
    }
    expect(stepsSeen).toBeGreaterThan(50);
  });

  it('credentialled redis-cli lines prompt with --askpass', () => {
    const { findings } = evaluate(withCredentials(SCENARIOS['busy-script']!()));
    expect(findings[0]?.remediations[0]?.steps[0]).toBe('redis-cli -h 10.0.0.5 -p 6379 --user app --askpass SCRIPT KILL — Redis accepts it while busy and stops a script that has not written yet.');
  });
});

describe('a remediation listed once per finding', () => {
  it('the same id twice in one finding: the first stays', () => {
    const twice = defineRule({
      cause: 'server-not-running',
      impact: 'unusable',
      evaluate: () => {
        const r = { id: 'start-redis', title: 'Start Redis', risk: 'low' as const, mode: 'guided' as const, steps: ['start it'] };
        return { severity: 'critical', confidence: 'confirmed', title: 'down', evidence: ['x'], remediations: [r, { ...r, title: 'Start Redis again' }] };
      },
    });
    const e = evaluate(refused(), [twice]);
    expect(e.findings[0]?.remediations.map((r) => r.title)).toEqual(['Start Redis']);
  });
});

import { describe, expect, it } from 'vitest';
import { rule } from '../../../src/engine/rules/commands-restricted.js';
import { clusterObs, noReplicasObs, staleTargetObs } from '../topology-fixtures.js';
import { err, healthy, INFO_COMMAND, session } from '../fixtures.js';

describe('commands-restricted', () => {
  it('CONFIG renamed away: info, confirmed, naming what could not be read', () => {
    const f = rule.evaluate(noReplicasObs(false));
    expect(f).toMatchObject({ cause: 'commands-restricted', severity: 'info', confidence: 'confirmed', details: { commands: 'CONFIG', missing: 'min-replicas-to-write and min-replicas-max-lag' } });
    expect(f?.title).toBe('CONFIG is not available to this client: the diagnosis could not read min-replicas-to-write and min-replicas-max-lag');
    expect(f?.remediations.map((r) => r.id)).toEqual(['allow-diagnostic-commands']);
  });

  it('a subcommand unknown or denied is named with its command; INFO renamed too', () => {
    const obs = clusterObs();
    obs.topology!.commands = [
      { command: 'CLUSTER SHARDS', check: 'cluster-shards', purpose: 'evidence', reply: err("ERR unknown subcommand 'SHARDS'. Try CLUSTER HELP."), durationMs: 1 },
      { command: 'CONFIG GET cluster-*', check: 'cluster-config', purpose: 'evidence', reply: err("NOPERM this user has no permissions to run the 'config|get' command"), durationMs: 1 },
    ];
    obs.resp = session([['PING', { kind: 'status', text: 'PONG' }], [INFO_COMMAND, err("ERR unknown command 'INFO', with args beginning with: 'server' ")]]);
    expect(rule.evaluate(obs)?.details?.['commands']).toBe('CLUSTER SHARDS,CONFIG GET,INFO');
  });

  it('does not fire on replies sent to be quoted (SENTINEL to a data node), on a healthy server, or on answered commands', () => {
    expect(rule.evaluate(staleTargetObs())).toBeUndefined();
    expect(rule.evaluate(healthy())).toBeUndefined();
    expect(rule.evaluate(noReplicasObs(true))).toBeUndefined();
  });
});

describe('commands-restricted: the idle settings', () => {
  it('CONFIG GET timeout refused (NOPERM or renamed) is noted, once per command', () => {
    const obs = healthy();
    const nope = err("NOPERM this user has no permissions to run the 'config|get' command");
    obs.resp!.clientProbe = {
      exchanges: [
        { command: 'CONFIG GET timeout', reply: nope, durationMs: 1 },
        { command: 'CONFIG GET tcp-keepalive', reply: nope, durationMs: 1 },
        { command: 'HELLO 3', reply: { kind: 'array', text: 'server redis' }, durationMs: 1 },
      ],
      closed: false,
      silent: false,
      config: {},
    };
    const f = rule.evaluate(obs);
    expect(f).toMatchObject({ severity: 'info', details: { commands: 'CONFIG GET' } });
    expect(f?.title).toMatch(/the idle settings \(timeout, tcp-keepalive\)/);
    expect(f?.evidence.slice(0, 2)).toEqual([
      "CONFIG GET timeout → -NOPERM this user has no permissions to run the 'config|get' command",
      "CONFIG GET tcp-keepalive → -NOPERM this user has no permissions to run the 'config|get' command",
    ]);
    obs.resp!.clientProbe.exchanges = [{ command: 'CONFIG GET timeout', reply: { kind: 'array', text: 'timeout 0' }, durationMs: 1 }];
    expect(rule.evaluate(obs)).toBeUndefined();
  });
});

describe('commands-restricted: a Sentinel', () => {
  it('has no CONFIG: the client probe\'s CONFIG GET refused there is not noted', () => {
    const obs = healthy();
    obs.info!.sections['server'] = { ...obs.info!.sections['server'], redis_mode: 'sentinel' };
    const unknown = err("ERR unknown command 'CONFIG', with args beginning with: 'GET' 'timeout'");
    obs.resp!.clientProbe = { exchanges: [{ command: 'CONFIG GET timeout', reply: unknown, durationMs: 1 }], closed: false, silent: false, config: {} };
    expect(rule.evaluate(obs)).toBeUndefined();
    obs.info!.sections['server']!['redis_mode'] = 'standalone';
    expect(rule.evaluate(obs)?.details?.['commands']).toBe('CONFIG');
  });
});

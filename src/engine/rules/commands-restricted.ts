/**
 * Commands the diagnosis uses are renamed, disabled or denied — as managed
 * services do with CONFIG, and often with some CLUSTER or SENTINEL
 * subcommands. Not a failure of the server: the diagnosis degrades, and this
 * says which evidence it could not collect. Texts (Redis 7.0, server.c
 * processCommand / commandCheckExistence, acl.c):
 *   -ERR unknown command 'CONFIG', with args beginning with: 'GET' 'cluster-*'
 *   -ERR unknown subcommand 'SHARDS'. Try CLUSTER HELP.
 *   -NOPERM this user has no permissions to run the 'config|get' command
 * (a -NOPERM to the handshake's own commands is acl-denied's). Info,
 * confirmed: the reply names the restriction. Impact `degrading`, though an
 * info finding never changes the verdict.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { clip, info, wire } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

const RESTRICTED = /^(ERR unknown command|ERR unknown subcommand|NOPERM\b)/i;

/** What a command would have shown, for the finding's evidence. */
const WHAT: [RegExp, string][] = [
  [/^CONFIG GET cluster-/i, 'the cluster settings (announced addresses, bus port, cluster-allow-reads-when-down, full coverage)'],
  [/^CONFIG GET min-replicas-/i, 'min-replicas-to-write and min-replicas-max-lag'],
  [/^CONFIG GET (timeout|tcp-keepalive)/i, 'the idle settings (timeout, tcp-keepalive) that decide whether idle pooled connections are closed'],
  [/^CONFIG\b/i, 'configuration values'],
  [/^CLUSTER INFO/i, 'the cluster state (cluster_state, slots assigned and failing)'],
  [/^CLUSTER (SHARDS|SLOTS)/i, 'the nodes and addresses handed to clients'],
  [/^CLUSTER NODES/i, 'node flags (fail, fail?, handshake) and bus ports'],
  [/^CLUSTER MYID/i, 'which node answers at a followed address'],
  [/^SENTINEL GET-MASTER-ADDR-BY-NAME/i, 'the primary the Sentinel names'],
  [/^SENTINEL/i, 'what the Sentinel knows of its masters, replicas and peers'],
  [/^SLOWLOG/i, 'the slow log (which commands blocked the server, for how long, from which client)'],
  [/^LATENCY/i, 'the latency monitor (fork, AOF fsync, expiry and eviction stalls)'],
  [/^CLIENT LIST/i, 'the client list (output buffers of pub/sub and replica clients, connections by source address)'],
  [/^EXISTS/i, 'what a key lookup gets (-MOVED, -CLUSTERDOWN)'],
  [/^ROLE/i, 'the role'],
  [/^INFO/i, 'the server state INFO reports (role, memory, persistence, replication, clients)'],
];

function what(command: string): string {
  return WHAT.find(([re]) => re.test(command))?.[1] ?? 'its reply';
}

/** `CONFIG` when the command is unknown; `CLUSTER SHARDS`, `CONFIG GET` when a subcommand is unknown or denied. */
function commandName(command: string, text: string): string {
  const [first = '', second = ''] = command.split(' ');
  return /unknown subcommand|NOPERM/i.test(text) && second ? `${first} ${second}` : first;
}

export const rule = defineRule({
  cause: 'commands-restricted',
  impact: 'degrading',
  evaluate(obs) {
    const refused: { command: string; text: string }[] = [];
    for (const c of obs.topology?.commands ?? []) {
      if (c.purpose === 'quote' || c.reply?.kind !== 'error' || !RESTRICTED.test(c.reply.text)) continue;
      refused.push({ command: c.command, text: wire(c.reply) });
    }
    // The idle settings, asked on behalf of the application's client (resp.clientProbe); a Sentinel has
    // no CONFIG at all (only SENTINEL CONFIG), and its clients' idle connections are not the question.
    const sentinel = obs.topology?.kind === 'sentinel' || info(obs, 'redis_mode') === 'sentinel';
    for (const e of sentinel ? [] : (obs.resp?.clientProbe?.exchanges ?? [])) {
      if (e.command.startsWith('CONFIG GET') && e.reply?.kind === 'error' && RESTRICTED.test(e.reply.text)) refused.push({ command: e.command, text: wire(e.reply) });
    }
    // INFO renamed away (a -NOPERM for INFO is acl-denied's).
    const infoReply = obs.resp?.exchanges.find((e) => e.command.startsWith('INFO'))?.reply;
    if (infoReply?.kind === 'error' && /^ERR unknown command/i.test(infoReply.text)) refused.push({ command: 'INFO', text: wire(infoReply) });
    // SLOWLOG GET on the handshake's connection (probes/slow-sample.ts); its error is kept in wire form.
    const slowlogError = obs.slowlog?.error?.slice(1);
    if (slowlogError !== undefined && RESTRICTED.test(slowlogError)) refused.push({ command: `SLOWLOG GET`, text: clip(`-${slowlogError}`) });
    // LATENCY LATEST and CLIENT LIST, same write (issue #18).
    for (const [command, error] of [['LATENCY LATEST', obs.latencyEvents?.error], ['CLIENT LIST', obs.clients?.error]] as const) {
      const text = error?.slice(1);
      if (text !== undefined && RESTRICTED.test(text)) refused.push({ command, text: clip(`-${text}`) });
    }
    for (const n of obs.topology?.followed ?? []) {
      for (const { command, reply } of n.errors) {
        if (/^-(ERR unknown command|ERR unknown subcommand)/i.test(reply) && !/^SENTINEL/i.test(command)) refused.push({ command, text: reply });
      }
    }
    if (refused.length === 0) return undefined;
    const names = [...new Set(refused.map((r) => commandName(r.command, r.text)))];
    const missing = [...new Set(refused.map((r) => what(r.command)))];
    const t = fixTarget(obs);
    return {
      severity: 'info',
      confidence: 'confirmed',
      title: `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} not available to this client: the diagnosis could not read ${missing.join('; ')}`,
      evidence: [...refused.slice(0, 4).map((r) => clip(`${r.command} → ${r.text}`)), 'renamed or disabled commands (rename-command, a managed service) and ACLs are not a failure; the findings above rest on what could be read'],
      remediations: [REMEDIATIONS['allow-diagnostic-commands'](t, { commands: names })],
      details: { commands: names.join(','), missing: missing.join('; ') },
    };
  },
});

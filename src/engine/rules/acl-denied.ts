/**
 * The ACL user may not run a command. Redis 7.0:
 *   -NOPERM this user has no permissions to run the 'ping' command
 *   -NOPERM this user has no permissions to run the 'config|get' command
 * (6.x adds " or its subcommand"). A denied PING, SELECT or HELLO breaks
 * every client library's connect or health check: critical. A denied INFO or
 * CONFIG GET only limits what this diagnosis can see; least-privilege users
 * often lack them on purpose, so that is info, not a problem.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { errorsMatching, errorText, replyEvidence, type SeenReply } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

const DIAGNOSTIC_ONLY = new Set(['info', 'config', 'config|get', 'client|list', 'slowlog', 'latency', 'memory', 'memory|stats']);

export function deniedCommand(seen: SeenReply): string {
  const named = /run the '([^']+)' command/i.exec(errorText(seen.reply))?.[1];
  return (named ?? seen.command?.split(' ')[0] ?? 'unknown').toLowerCase();
}

export const rule = defineRule({
  cause: 'acl-denied',
  impact: 'unusable',
  evaluate(obs) {
    const denied = errorsMatching(obs, /^NOPERM\b/i);
    if (denied.length === 0) return undefined;
    const commands = [...new Set(denied.map(deniedCommand))];
    const blocking = commands.filter((c) => !DIAGNOSTIC_ONLY.has(c));
    const user = obs.client.user ?? obs.target.user ?? 'default';
    const t = fixTarget(obs);
    const names = (list: string[]) => list.map((c) => c.toUpperCase().replace('|', ' ')).join(', ');
    return {
      severity: blocking.length > 0 ? 'critical' : 'info',
      confidence: 'confirmed',
      title:
        blocking.length > 0
          ? `ACL user "${user}" may not run ${names(blocking)}`
          : `ACL user "${user}" may not run ${names(commands)}: this diagnosis sees less of the server`,
      evidence: denied.slice(0, 3).map(replyEvidence),
      remediations: [REMEDIATIONS['grant-acl-permissions'](t, { user, commands: blocking.length > 0 ? blocking : commands })],
      details: { user, commands: commands.join(',') },
    };
  },
});

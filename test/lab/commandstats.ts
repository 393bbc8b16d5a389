/**
 * How often a server ran a command, from `INFO commandstats` (Redis 7 names
 * subcommands `cmdstat_config|set:calls=3,…`). The proof that a fix ran once:
 * counted on the target itself, whatever the bot believes.
 */
import type { RedisServer } from './redis.js';

export async function commandCalls(server: RedisServer, command: string): Promise<number> {
  const info = await server.cli('INFO', 'commandstats');
  const re = new RegExp(`^cmdstat_${command.toLowerCase().replace(/[|]/g, '\\|')}:calls=(\\d+)`, 'm');
  return Number(re.exec(info)?.[1] ?? 0);
}

/** One CONFIG GET value. */
export async function configValue(server: RedisServer, parameter: string): Promise<string> {
  const lines = (await server.cli('CONFIG', 'GET', parameter)).split('\n');
  return lines[1] ?? '';
}

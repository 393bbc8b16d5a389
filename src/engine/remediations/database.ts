/**
 * Fixes for a database number the server does not have. Redis has
 * `databases` numbered databases (16 by default, db 0 to 15) and answers
 * SELECT with "-ERR DB index is out of range" for any other; the setting is
 * immutable at runtime (CONFIG SET databases: "can't set immutable config"),
 * so raising it means a restart. Redis Cluster has db 0 only.
 */
import type { Remediation } from '../model/types.js';
import { cli, type FixTarget, rerun, url } from './fix-target.js';

export const databaseFixes = {
  'use-existing-db': (t: FixTarget): Remediation => {
    const admin = { ...t, db: undefined };
    return {
      id: 'use-existing-db',
      title: `Point the client at a database ${t.host}:${t.port} has`,
      risk: 'low',
      mode: 'guided',
      steps: [
        `How many databases the server has: ${cli(admin)} CONFIG GET databases — valid numbers are 0 to databases − 1.`,
        `Which ones hold data: ${cli(admin)} INFO keyspace (one dbN line per database with keys).`,
        `Correct the database number in the client configuration (the /<db> of ${url({ ...t, db: undefined })}/<db>, or the client's db / database option), then restart the application so it reloads it. On Redis Cluster only db 0 exists.`,
      ],
      verify: rerun(admin, 'with the corrected /<db> the verdict is healthy.'),
    };
  },

  'raise-databases': (t: FixTarget): Remediation => {
    const needed = (t.db ?? 15) + 1;
    return {
      id: 'raise-databases',
      title: `Give the server at least ${needed} databases (databases ${needed} in redis.conf)`,
      risk: 'medium',
      mode: 'guided',
      steps: [
        `Only if the application really should use db ${t.db ?? '<db>'} on this server (other applications may share it): edit /etc/redis/redis.conf and set databases ${needed} or more.`,
        'The databases setting cannot be changed at runtime (CONFIG SET answers "can\'t set immutable config"): restart Redis for it to apply — sudo systemctl restart redis-server — with persistence on (RDB or AOF) so the data survives, at a quiet moment.',
      ],
      verify: rerun(t, 'SELECT succeeds and the verdict is healthy.'),
    };
  },
} as const;

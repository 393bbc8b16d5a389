/**
 * The target names a database the server does not have. Redis numbers its
 * databases 0 to `databases` − 1 (16 by default) and answers (db.c, selectCommand):
 *   -ERR DB index is out of range
 * PING and INFO keep working on db 0, but every client configured with this
 * URL sends SELECT on connect and fails there (redis-py raises, ioredis emits
 * an error and reconnects), so no client gets a session: critical.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import { firstError, hostPort, replyEvidence } from './helpers/observed.js';
import { defineRule } from './helpers/define.js';

export const rule = defineRule({
  cause: 'db-index-out-of-range',
  impact: 'unusable',
  evaluate(obs) {
    const db = obs.target.db;
    const refused = firstError(obs, /^ERR DB index is out of range/i);
    if (db === undefined || !refused?.command?.startsWith('SELECT')) return undefined;
    const evidence = [replyEvidence(refused), `the server has fewer than ${db + 1} databases (redis.conf databases, default 16): valid numbers are 0 to databases − 1`];
    const keyspace = Object.entries(obs.info?.sections['keyspace'] ?? {}).map(([name, value]) => `${name}:${value}`);
    if (keyspace.length > 0) evidence.push(`INFO keyspace: ${keyspace.slice(0, 4).join(' ')}${keyspace.length > 4 ? ' …' : ''}`);
    const t = fixTarget(obs);
    return {
      severity: 'critical',
      confidence: 'confirmed',
      title: `Database ${db} does not exist on ${hostPort(obs.target.host, obs.target.port)}: SELECT ${db} is refused`,
      evidence,
      remediations: [REMEDIATIONS['use-existing-db'](t), REMEDIATIONS['raise-databases'](t)],
      details: { db },
    };
  },
});

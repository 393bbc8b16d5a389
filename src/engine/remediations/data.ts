/**
 * Fixes for persistence (RDB snapshots, AOF) and replication. Redis refuses
 * writes — and PING — with -MISCONF while the last background save failed
 * and stop-writes-on-bgsave-error is yes; a replica with
 * replica-serve-stale-data no answers -MASTERDOWN while its link is down.
 */
import type { Remediation } from '../model/types.js';
import { quotePath } from '../shared/shell-words.js';
import { cli, type FixTarget, rerun, safeHost } from './fix-target.js';

/** The server's `dir` (CONFIG GET dir: any text the server holds) as one shell word, or undefined. */
function dirWord(dir: string | undefined): string | undefined {
  return dir === undefined ? undefined : quotePath(dir);
}

export const dataFixes = {
  'fix-rdb-save': (t: FixTarget, p: { dir?: string } = {}): Remediation => {
    const shown = dirWord(p.dir);
    const dir = shown ?? '<dir>';
    return {
      id: 'fix-rdb-save',
      title: 'Find out why the RDB snapshot fails and fix it',
      risk: 'medium',
      mode: 'guided',
      steps: [
        'Read the reason in the log: sudo grep -iE "background saving|failed opening|no space left|permission denied|can.t save|fork" /var/log/redis/redis-server.log | tail (or journalctl -u redis-server).',
        `Where it writes: ${cli(t)} CONFIG GET dir and CONFIG GET dbfilename${shown ? ` (dir is ${shown})` : ''}.`,
        `Disk space: df -h ${dir} — a full filesystem needs space freed or a larger volume.`,
        `Permissions: ls -ld ${dir}; sudo -u redis test -w ${dir} && echo writable — the directory must be writable by the user Redis runs as.`,
        '"fork: Cannot allocate memory": set vm.overcommit_memory = 1 (sudo sysctl -w vm.overcommit_memory=1, and in /etc/sysctl.conf), as Redis recommends.',
        'Then save again (retry-bgsave): writes are accepted as soon as one save succeeds.',
      ],
      verify: rerun(t, 'INFO persistence shows rdb_last_bgsave_status:ok.'),
    };
  },

  'retry-bgsave': (t: FixTarget): Remediation => ({
    id: 'retry-bgsave',
    title: 'Retry the background save (BGSAVE)',
    risk: 'low',
    mode: 'automatic',
    redisCommand: ['BGSAVE'],
    steps: [
      `${cli(t)} BGSAVE — after the cause (disk space, permissions, memory for fork) is fixed.`,
      `Follow it: ${cli(t)} INFO persistence | grep -E 'rdb_bgsave_in_progress|rdb_last_bgsave_status'`,
    ],
    verify: rerun(t, 'rdb_last_bgsave_status:ok and no -MISCONF.'),
  }),

  'allow-writes-on-save-error': (t: FixTarget): Remediation => ({
    id: 'allow-writes-on-save-error',
    title: 'Accept writes although snapshots fail (stop-gap)',
    risk: 'high',
    mode: 'automatic',
    redisCommand: ['CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'no'],
    steps: [
      'Warning: this hides the failure. Every write since the last successful save is lost if Redis restarts; fix the save (fix-rdb-save) and set it back to yes.',
      `${cli(t)} CONFIG SET stop-writes-on-bgsave-error no`,
    ],
    verify: rerun(t, 'no -MISCONF; the persistence finding stays until a save succeeds.'),
  }),

  'fix-aof-write': (t: FixTarget, p: { dir?: string } = {}): Remediation => {
    const shown = dirWord(p.dir);
    const dir = shown ?? '<dir>';
    return {
      id: 'fix-aof-write',
      title: 'Find out why the append-only file cannot be written and fix it',
      risk: 'medium',
      mode: 'guided',
      steps: [
        'Read the reason: sudo grep -iE "aof|append only|no space left|permission denied" /var/log/redis/redis-server.log | tail',
        `Where it writes: ${cli(t)} CONFIG GET dir and CONFIG GET appenddirname${shown ? ` (dir is ${shown})` : ''}.`,
        `Disk space and permissions: df -h ${dir}; ls -ld ${dir}; sudo -u redis test -w ${dir} && echo writable`,
        `Once writable, rewrite the AOF: ${cli(t)} BGREWRITEAOF, and watch aof_last_write_status and aof_last_bgrewrite_status in INFO persistence.`,
        'A damaged AOF after a crash: back the directory up, then redis-check-aof --fix <file> before restarting.',
      ],
      verify: rerun(t, 'aof_last_write_status:ok and aof_last_bgrewrite_status:ok.'),
    };
  },

  'fix-replica-link': (t: FixTarget, p: { masterHost?: string; masterPort?: number } = {}): Remediation => {
    // master_host is what the replica's INFO says: a host name or IP literal, or no command uses it.
    const host = safeHost(p.masterHost);
    const port = p.masterPort !== undefined && Number.isInteger(p.masterPort) && p.masterPort > 0 && p.masterPort <= 65535 ? p.masterPort : undefined;
    const primary = host ? `${host}${port ? ` -p ${port}` : ''}` : '<primary-host> -p <primary-port>';
    return {
      id: 'fix-replica-link',
      title: host ? `Restore the replica's link to ${host}:${port ?? 6379}` : "Restore the replica's link to its primary",
      risk: 'medium',
      mode: 'guided',
      steps: [
        `From the replica host, can it reach the primary? redis-cli -h ${primary} PING (a refusal, timeout, -NOAUTH or -DENIED there is the cause).`,
        'Read the replica log: sudo grep -E "MASTER|REPLICA|sync|Error condition" /var/log/redis/redis-server.log | tail -20',
        'Password: masterauth (and masteruser with ACLs) on the replica must match the primary — CONFIG SET masterauth "$PRIMARY_PASSWORD" then CONFIG REWRITE.',
        `On the primary: INFO replication lists connected replicas; sync loops usually mean client-output-buffer-limit replica or repl-backlog-size is too small for the write rate.`,
        `Point the replica at the right primary if it moved: ${cli(t)} REPLICAOF <primary-host> <primary-port>`,
      ],
      verify: rerun(t, 'INFO replication shows master_link_status:up.'),
    };
  },

  'promote-replica': (t: FixTarget): Remediation => ({
    id: 'promote-replica',
    title: 'Promote this replica to primary (only if the primary is gone for good)',
    risk: 'high',
    mode: 'guided',
    steps: [
      'Warning: if the old primary comes back, two primaries accept different writes (split brain). Under Sentinel or Redis Cluster let them fail over instead (SENTINEL FAILOVER <name> / CLUSTER FAILOVER).',
      `${cli(t)} REPLICAOF NO ONE, then move the clients and the other replicas to this server.`,
    ],
    verify: rerun(t, 'INFO replication shows role:master.'),
  }),
} as const;

/**
 * Fixes for a server that keeps starting again (restart-loop): every restart
 * drops every client connection, and without persistence the data with it.
 * The loop has two halves — why the process exits, and what starts it again
 * — and both are named in its logs and its supervisor's state.
 */
import type { Remediation } from '../model/types.js';
import { cli, type FixTarget, rerun } from './fix-target.js';

export const restartFixes = {
  /** `unit`, `container`: names the rule checked against a plain-character pattern. */
  'find-restart-cause': (t: FixTarget, p: { unit?: string; container?: string } = {}): Remediation => {
    const unit = p.unit ?? 'redis-server';
    const container = p.container ?? '<container>';
    return {
      id: 'find-restart-cause',
      title: 'Find why the server exits and what starts it again, then break the loop',
      risk: 'low',
      mode: 'guided',
      steps: [
        `Why it exits — its own log (journalctl -u ${unit} -n 300 --no-pager, or the file ${cli(t)} CONFIG GET logfile names): "Redis is now ready to exit" or "Received SIGTERM" is a stop from outside (systemd, a deploy, a liveness probe); "CRASH REPORT" / "Guru Meditation" is a crash (a module, a bug: keep the report, upgrade); "Bad file format reading the append only file" or "Short read or OOM loading DB" is a damaged AOF/RDB (redis-check-aof --fix / redis-check-rdb on a copy first); "FATAL CONFIG FILE ERROR" ends every start at once.`,
        'Killed by the kernel: dmesg -T | grep -iE "killed process|out of memory" — the OOM killer (maxmemory below the host\'s or the container\'s memory limit, with room for fork copy-on-write; see oom-killed).',
        `What starts it again — systemd: systemctl show ${unit} -p NRestarts -p Result -p ExecMainStatus -p Restart -p RestartUSec (NRestarts counts the restarts since the unit was started by hand). Docker: docker inspect -f '{{.RestartCount}} {{.State.ExitCode}} {{.State.OOMKilled}}' ${container} and docker logs --tail 100 ${container}; stop the loop while you look with --restart on-failure:5 instead of always. Kubernetes: kubectl describe pod <pod> (Last State: Terminated, Reason OOMKilled/Error, Exit Code; CrashLoopBackOff) and kubectl logs <pod> --previous for the run that died.`,
        'A liveness probe that kills a server still loading its dataset (LOADING can take minutes for a big RDB/AOF) restarts it into the same load: give it a startupProbe (or a longer initialDelaySeconds / failureThreshold) and probe with PING accepting -LOADING as alive; under systemd, Type=notify with supervised systemd and a TimeoutStartSec longer than the load.',
        'Under systemd, RestartSec=5s with StartLimitBurst/StartLimitIntervalSec makes it give up and say so (systemctl reset-failed to try again) instead of looping.',
        'Until it holds: clients reconnect with backoff (not in a tight loop, which slows every start); with a replica and Sentinel (or a cluster), a failover serves clients instead of a loop; without persistence every restart empties the dataset — caches refill, queues (BullMQ) lose jobs.',
        `After the fix: ${cli(t)} INFO server shows uptime_in_seconds growing past the old restart interval and the same run_id on every read.`,
      ],
      verify: rerun(t, 'no restart-loop finding; uptime_in_seconds larger than the time since the fix.'),
    };
  },
} as const;

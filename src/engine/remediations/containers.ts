/**
 * Fixes for a Redis that runs in a Docker container (issue #19). They speak Docker and
 * Compose: the `-p` or `ports:` line to change, `docker start`, `docker logs`, the restart
 * policy, `--memory` / `mem_limit`. Every fix is guided: redis-doctor runs none of it.
 * Container names and images come from the engine: one that fails Docker's own grammar is
 * never repeated in a command (a placeholder takes its place).
 */
import type { Remediation } from '../model/types.js';
import { inertText, isSafeContainerName, isSafeImageRef } from '../shared/shell-words.js';
import { cli, type FixTarget, rerun } from './fix-target.js';

function name(container: string | undefined): string {
  return container !== undefined && isSafeContainerName(container) ? container.replace(/^\//, '') : '<container>';
}

function validPort(p: number | undefined, fallback: number): number {
  return p !== undefined && Number.isInteger(p) && p > 0 && p <= 65535 ? p : fallback;
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 1048576)} MiB`;
}

export const containerFixes = {
  'start-container': (
    t: FixTarget,
    p: { container?: string; state?: string; exitCode?: number; restartCount?: number; restartPolicy?: string; configError?: string } = {},
  ): Remediation => {
    const c = name(p.container);
    const restarting = p.state === 'restarting' || (p.restartCount ?? 0) >= 3;
    const steps = [
      `See why it stopped: docker logs --tail 50 ${c} (and docker inspect --format '{{json .State}}' ${c}: Status, ExitCode, OOMKilled, Error).`,
    ];
    if (p.configError) {
      steps.push(`Its log says Redis refused its configuration: ${inertText(p.configError.replace(/[;|&$`\\'<>]+/g, ' ').replace(/\s+/g, ' ').trim(), 'a configuration error (docker logs shows it)', 300)} — fix that line in the redis.conf the container is given (the mounted file, or the command in docker run / compose \`command:\`), then start it again.`);
    } else if (p.exitCode !== undefined && p.exitCode !== 0) {
      steps.push(`It exited with code ${p.exitCode}${p.exitCode === 137 ? ' (SIGKILL: the OOM killer or docker kill; State.OOMKilled tells which)' : p.exitCode === 143 ? ' (SIGTERM: it was stopped)' : p.exitCode === 1 ? ' (Redis refused to start: the log names the reason)' : ''}: fix what the log names before starting it again.`);
    }
    if (restarting) {
      steps.push(`It keeps restarting${p.restartCount !== undefined ? ` (RestartCount ${p.restartCount}${p.restartPolicy ? `, restart policy ${p.restartPolicy}` : ''})` : ''}: the restart policy starts it again after every failure, so the port answers for moments at most. Restarting it again changes nothing until the cause in the log is fixed.`);
    }
    steps.push(
      `Start it: docker start ${c} — with Compose: docker compose up -d <service> (a changed command or file needs docker compose up -d --force-recreate <service>).`,
      `So it comes back after a crash or a reboot: docker update --restart unless-stopped ${c} (Compose: restart: unless-stopped); a policy does not help a container that fails on start.`,
    );
    return {
      id: 'start-container',
      title: restarting ? `Fix what makes container ${c} restart, then let it start` : `Start container ${c} again, after fixing why it stopped`,
      risk: 'medium',
      mode: 'guided',
      steps,
      verify: rerun(t, `docker ps shows ${c} Up (not Restarting) for more than a minute and ${cli(t)} PING answers.`),
    };
  },

  'raise-container-memory': (t: FixTarget, p: { container?: string; memoryBytes?: number } = {}): Remediation => {
    const c = name(p.container);
    const limit = p.memoryBytes !== undefined && p.memoryBytes > 0 ? p.memoryBytes : undefined;
    return {
      id: 'raise-container-memory',
      title: `Give container ${c} the memory Redis needs, and keep Redis below it`,
      risk: 'medium',
      mode: 'guided',
      steps: [
        `Confirm: docker inspect --format '{{.State.OOMKilled}} {{.HostConfig.Memory}}' ${c} — true: the kernel OOM killer ended Redis in this container${limit ? `; its memory limit is ${mib(limit)}` : '; it has no memory limit of its own, so the host ran out'}.`,
        limit
          ? `Raise the limit: docker update --memory <bytes> --memory-swap <bytes> ${c} (Compose: mem_limit: / deploy.resources.limits.memory: in the service), above what Redis needs plus room for fork copy-on-write during saves.`
          : `Set a limit that fits the host and Redis: docker update --memory <bytes> --memory-swap <bytes> ${c} (Compose: mem_limit:), and find what else uses the host's memory: docker stats --no-stream; free -h.`,
        `Keep Redis under that limit: run it with --maxmemory <bytes below the limit> and an eviction policy that fits the data (allkeys-lru for a cache), in the container's command or its redis.conf (docker run … redis-server --maxmemory 768mb --maxmemory-policy allkeys-lru; Compose: command:).`,
        `Start it again: docker start ${c} (Compose: docker compose up -d <service>).`,
      ],
      verify: rerun(t, `docker inspect shows OOMKilled false after a day of load, and ${cli(t)} INFO memory shows used_memory below maxmemory.`),
    };
  },

  'fix-container-healthcheck': (
    t: FixTarget,
    p: { container?: string; redisAnswers?: boolean; innerPort?: number; testPort?: number; passwordOnCommandLine?: boolean; noauth?: boolean; intervalSec?: number; retries?: number } = {},
  ): Remediation => {
    const c = name(p.container);
    const inner = validPort(p.innerPort, 6379);
    const steps = [
      `See what the check reports: docker inspect --format '{{json .State.Health}}' ${c} (Status, FailingStreak, the last Log entries' ExitCode and Output), and docker logs --tail 50 ${c}.`,
    ];
    if (p.redisAnswers) {
      steps.push(`Redis answers the diagnosis, so the check itself is the likely fault: run its test by hand in the container (docker exec ${c} redis-cli -p ${inner} ping) and compare with the healthcheck's test: (docker inspect --format '{{json .Config.Healthcheck}}' ${c}).`);
    } else {
      steps.push(`Redis does not answer the diagnosis either: the check fails because Redis in the container does (docker logs shows why: a config error, LOADING, MISCONF, a full disk); fix that first, the check follows.`);
    }
    if (p.testPort !== undefined && p.testPort !== inner) {
      steps.push(`Its test asks port ${validPort(p.testPort, inner)}, Redis listens on ${inner} inside the container: fix the port in the test (Compose: healthcheck: test: ["CMD", "redis-cli", "-p", "${inner}", "ping"]).`);
    }
    if (p.passwordOnCommandLine || p.noauth) {
      steps.push(`${p.noauth ? 'The check gets NOAUTH/WRONGPASS: it sends no password or the wrong one. ' : ''}Give redis-cli the password through the environment instead of -a (which docker inspect and ps show to everyone): REDISCLI_AUTH (Compose: environment: REDISCLI_AUTH: \${REDIS_PASSWORD}, and test: ["CMD-SHELL", "redis-cli -p ${inner} ping | grep -q PONG"]). redis-cli exits 0 on an error reply in some versions: grep for PONG.`);
    }
    steps.push(
      `Give the check room: interval: 10s, timeout: 3s, retries: 3, start_period: 30s (Compose healthcheck:, docker run --health-interval/--health-timeout/--health-retries/--health-start-period)${p.intervalSec !== undefined || p.retries !== undefined ? `; now: ${p.intervalSec !== undefined ? `interval ${p.intervalSec}s` : ''}${p.intervalSec !== undefined && p.retries !== undefined ? ', ' : ''}${p.retries !== undefined ? `retries ${p.retries}` : ''}` : ''} — a large dataset loads longer than the defaults allow.`,
      `A changed healthcheck needs a new container: docker compose up -d --force-recreate <service> (or docker run again); until then Compose's depends_on: condition: service_healthy and Swarm keep treating it as down.`,
    );
    return {
      id: 'fix-container-healthcheck',
      title: p.redisAnswers ? `Fix the HEALTHCHECK of container ${c}: Redis answers, the check fails` : `Find why Redis in container ${c} fails its HEALTHCHECK`,
      risk: 'low',
      mode: 'guided',
      steps,
      verify: rerun(t, `docker inspect --format '{{.State.Health.Status}}' ${c} says healthy and ${cli(t)} PING answers.`),
    };
  },
} as const;

/** `docker run -p` and Compose `ports:` for a container port published on the target's host port. */
export function publishLines(t: FixTarget, containerPort: number, image: string | undefined): { run: string; compose: string } {
  const img = image === undefined ? 'redis' : isSafeImageRef(image) ? image : '<image>';
  const cport = validPort(containerPort, 6379);
  return { run: `docker run -d -p 0.0.0.0:${t.port}:${cport} … ${img}`, compose: `ports: ["0.0.0.0:${t.port}:${cport}"]` };
}

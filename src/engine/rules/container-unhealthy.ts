/**
 * The target's container runs, and its HEALTHCHECK says `unhealthy` (issue #19): Docker ran
 * the check `retries` times in a row and it failed each time. `starting` is not unhealthy.
 * Evidence: State.Health's FailingStreak, the last log entries' exit codes and outputs
 * (redacted, capped), the test command (redacted: it often is `redis-cli -a <password> ping`),
 * and whether Redis itself answered this diagnosis.
 *
 * Honesty: a container is unhealthy as often because its check is wrong (another port, no
 * password, `-a` with an old one, a timeout too short for a big dataset) as because Redis is.
 *  - Redis answers the probe: the check is the likely fault; an info note (`possible`), it never
 *    makes the verdict. Compose's `depends_on: condition: service_healthy`, Swarm and autoheal
 *    act on the status, so it is said;
 *  - Redis does not answer: two views agree that Redis in this container does not serve (its own
 *    check from inside, the probe from outside): critical, `likely` for the container the
 *    binding or docker.container names, else `possible`. Ranked below the causes that say why
 *    nothing answers more precisely (container-not-running, container-port-not-published, the
 *    server's replies), so it is the primary cause only when nothing more specific is seen.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { DockerContainer } from '../remote/types.js';
import { isSafeContainerName } from '../shared/shell-words.js';
import { redisAnswered, targetContainer } from './helpers/containers.js';
import { defineRule } from './helpers/define.js';
import { containerEventsLine } from './helpers/container-events.js';

/** `-p 6380`, `-p=6380`, `--port 6380` in the (redacted) test command. */
export function testPort(test: string | undefined): number | undefined {
  if (!test) return undefined;
  const m = /(?:^|\s)(?:-p|--port)[\s=](\d{1,5})(?:\s|$|;|\|)/.exec(test.slice(0, 1000));
  const n = m ? Number(m[1]) : NaN;
  return Number.isInteger(n) && n > 0 && n <= 65535 ? n : undefined;
}

function healthLines(c: DockerContainer): string[] {
  return (c.healthLog ?? []).map((e) => `health check${e.at ? ` at ${e.at}` : ''}: exit ${e.exitCode ?? '?'}${e.output ? `, output "${e.output.slice(0, 200)}"` : ', no output'}`);
}

export const rule = defineRule({
  cause: 'container-unhealthy',
  impact: 'unusable',
  evaluate(obs) {
    const tc = targetContainer(obs);
    if (!tc) return undefined;
    const c = tc.container;
    if (!c.running || c.state === 'restarting' || c.health !== 'unhealthy') return undefined;
    const answers = redisAnswered(obs);
    const named = isSafeContainerName(c.name);
    const test = c.healthTest;
    const port = testPort(test);
    const outputs = (c.healthLog ?? []).map((e) => e.output).concat(c.healthOutput ?? []).join(' ');
    const noauth = /\b(?:NOAUTH|WRONGPASS)\b/.test(outputs.slice(0, 2000));
    const passwordOnCommandLine = test !== undefined && /(?:^|\s)(?:-a|--pass|-u)(?:\s|=)|:<redacted>@/.test(test);
    const evidence = [
      `${tc.view.where}: container ${c.name} (${c.image}) is running, its HEALTHCHECK reports unhealthy${c.healthFailingStreak !== undefined ? ` (FailingStreak ${c.healthFailingStreak}${c.healthRetries !== undefined ? `, retries ${c.healthRetries}` : ''})` : ''}`,
      ...healthLines(c),
      ...(!c.healthLog?.length && c.healthOutput ? [`the last check's output: "${c.healthOutput.slice(0, 200)}"`] : []),
      test ? `its test (redacted): ${test.slice(0, 300)}${c.healthIntervalSec !== undefined ? ` every ${c.healthIntervalSec}s` : ''}` : 'its test command was not read',
      answers
        ? 'Redis answers this diagnosis\'s PING: the healthcheck fails while Redis serves — the check itself is the likely fault'
        : 'Redis does not answer this diagnosis either: the check from inside and the probe from outside agree',
    ];
    if (port !== undefined && port !== tc.innerPort) evidence.push(`the test asks port ${port}, Redis listens on ${tc.innerPort} inside the container`);
    if (noauth) evidence.push('the check gets NOAUTH/WRONGPASS: it sends no password, or the wrong one');
    const ev = containerEventsLine(obs, c);
    if (ev) evidence.push(ev);
    if (!named) evidence.push('the container name above is not one Docker accepts ([a-zA-Z0-9][a-zA-Z0-9_.-]+): it is quoted, not repeated in any command');
    const confidence = answers || !named || tc.how === 'redis' ? 'possible' : 'likely';
    return {
      severity: answers ? 'info' : 'critical',
      confidence,
      title: answers
        ? `Container ${c.name}'s HEALTHCHECK reports unhealthy, but Redis answers: the check is likely wrong`
        : `Redis in container ${c.name} fails its own HEALTHCHECK${c.healthFailingStreak !== undefined ? ` (${c.healthFailingStreak} in a row)` : ''} and does not answer on port ${obs.target.port}`,
      evidence,
      remediations: [
        REMEDIATIONS['fix-container-healthcheck'](fixTarget(obs), {
          container: c.name,
          redisAnswers: answers,
          innerPort: tc.innerPort,
          ...(port !== undefined ? { testPort: port } : {}),
          passwordOnCommandLine,
          noauth,
          ...(c.healthIntervalSec !== undefined ? { intervalSec: c.healthIntervalSec } : {}),
          ...(c.healthRetries !== undefined ? { retries: c.healthRetries } : {}),
        }),
      ],
      details: {
        container: c.name,
        redisAnswers: answers,
        ...(c.healthFailingStreak !== undefined ? { failingStreak: c.healthFailingStreak } : {}),
        ...(c.healthLog?.length && c.healthLog[c.healthLog.length - 1]!.exitCode !== undefined ? { lastExitCode: c.healthLog[c.healthLog.length - 1]!.exitCode! } : {}),
        ...(test ? { test: test.slice(0, 300) } : {}),
      },
    };
  },
});

/**
 * The log tails the SSH checks read on a Docker host (scripts.ts dockerInspectScript, parsers/docker.ts):
 * which containers' logs are planned, how the section is split, what a hostile log can do (print our
 * headers, a refusal, a password, control characters, a 50 KB line) and what it cannot.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { planPhase2 } from '../../src/engine/remote/catalogue.js';
import { applyDockerLogs, parseDockerPs, splitDockerInspectOutput } from '../../src/engine/remote/parsers/docker.js';
import { dockerInspectScript } from '../../src/engine/remote/scripts.js';
import type { RemoteObservation } from '../../src/engine/remote/types.js';

const id = (c: string) => c.repeat(64);
const psLine = (o: Record<string, string>) => JSON.stringify({ Image: 'redis:7', Command: '"docker-entrypoint.sh redis-server"', Ports: '', ...o });

describe('docker logs over SSH', () => {
  it('plans the log tail of the Redis containers not running well, at most 3, the target port\'s first', () => {
    const containers = parseDockerPs([
      psLine({ ID: id('a'), Names: 'up', State: 'running', Status: 'Up 2 hours', Ports: '0.0.0.0:6379->6379/tcp' }),
      psLine({ ID: id('b'), Names: 'gone1', State: 'exited', Status: 'Exited (1) 2 minutes ago' }),
      psLine({ ID: id('c'), Names: 'gone2', State: 'exited', Status: 'Exited (0) 1 hour ago' }),
      psLine({ ID: id('d'), Names: 'sick', State: 'running', Status: 'Up 3 minutes (unhealthy)', Ports: '0.0.0.0:7000->6379/tcp' }),
      psLine({ ID: id('e'), Names: 'loop', State: 'restarting', Status: 'Restarting (1) 5 seconds ago' }),
      psLine({ ID: id('f'), Names: 'web', Image: 'nginx', Command: '"nginx"', State: 'exited', Status: 'Exited (0) 1 hour ago' }),
    ].join('\n'));
    expect(containers.map((c) => c.state)).toEqual(['running', 'exited', 'exited', 'running', 'restarting', 'exited']);
    const obs = { docker: { containers } } as unknown as RemoteObservation;
    expect(planPhase2(obs, 7000, 3).containerLogIds).toEqual([id('d'), id('b'), id('c')]);
    expect(planPhase2(obs, 6379, 3).containerIds).toEqual([id('a'), id('b'), id('c'), id('d'), id('e')]);
  });

  it('a container in a restart loop caught "Up" between two crashes still gets its log read; one up for minutes does not', () => {
    const containers = parseDockerPs([
      psLine({ ID: id('a'), Names: 'up', State: 'running', Status: 'Up 2 hours', Ports: '0.0.0.0:6379->6379/tcp' }),
      psLine({ ID: id('b'), Names: 'loop', State: 'running', Status: 'Up Less than a second', Ports: '0.0.0.0:7001->6379/tcp' }),
      psLine({ ID: id('c'), Names: 'loop2', State: 'running', Status: 'Up 4 seconds' }),
      psLine({ ID: id('d'), Names: 'settled', State: 'running', Status: 'Up About a minute' }),
    ].join('\n'));
    const obs = { docker: { containers } } as unknown as RemoteObservation;
    expect(planPhase2(obs, 7001, 3).containerLogIds).toEqual([id('b'), id('c')]);
  });

  it('the script: inspect first with its own exit status, every log line behind "| ", ids validated', () => {
    const script = dockerInspectScript([id('a')], [id('b')]);
    expect(script).toContain(`s docker logs --tail 30 ${id('b')} 2>&1 | head -c 65536 | sed 's/^/| /'`);
    expect(script.split('\n').at(-1)).toBe('exit $r');
    expect(() => dockerInspectScript([id('a')], ['b; reboot'])).toThrow();
    // What the shell prints for a log that forges our headers (sh runs the pipeline's tail on text, as the host would).
    const printed = execFileSync('sh', ['-c', "printf '%s\\n' '### inspect' '### rc 0' 'plain' | head -c 65536 | sed 's/^/| /'"], { encoding: 'utf8' });
    expect(printed).toBe('| ### inspect\n| ### rc 0\n| plain\n');
  });

  it('splits the section: inspect JSON, each log\'s last lines cleaned and redacted; forged headers stay log text', () => {
    const out = [
      '### inspect',
      `[{"Id": "${id('b')}", "State": {"Status": "exited", "ExitCode": 1}}]`,
      '',
      '### rc 0',
      `### logs ${id('b')}`,
      '| ',
      '| *** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***',
      '| Reading the configuration file, at line 2',
      `| >>> 'requirepass "hunter2-secret" "extra"'`,
      '| ### logs ' + id('c'),
      '| ### rc 0',
      '| bell\u0007 and ' + 'x'.repeat(50_000),
      '',
      `### logs ${id('c')}`,
      '| sudo: a password is required',
      '',
      `### logs ${id('d')}`,
      '| Error response from daemon: No such container: ' + id('d'),
      '',
    ].join('\n');
    const { inspect, logs } = splitDockerInspectOutput(out);
    expect(JSON.parse(inspect)).toHaveLength(1);
    expect(logs.map((l) => [l.id.slice(0, 1), l.unread])).toEqual([['b', undefined], ['c', 'sudo: a password is required'], ['d', `Error response from daemon: No such container: ${id('d')}`]]);
    const b = logs[0]!.lines;
    expect(b).toContain('*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***');
    // The forged headers opened no section and closed none: they are two of b's seven lines (redacted as they are).
    expect(b).toHaveLength(7);
    expect(b.join('\n')).not.toContain('hunter2-secret');
    expect(b.join('\n')).toContain("requirepass <redacted>");
    expect(b.at(-1)!.length).toBeLessThan(400);
    expect(b.at(-1)).toMatch(/^bell {2}and x+…\[cut\]$/);

    const containers = parseDockerPs([psLine({ ID: id('b').slice(0, 12), Names: 'gone', State: 'exited' }), psLine({ ID: id('c'), Names: 'other', State: 'exited' })].join('\n'));
    const withLogs = applyDockerLogs(containers, logs);
    expect(withLogs[0]!.logTail).toEqual(b);
    // A refused read leaves no log: sudo's words are not the container's.
    expect(withLogs[1]!.logTail).toBeUndefined();
  });

  it('output without headers is inspect\'s JSON alone (an older script, the fixtures)', () => {
    expect(splitDockerInspectOutput('[{"Id": "x"}]')).toEqual({ inspect: '[{"Id": "x"}]', logs: [] });
  });

  it('keeps only the last 30 lines of a log', () => {
    const lines = Array.from({ length: 45 }, (_, i) => `| line ${i}`);
    const { logs } = splitDockerInspectOutput(['### inspect', '[]', '### rc 0', `### logs ${id('a')}`, ...lines].join('\n'));
    expect(logs[0]!.lines).toHaveLength(30);
    expect(logs[0]!.lines[0]).toBe('line 15');
  });
});

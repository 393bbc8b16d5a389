import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { applyDockerInspect, parseDockerPs } from '../../../src/engine/remote/parsers/docker.js';
import { rule } from '../../../src/engine/rules/container-port-not-published.js';
import type { Observations } from '../../../src/engine/model/types.js';
import { engineContainer, withEngine } from './docker-fixtures.js';
import { fixture } from '../../remote/fixtures.js';
import { healthy, refused } from '../fixtures.js';
import { listener, refusedWith, remote } from './remote-fixtures.js';

const containers = applyDockerInspect(parseDockerPs(fixture('samples/docker-ps.jsonl')), fixture('samples/docker-inspect.json'));

/** Docker's proxy accepted, then closed: what a client of a wrong mapping sees. */
function closedAfterAccept(): Observations {
  const obs = healthy();
  obs.resp = { ok: false, exchanges: [{ command: 'PING', durationMs: 0 }], closedByServer: true, noReply: true, timedOut: false };
  delete obs.info;
  return obs;
}

const bind = (hostPort: number, containerPort = 6379, hostIp = '0.0.0.0') => ({ containerPort, protocol: 'tcp', hostIp, hostPort });

describe('container-port-not-published', () => {
  it('not-published: a running Redis container with no published port when nothing listens on the host port (SSH)', () => {
    const obs = refusedWith(remote({ docker: { containers: containers.filter((c) => c.name !== 'sessions') }, processes: [{ pid: 48213, user: '999', args: 'redis-server *:6379', defunct: false, titlePort: 6379, titleAddress: '*' }] }));
    const f = rule.evaluate(obs);
    expect(f?.title).toBe('Redis runs in container cache on cache-1, but its port 6379 is not published on host port 6379');
    expect(f?.details?.reason).toBe('not-published');
    expect(f?.confidence).toBe('likely');
    expect(f?.evidence).toEqual([
      'TCP connect to 10.0.0.5:6379: ECONNREFUSED',
      'docker ps on cache-1: cache (redis:7.2) running "Up 2 hours", published: none, network bridge',
      "nothing listens on port 6379 in cache-1's own network namespace (ss -ltnp)",
    ]);
    expect(f?.remediations[0]?.id).toBe('publish-container-port');
    expect(f?.remediations[0]?.steps[1]).toContain('docker run -d -p 10.0.0.5:6379:6379 … redis:7.2');
    const e = evaluate(obs);
    expect(e.primaryCause).toBe('container-port-not-published');
    expect(e.findings.map((x) => x.cause)).not.toContain('server-not-running');
  });

  it('not-published from the Engine API, confirmed when docker.container names it', () => {
    const f = rule.evaluate(withEngine(refused(), [engineContainer()], 'cache'));
    expect(f?.details).toMatchObject({ reason: 'not-published', container: 'cache', containerPort: 6379 });
    expect(f?.confidence).toBe('confirmed');
    expect(f?.evidence[1]).toBe('Docker Engine at unix:///var/run/docker.sock: cache (redis:7.2) running "Up 5 minutes", published: none');
  });

  it('loopback-only: the binding is on 127.0.0.1 and the client is remote; the fix is -p, not bind', () => {
    const obs = withEngine(refused(), [engineContainer({ ports: [bind(6379, 6379, '127.0.0.1')] })]);
    const f = rule.evaluate(obs)!;
    expect(f.details).toMatchObject({ reason: 'loopback-only' });
    expect(f.confidence).toBe('confirmed');
    const steps = f.remediations[0]!.steps.join('\n');
    expect(steps).toContain('docker run -d -p 0.0.0.0:6379:6379');
    expect(steps).toContain('ports: ["6379:6379"]');
    expect(steps).toContain("Redis's own bind setting is not the problem");
    const e = evaluate(obs);
    expect(e.primaryCause).toBe('container-port-not-published');
    expect(e.findings.map((x) => x.cause)).not.toContain('bind-loopback-only');
    // From the Docker host itself, a loopback binding is right.
    const local = withEngine(refused(), [engineContainer({ ports: [bind(6379, 6379, '127.0.0.1')] })]);
    local.client.remote = false;
    expect(rule.evaluate(local)).toBeUndefined();
  });

  it('wrong-container-port: -p 6379:6380 for a Redis on 6379 inside', () => {
    const f = rule.evaluate(withEngine(closedAfterAccept(), [engineContainer({ ports: [bind(6379, 6380)] })]))!;
    expect(f.details).toMatchObject({ reason: 'wrong-container-port', boundPort: 6380, containerPort: 6379 });
    expect(f.confidence).toBe('confirmed');
    expect(f.title).toBe('Host port 6379 leads to port 6380 in container cache, but Redis listens on 6379 there');
    expect(f.evidence[0]).toContain('succeeded (Docker\'s proxy accepts)');
  });

  it('other-host-port: the Redis container publishes another host port', () => {
    const f = rule.evaluate(withEngine(refused(), [engineContainer({ ports: [bind(6380)] })]))!;
    expect(f.details).toMatchObject({ reason: 'other-host-port', hostPort: 6380 });
    expect(f.confidence).toBe('likely');
    expect(f.remediations[0]!.steps[0]).toContain('point the client at port 6380');
  });

  it('no finding for a healthy mapped port, a stopped container, host networking, or a port something else serves', () => {
    const ok = withEngine(healthy(), [engineContainer({ ports: [bind(6379)] })]);
    expect(rule.evaluate(ok)).toBeUndefined();
    expect(evaluate(ok).findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(rule.evaluate(withEngine(refused(), [engineContainer({ running: false, state: 'exited', bindings: [bind(6379)] })]))).toBeUndefined();
    expect(rule.evaluate(withEngine(refused(), [engineContainer({ networkMode: 'host' })]))).toBeUndefined();
    expect(rule.evaluate(refusedWith(remote({ docker: { containers }, listeners: [listener('0.0.0.0', 6379, 'docker-proxy', 77)] })))).toBeUndefined();
    const hostNet = containers.map((c) => ({ ...c, networkMode: 'host' }));
    expect(rule.evaluate(refusedWith(remote({ docker: { containers: hostNet } })))).toBeUndefined();
  });

  it('a name outside Docker\'s grammar is quoted, never put in a command', () => {
    const f = rule.evaluate(withEngine(refused(), [engineContainer({ name: 'x;rm -rf /' })], undefined))!;
    expect(f.confidence).toBe('possible');
    expect(f.remediations[0]!.steps.join('\n')).not.toContain('rm -rf');
  });
});

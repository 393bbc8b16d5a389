import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { applyDockerInspect, parseDockerPs } from '../../../src/engine/remote/parsers/docker.js';
import { rule } from '../../../src/engine/rules/container-port-not-published.js';
import { fixture } from '../../remote/fixtures.js';
import { listener, refusedWith, remote } from './remote-fixtures.js';

const containers = applyDockerInspect(parseDockerPs(fixture('samples/docker-ps.jsonl')), fixture('samples/docker-inspect.json'));

describe('container-port-not-published', () => {
  it('fires for a running Redis container with no published port when nothing listens on the host port', () => {
    const obs = refusedWith(remote({ docker: { containers }, processes: [{ pid: 48213, user: '999', args: 'redis-server *:6379', defunct: false, titlePort: 6379, titleAddress: '*' }] }));
    const f = rule.evaluate(obs);
    expect(f?.title).toBe('Redis runs in container cache on cache-1, but its port 6379 is not published on host port 6379');
    expect(f?.evidence).toEqual([
      'TCP connect to 10.0.0.5:6379: ECONNREFUSED',
      'docker ps on cache-1: cache (redis:7.2) Up 2 hours, PORTS "6379/tcp" — no host port published, network bridge',
      "nothing listens on port 6379 in cache-1's own network namespace (ss -ltnp)",
    ]);
    expect(f?.remediations[0]?.id).toBe('publish-container-port');
    expect(f?.remediations[0]?.steps[1]).toContain('docker run -p 10.0.0.5:6379:6379 … redis:7.2');
    const e = evaluate(obs);
    expect(e.primaryCause).toBe('container-port-not-published');
    expect(e.findings.map((x) => x.cause)).not.toContain('server-not-running');
  });

  it('does not fire for published, stopped or host-network containers, or when the host port answers', () => {
    const published = containers.filter((c) => c.name !== 'cache');
    expect(rule.evaluate(refusedWith(remote({ docker: { containers: published } })))).toBeUndefined();
    const hostNet = containers.map((c) => ({ ...c, networkMode: 'host' }));
    expect(rule.evaluate(refusedWith(remote({ docker: { containers: hostNet } })))).toBeUndefined();
    expect(rule.evaluate(refusedWith(remote({ docker: { containers }, listeners: [listener('0.0.0.0', 6379, 'docker-proxy', 77)] })))).toBeUndefined();
  });
});

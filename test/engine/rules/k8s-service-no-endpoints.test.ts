import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/engine/pipeline/evaluate.js';
import { parseKubectl } from '../../../src/engine/remote/parsers/kubectl.js';
import { rule } from '../../../src/engine/rules/k8s-service-no-endpoints.js';
import { fixture } from '../../remote/fixtures.js';
import { refusedWith, remote } from './remote-fixtures.js';

const kubernetes = parseKubectl(fixture('samples/kubectl-svc-endpoints.json'))!;

function at(address: string, port = 6379) {
  const obs = refusedWith(remote({ kubernetes }));
  obs.target = { ...obs.target, host: address, port, input: `${address}:${port}` };
  obs.tcp = { ...obs.tcp!, address, port };
  return obs;
}

describe('k8s-service-no-endpoints', () => {
  it('matches the Service by cluster IP and quotes its not-ready endpoints', () => {
    const obs = at('10.96.41.12');
    const f = rule.evaluate(obs);
    expect(f?.title).toBe('Kubernetes Service cache/redis has no ready endpoints');
    expect(f?.evidence).toEqual([
      'kubectl get svc on cache-1: cache/redis ClusterIP 10.96.41.12 ports 6379→6379',
      'kubectl get endpoints on cache-1: cache/redis has no ready address (not ready: 10.244.1.17)',
    ]);
    expect(f?.details).toEqual({ namespace: 'cache', service: 'redis', notReady: 1 });
    expect(f?.remediations[0]?.steps[0]).toBe('kubectl -n cache get endpoints redis -o wide — no addresses: no ready pod matches the Service.');
    expect(evaluate(obs).primaryCause).toBe('k8s-service-no-endpoints');
  });

  it('by external / load-balancer IP and by node port; a Service without Endpoints object counts too', () => {
    expect(rule.evaluate(at('203.0.113.7'))?.details?.service).toBe('redis-public');
    expect(rule.evaluate(at('192.0.2.10'))?.details?.service).toBe('redis-public');
    expect(rule.evaluate(at('172.18.0.9', 30379))?.evidence[1]).toBe('kubectl get endpoints on cache-1: no Endpoints object for cache/redis-public');
  });

  it('does not fire for Services with ready endpoints, without selector, or unrelated to the target', () => {
    expect(rule.evaluate(at('10.96.0.1', 443))).toBeUndefined();
    expect(rule.evaluate(at('10.9.9.9', 7000))).toBeUndefined();
  });
});

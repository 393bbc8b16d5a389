import { describe, expect, it } from 'vitest';
import { applyDockerInspect, parseDockerPorts, parseDockerPs } from '../../src/engine/remote/parsers/docker.js';
import { parseKubectl } from '../../src/engine/remote/parsers/kubectl.js';
import { fixture } from './fixtures.js';

describe('docker ps / inspect (samples: no Docker daemon on the capture machine)', () => {
  it('reads containers, recognises Redis images and commands, and redacts command lines', () => {
    const cs = parseDockerPs(fixture('samples/docker-ps.jsonl'));
    expect(cs.map((c) => [c.name, c.image, c.redis, c.running, c.portsText])).toEqual([
      ['cache', 'redis:7.2', true, true, '6379/tcp'],
      ['sessions', 'bitnami/redis:7.2', true, true, '0.0.0.0:6380->6379/tcp, :::6380->6379/tcp'],
      ['web', 'nginx:1.25', false, true, '0.0.0.0:8080->80/tcp, [::]:8080->80/tcp'],
      ['old-cache', 'redis:6', true, false, ''],
    ]);
    expect(cs[0]?.command).toBe('docker-entrypoint.sh redis-server --requirepass <redacted>');
    expect(JSON.stringify(cs)).not.toContain('hunter22');
  });

  it('parses the PORTS column: published, unpublished, IPv6 and ranges', () => {
    expect(parseDockerPorts('6379/tcp')).toEqual([{ containerPort: 6379, protocol: 'tcp' }]);
    expect(parseDockerPorts('0.0.0.0:6380->6379/tcp, [::]:6380->6379/tcp')).toEqual([
      { containerPort: 6379, protocol: 'tcp', hostPort: 6380, hostIp: '0.0.0.0' },
      { containerPort: 6379, protocol: 'tcp', hostPort: 6380, hostIp: '::' },
    ]);
    expect(parseDockerPorts('127.0.0.1:7000-7001->7000-7001/tcp').map((p) => `${p.hostIp}:${p.hostPort}->${p.containerPort}`)).toEqual(['127.0.0.1:7000->7000', '127.0.0.1:7001->7001']);
  });

  it('docker inspect adds network mode and bindings, and never copies the environment', () => {
    const cs = applyDockerInspect(parseDockerPs(fixture('samples/docker-ps.jsonl')), fixture('samples/docker-inspect.json'));
    expect(cs[0]).toMatchObject({ networkMode: 'bridge', ports: [{ containerPort: 6379, protocol: 'tcp' }] });
    expect(cs[1]?.ports.map((p) => `${p.hostIp}:${p.hostPort}`)).toEqual(['0.0.0.0:6380', ':::6380']);
    expect(JSON.stringify(cs)).not.toContain('hunter22');
    expect(applyDockerInspect(cs, 'not json')).toBe(cs);
  });
});

describe('kubectl get svc,endpoints -o json (sample: no cluster on the capture machine)', () => {
  it('reads services (cluster, external and load-balancer IPs, node ports) and endpoints (ready / not ready)', () => {
    const k = parseKubectl(fixture('samples/kubectl-svc-endpoints.json'));
    expect(k?.services.map((s) => [s.namespace, s.name, s.type, s.clusterIP, s.externalIPs.join(','), s.loadBalancerIPs.join(','), s.hasSelector])).toEqual([
      ['cache', 'redis', 'ClusterIP', '10.96.41.12', '', '', true],
      ['cache', 'redis-public', 'LoadBalancer', '10.96.41.13', '192.0.2.10', '203.0.113.7', true],
      ['default', 'kubernetes', 'ClusterIP', '10.96.0.1', '', '', false],
    ]);
    expect(k?.services[1]?.ports).toEqual([{ port: 6379, targetPort: 'redis', nodePort: 30379, protocol: 'TCP' }]);
    expect(k?.endpoints).toEqual([
      { namespace: 'cache', name: 'redis', ready: [], notReady: ['10.244.1.17'], ports: [6379] },
      { namespace: 'default', name: 'kubernetes', ready: ['172.18.0.2'], notReady: [], ports: [6443] },
    ]);
  });

  it('the real "no cluster" output is not understood (the command also exits non-zero)', () => {
    expect(parseKubectl(fixture('captured/kubectl-no-cluster.txt'))).toBeUndefined();
  });
});

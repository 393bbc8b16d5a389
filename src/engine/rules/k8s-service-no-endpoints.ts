/**
 * The Kubernetes Service the client connects to has no ready endpoints: its
 * Endpoints object lists no ready address (no pod matches the selector, or
 * none passes its readiness probe), so kube-proxy rejects every connection.
 * The Service is matched to the target by address (cluster IP, external IP,
 * load-balancer IP), else by node port, else by port and a redis-like name.
 */
import { fixTarget, REMEDIATIONS } from '../remediations/index.js';
import type { K8sEndpoints, K8sService, RemoteObservation } from '../remote/types.js';
import type { Observations } from '../model/types.js';
import { hostName, remoteOf, targetAddress } from './helpers/host.js';
import { defineRule } from './helpers/define.js';

export function matchingServices(obs: Observations, remote: RemoteObservation): K8sService[] {
  const services = remote.kubernetes?.services ?? [];
  const address = targetAddress(obs);
  const port = obs.target.port;
  const byAddress = services.filter(
    (s) => (s.clusterIP === address || s.externalIPs.includes(address) || s.loadBalancerIPs.includes(address)) && s.ports.some((p) => p.port === port),
  );
  if (byAddress.length) return byAddress;
  const byNodePort = services.filter((s) => s.ports.some((p) => p.nodePort === port));
  if (byNodePort.length) return byNodePort;
  return services.filter((s) => /redis|valkey/i.test(s.name) && s.ports.some((p) => p.port === port));
}

function endpointsOf(remote: RemoteObservation, s: K8sService): K8sEndpoints | undefined {
  return remote.kubernetes?.endpoints.find((e) => e.namespace === s.namespace && e.name === s.name);
}

export const rule = defineRule({
  cause: 'k8s-service-no-endpoints',
  impact: 'unusable',
  supersedes: ['connection-refused', 'connection-timeout', 'server-not-running'],
  evaluate(obs) {
    const remote = remoteOf(obs);
    if (!remote?.kubernetes || (obs.tcp?.ok === true && obs.resp?.ok === true)) return undefined;
    for (const s of matchingServices(obs, remote)) {
      // A Service without a selector has hand-made Endpoints; an ExternalName has none by design.
      if (!s.hasSelector || s.type === 'ExternalName') continue;
      const ep = endpointsOf(remote, s);
      if (ep && ep.ready.length > 0) continue;
      const host = hostName(remote);
      const ports = s.ports.map((p) => `${p.port}→${p.targetPort}${p.nodePort ? ` (node port ${p.nodePort})` : ''}`).join(', ');
      const evidence = [
        `kubectl get svc on ${host}: ${s.namespace}/${s.name} ${s.type} ${s.clusterIP ?? ''} ports ${ports}`.replace(/\s+/g, ' '),
        ep
          ? `kubectl get endpoints on ${host}: ${s.namespace}/${s.name} has no ready address${ep.notReady.length ? ` (not ready: ${ep.notReady.slice(0, 5).join(', ')})` : ''}`
          : `kubectl get endpoints on ${host}: no Endpoints object for ${s.namespace}/${s.name}`,
      ];
      return {
        severity: 'critical',
        confidence: 'confirmed',
        title: `Kubernetes Service ${s.namespace}/${s.name} has no ready endpoints`,
        evidence,
        remediations: [REMEDIATIONS['fix-k8s-service-endpoints'](fixTarget(obs), { namespace: s.namespace, service: s.name })],
        details: { namespace: s.namespace, service: s.name, notReady: ep?.notReady.length ?? 0 },
      };
    }
    return undefined;
  },
});

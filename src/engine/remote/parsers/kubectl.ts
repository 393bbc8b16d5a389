/**
 * `kubectl get svc,endpoints --all-namespaces -o json` → Services and their
 * Endpoints. A Service with a selector whose Endpoints object lists no ready
 * address sends every connection nowhere (kube-proxy rejects them: "has no endpoints").
 */
import type { K8sEndpoints, K8sService, K8sServicePort } from '../types.js';

const MAX_ITEMS = 5000;

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

function servicePorts(spec: Json): K8sServicePort[] {
  return arr(spec.ports).map((p) => {
    const o = obj(p);
    const port: K8sServicePort = { port: Number(o.port), targetPort: str(o.targetPort) || str(o.port), protocol: str(o.protocol) || 'TCP' };
    if (typeof o.nodePort === 'number') port.nodePort = o.nodePort;
    return port;
  }).filter((p) => Number.isInteger(p.port));
}

export function parseKubectl(output: string): { services: K8sService[]; endpoints: K8sEndpoints[] } | undefined {
  let doc: Json;
  try {
    doc = obj(JSON.parse(output));
  } catch {
    return undefined;
  }
  const services: K8sService[] = [];
  const endpoints: K8sEndpoints[] = [];
  for (const item of arr(doc.items).slice(0, MAX_ITEMS)) {
    const o = obj(item);
    const meta = obj(o.metadata);
    const namespace = str(meta.namespace);
    const name = str(meta.name);
    if (o.kind === 'Service') {
      const spec = obj(o.spec);
      const svc: K8sService = {
        namespace,
        name,
        type: str(spec.type) || 'ClusterIP',
        externalIPs: arr(spec.externalIPs).map(str).filter(Boolean),
        loadBalancerIPs: arr(obj(obj(o.status).loadBalancer).ingress).map((i) => str(obj(i).ip)).filter(Boolean),
        ports: servicePorts(spec),
        hasSelector: Object.keys(obj(spec.selector)).length > 0,
      };
      if (str(spec.clusterIP)) svc.clusterIP = str(spec.clusterIP);
      services.push(svc);
    } else if (o.kind === 'Endpoints') {
      const ep: K8sEndpoints = { namespace, name, ready: [], notReady: [], ports: [] };
      for (const s of arr(o.subsets)) {
        const subset = obj(s);
        for (const a of arr(subset.addresses)) ep.ready.push(str(obj(a).ip));
        for (const a of arr(subset.notReadyAddresses)) ep.notReady.push(str(obj(a).ip));
        for (const p of arr(subset.ports)) if (typeof obj(p).port === 'number') ep.ports.push(obj(p).port as number);
      }
      endpoints.push(ep);
    }
  }
  return { services, endpoints };
}

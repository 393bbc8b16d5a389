/**
 * The cause ids of INTERFACES.md section 3. They are public names: users,
 * scripts and the acceptance checks match on them, so never rename one.
 */
export const CAUSE_IDS = [
  'dns-resolution-failed',
  'connection-refused',
  'connection-timeout',
  'host-unreachable',
  'tls-mismatch',
  'not-redis',
  'server-not-running',
  'wrong-port',
  'bind-loopback-only',
  'firewall-blocked',
  'oom-killed',
  'disk-full',
  'fd-limit-too-low',
  'container-port-not-published',
  'k8s-service-no-endpoints',
  'protected-mode',
  'auth-required',
  'auth-failed',
  'acl-denied',
  'max-clients-reached',
  'loading-dataset',
  'memory-limit-reached',
  'persistence-failing',
  'replica-link-down',
  'busy-script',
  'remote-check-failed',
  // Additions to INTERFACES.md section 3 (append only):
  'tls-certificate-rejected',
  'db-index-out-of-range',
  'server-stalled',
  'unexpected-reply',
  // Replicas, Sentinel and Cluster (issue #12):
  'write-to-replica',
  'not-enough-replicas',
  'cluster-down',
  'cluster-client-required',
  'announced-address-unreachable',
  'sentinel-stale-master',
  'wrong-instance',
  'commands-restricted',
  // What real clients hit that a short probe does not see (issue #17):
  'idle-connections-closed',
  'handshake-incompatible',
  'provider-limit-reached',
  'address-family-mismatch',
  'address-not-routable',
  'tls-client-compatibility',
  // Slow Redis is a failure too (issue #18):
  'slow-commands',
  'latency-spikes',
  'output-buffer-disconnects',
  'connection-churn',
  'restart-loop',
  // Containers for real (issue #19):
  'container-not-running',
  'container-unhealthy',
] as const;

/**
 * Causes found by comparing the documents of several probe locations
 * (pipeline/compare-locations.ts), not by a rule over one location's
 * observations: they have no module in rules/ (issue #20).
 */
export const LOCATION_CAUSE_IDS = ['blocked-from-location'] as const;

export type CauseId = (typeof CAUSE_IDS)[number] | (typeof LOCATION_CAUSE_IDS)[number];

export function isCauseId(value: string): value is CauseId {
  return (CAUSE_IDS as readonly string[]).includes(value) || (LOCATION_CAUSE_IDS as readonly string[]).includes(value);
}

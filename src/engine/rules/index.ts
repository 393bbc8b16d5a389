/**
 * Every rule, one module per cause id, in the order they rank: among findings
 * of equal severity the one listed first is the more specific explanation and
 * becomes the primary cause (wrong-port before the generic connection-refused;
 * an OOM kill before "not running"). This list is the only place the ranking
 * is written; evaluate.ts sorts by severity, then by position here.
 * Adding a cause: docs/development.md, "Adding a cause".
 */
import type { Rule } from '../model/types.js';
import { rule as aclDenied } from './acl-denied.js';
import { rule as addressFamilyMismatch } from './address-family-mismatch.js';
import { rule as addressNotRoutable } from './address-not-routable.js';
import { rule as announcedAddressUnreachable } from './announced-address-unreachable.js';
import { rule as authFailed } from './auth-failed.js';
import { rule as authRequired } from './auth-required.js';
import { rule as bindLoopbackOnly } from './bind-loopback-only.js';
import { rule as busyScript } from './busy-script.js';
import { rule as clusterClientRequired } from './cluster-client-required.js';
import { rule as clusterDown } from './cluster-down.js';
import { rule as commandsRestricted } from './commands-restricted.js';
import { rule as connectionRefused } from './connection-refused.js';
import { rule as connectionTimeout } from './connection-timeout.js';
import { rule as containerNotRunning } from './container-not-running.js';
import { rule as containerPortNotPublished } from './container-port-not-published.js';
import { rule as containerUnhealthy } from './container-unhealthy.js';
import { rule as dbIndexOutOfRange } from './db-index-out-of-range.js';
import { rule as diskFull } from './disk-full.js';
import { rule as dnsResolutionFailed } from './dns-resolution-failed.js';
import { rule as fdLimitTooLow } from './fd-limit-too-low.js';
import { rule as handshakeIncompatible } from './handshake-incompatible.js';
import { rule as firewallBlocked } from './firewall-blocked.js';
import { rule as hostUnreachable } from './host-unreachable.js';
import { rule as idleConnectionsClosed } from './idle-connections-closed.js';
import { rule as slowCommands } from './slow-commands.js';
import { rule as latencySpikes } from './latency-spikes.js';
import { rule as outputBufferDisconnects } from './output-buffer-disconnects.js';
import { rule as connectionChurn } from './connection-churn.js';
import { rule as k8sServiceNoEndpoints } from './k8s-service-no-endpoints.js';
import { rule as loadingDataset } from './loading-dataset.js';
import { rule as maxClientsReached } from './max-clients-reached.js';
import { rule as memoryLimitReached } from './memory-limit-reached.js';
import { rule as notEnoughReplicas } from './not-enough-replicas.js';
import { rule as notRedis } from './not-redis.js';
import { rule as oomKilled } from './oom-killed.js';
import { rule as persistenceFailing } from './persistence-failing.js';
import { rule as protectedMode } from './protected-mode.js';
import { rule as providerLimitReached } from './provider-limit-reached.js';
import { rule as remoteCheckFailed } from './remote-check-failed.js';
import { rule as replicaLinkDown } from './replica-link-down.js';
import { rule as restartLoop } from './restart-loop.js';
import { rule as sentinelStaleMaster } from './sentinel-stale-master.js';
import { rule as serverNotRunning } from './server-not-running.js';
import { rule as serverStalled } from './server-stalled.js';
import { rule as tlsCertificateRejected } from './tls-certificate-rejected.js';
import { rule as tlsClientCompatibility } from './tls-client-compatibility.js';
import { rule as tlsMismatch } from './tls-mismatch.js';
import { rule as unexpectedReply } from './unexpected-reply.js';
import { rule as writeToReplica } from './write-to-replica.js';
import { rule as wrongInstance } from './wrong-instance.js';
import { rule as wrongPort } from './wrong-port.js';

export const RULES: readonly Rule[] = [
  // Host evidence that names why the server is gone or impaired.
  oomKilled,
  diskFull,
  // The name, the container or the Service in front of it.
  dnsResolutionFailed,
  containerNotRunning,
  containerPortNotPublished,
  k8sServiceNoEndpoints,
  // The monitor saw the process start again and again: why the port refuses now and then.
  restartLoop,
  // Nothing (or the wrong thing) listening where the client connects.
  serverNotRunning,
  serverStalled,
  bindLoopbackOnly,
  firewallBlocked,
  wrongPort,
  tlsMismatch,
  notRedis,
  tlsCertificateRejected,
  // A private address with no route here explains the unreachable/timeout below it.
  addressNotRoutable,
  hostUnreachable,
  // Some resolved addresses answer, the first (or another) does not.
  addressFamilyMismatch,
  // Getting a session: admission and authentication.
  protectedMode,
  // A client that authenticates the way the server predates (AUTH <user> on Redis < 6), or a refused HELLO.
  handshakeIncompatible,
  authFailed,
  authRequired,
  aclDenied,
  dbIndexOutOfRange,
  // The container runs and its own HEALTHCHECK fails too: below every cause that says more precisely
  // why nothing answers (the container, the network, the server's replies), above the bare symptoms.
  containerUnhealthy,
  // No answer, or an answer that says the server is busy.
  connectionTimeout,
  maxClientsReached,
  providerLimitReached,
  loadingDataset,
  busyScript,
  // The topology: the client reached the wrong node, or the right one the wrong way.
  // A failover explains a replica where the primary was expected, so the stale
  // target ranks first; a different instance makes everything else about it moot;
  // an address that does not connect explains a node the client cannot use, and a
  // node down explains the cluster's failure; then the client/server mismatches.
  sentinelStaleMaster,
  wrongInstance,
  announcedAddressUnreachable,
  clusterDown,
  clusterClientRequired,
  writeToReplica,
  notEnoughReplicas,
  // A server that answers, impaired.
  persistenceFailing,
  memoryLimitReached,
  replicaLinkDown,
  fdLimitTooLow,
  idleConnectionsClosed,
  // The server answers but stalls or drops its clients (issue #18; restart-loop ranks above, with
  // the servers that are gone): what drops or refuses clients before what slows them.
  outputBufferDisconnects,
  connectionChurn,
  slowCommands,
  latencySpikes,
  // The generic symptom, when nothing more specific fired.
  connectionRefused,
  // About the checks, not the server.
  remoteCheckFailed,
  commandsRestricted,
  // What older clients would meet on this TLS port (info).
  tlsClientCompatibility,
  // Only when nothing above found anything: what was seen, quoted.
  unexpectedReply,
];

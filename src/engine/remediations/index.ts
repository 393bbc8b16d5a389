/**
 * The remediation catalogue: every fix a finding can offer, by stable id
 * ([a-z0-9-]+, used in Slack action ids `remediate:<id>`; never rename one).
 *
 * Each entry builds a Remediation for one target — steps carry the real
 * host, port and values, never a password — so rules stay declarative:
 *   REMEDIATIONS['raise-maxclients'](fixTarget(obs), { to: 20000 })
 *
 * mode `automatic`: the bot can apply it with the one Redis command in
 * `redisCommand` (CONFIG SET …, SCRIPT KILL, BGSAVE) after approval.
 * mode `guided`: a human edits files, restarts services or decides.
 */
import { accessFixes } from './access.js';
import { capacityFixes } from './capacity.js';
import { certificateFixes } from './certificates.js';
import { clientFixes } from './clients.js';
import { connectFixes } from './connect.js';
import { containerFixes } from './containers.js';
import { dataFixes } from './data.js';
import { databaseFixes } from './database.js';
import { hostFixes } from './host.js';
import { locationFixes } from './locations.js';
import { restartFixes } from './restarts.js';
import { routingFixes } from './routing.js';
import { slownessFixes } from './slowness.js';
import { tlsClientFixes } from './tls-clients.js';
import { topologyFixes } from './topology.js';

export { fixTarget, fixTargetAt, type FixTarget } from './fix-target.js';

export const REMEDIATIONS = {
  ...connectFixes,
  ...accessFixes,
  ...capacityFixes,
  ...dataFixes,
  ...hostFixes,
  ...containerFixes,
  ...certificateFixes,
  ...databaseFixes,
  ...topologyFixes,
  ...clientFixes,
  ...routingFixes,
  ...locationFixes,
  ...tlsClientFixes,
  ...slownessFixes,
  ...restartFixes,
} as const;

export type RemediationId = keyof typeof REMEDIATIONS;

export const REMEDIATION_IDS = Object.keys(REMEDIATIONS) as RemediationId[];

export function isRemediationId(value: string): value is RemediationId {
  return Object.prototype.hasOwnProperty.call(REMEDIATIONS, value);
}

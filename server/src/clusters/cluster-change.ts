import { authorizeProject } from '../access/policy.js';
import type { Queryable, Tx } from '../db/schema.js';
import type { OrgAccess, UserPrincipal } from '../http/principal.js';
import { assertNotFrozen } from '../ledger/arrears.js';
import { findUnpaidChange, type OrderRow, timeOutDue } from '../orders/orders.repository.js';
import { requireOrg } from '../orgs/orgs.service.js';
import { AppError } from '../platform/errors.js';
import { type ClusterRow, getCluster, lockCluster } from './clusters.repository.js';
import { effectiveClusterState } from './term-timeline.js';

export async function requireCluster(db: Queryable, orgId: string, clusterId: string) {
  const c = await getCluster(db, orgId, clusterId);
  if (!c) throw new AppError('NOT_FOUND', 'cluster not found');
  return c;
}

export interface LockedCluster {
  cluster: ClusterRow;
  state: ClusterRow['state'];
  /** the cluster's unpaid upgrade or renewal order, still payable */
  pending: OrderRow | undefined;
}

/**
 * The start of every change to a cluster's subscription (升配, 续订, an auto-renew attempt): the cluster row is
 * locked, so two changes of one cluster serialize and the second sees the first's unpaid order; what the
 * system ends by now (an unpaid order past its deadline, an upgrade at expiry) is persisted first, so that
 * it does not block the new one; the org must be certified (SPEC §2).
 */
export async function lockClusterForChange(
  tx: Tx,
  orgId: string,
  clusterId: string,
  now: Date,
): Promise<LockedCluster> {
  const cluster = await lockCluster(tx, orgId, clusterId);
  if (!cluster) throw new AppError('NOT_FOUND', 'cluster not found');
  const org = await requireOrg(tx, orgId);
  if (!org.certified)
    throw new AppError('ORG_NOT_CERTIFIED', 'the organization must be certified to change its subscriptions');
  await timeOutDue(tx, now, 10, { orgId, clusterId });
  const pending = await findUnpaidChange(tx, orgId, clusterId);
  return { cluster, state: effectiveClusterState(cluster, now), pending };
}

/** A user's change: authorized before any write or row lock (a cluster's project never changes), then locked. */
export async function authorizeClusterChange(
  tx: Tx,
  p: UserPrincipal,
  orgId: string,
  clusterId: string,
  action: 'cluster.upgrade' | 'cluster.renew',
  now: Date,
): Promise<LockedCluster & { access: OrgAccess }> {
  const seen = await requireCluster(tx, orgId, clusterId);
  const access = authorizeProject(p, orgId, seen.project_id, action, 'cluster');
  // SPEC §10.3: a frozen org (an overdue bill unpaid) cannot upgrade or renew.
  await assertNotFrozen(tx, orgId, now);
  return { access, ...(await lockClusterForChange(tx, orgId, clusterId, now)) };
}

/** SPEC §2: at most one unpaid upgrade or renewal per cluster. */
export function refusePending(pending: OrderRow, making: 'upgrade' | 'renewal'): never {
  if (pending.type === 'upgrade' && making === 'upgrade') {
    throw new AppError(
      'UPGRADE_ALREADY_PENDING',
      'this cluster already has an unpaid upgrade order; pay or cancel it first',
      { orderId: pending.id, type: pending.type },
    );
  }
  throw new AppError(
    'CLUSTER_ORDER_PENDING',
    `this cluster already has an unpaid ${pending.type} order; pay or cancel it first`,
    { orderId: pending.id, type: pending.type },
  );
}

/** The configuration a change prices: while upgrading, the one being applied (what the term will run on). */
export function currentShape(c: ClusterRow) {
  return {
    region: c.region,
    cuType: c.cu_type,
    cuSize: c.target_cu_size ?? c.cu_size,
    replicas: c.target_replicas ?? c.replicas,
  };
}
